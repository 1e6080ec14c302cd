"""The OpenAPI schema describes the reference program (API.md fields unchanged) without warnings."""

import pytest

from advocacy import reference_urls
from tests.schema_support import clean_schema

pytestmark = pytest.mark.django_db


def test_reference_schema():
    schema = clean_schema(reference_urls.api_urlpatterns)
    paths = schema["paths"]
    assert {"/api/v1/references/", "/api/v1/references/{id}/", "/api/v1/references/capacity/",
            "/api/v1/reference-settings/", "/api/v1/advocates/", "/api/v1/references/pool/"} <= set(paths)
    request = schema["components"]["schemas"]["ReferenceRequest"]["properties"]
    assert {"account", "contact", "kind", "status", "requested_at", "notes", "requested_by", "completed_at",
            "outcome"} <= set(request)
    kinds = schema["components"]["schemas"]["ReferenceKindEnum"]["enum"]
    assert kinds == ["case_study", "testimonial", "reference_call", "webinar", "review"]
    assert {"200", "400", "404", "409"} <= set(paths["/api/v1/references/{id}/"]["patch"]["responses"])
    assert "400" in paths["/api/v1/references/"]["post"]["responses"]
    assert {"account", "kind", "status"} <= {p["name"] for p in paths["/api/v1/references/"]["get"]["parameters"]}


def test_program_schema():
    schema = clean_schema(reference_urls.api_urlpatterns)
    paths = schema["paths"]
    assert {"/api/v1/reference-rewards/", "/api/v1/case-studies/", "/api/v1/case-studies/{id}/",
            "/api/v1/case-studies/progress/", "/api/v1/advocacy-activities/"} <= set(paths)
    reward = schema["components"]["schemas"]["Reward"]["properties"]
    assert {"account", "contact", "request", "kind", "description", "value", "given_on"} <= set(reward)
    activity = schema["components"]["schemas"]["AdvocacyActivity"]["properties"]
    assert {"kind", "source", "rating", "referred_company"} <= set(activity)
    assert "patch" not in paths["/api/v1/reference-rewards/{id}/"]
