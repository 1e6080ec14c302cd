"""The OpenAPI schema describes the expansion pipeline (API.md fields) without warnings."""

import pytest

from renewals import opportunity_urls
from tests.schema_support import clean_schema

pytestmark = pytest.mark.django_db


def test_opportunity_schema():
    schema = clean_schema(opportunity_urls.api_urlpatterns)
    paths = schema["paths"]
    assert {"/api/v1/opportunities/", "/api/v1/opportunities/{id}/", "/api/v1/opportunities/pipeline/",
            "/api/v1/expansion-settings/"} <= set(paths)
    fields = schema["components"]["schemas"]["Opportunity"]["properties"]
    assert {"account", "kind", "stage", "amount", "close_date", "owner", "won_at", "lost_at"} <= set(fields)
    assert {"account", "stage", "kind"} <= {p["name"] for p in paths["/api/v1/opportunities/"]["get"]["parameters"]}
    assert {"200", "400", "404", "409"} <= set(paths["/api/v1/opportunities/{id}/"]["patch"]["responses"])
    assert "delete" not in paths["/api/v1/opportunities/{id}/"]
