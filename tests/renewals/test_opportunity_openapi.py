"""The OpenAPI schema describes the expansion pipeline (API.md fields) without warnings."""

import pytest
from django.urls import include, path
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema

from renewals import opportunity_urls

pytestmark = pytest.mark.django_db


def test_opportunity_schema():
    GENERATOR_STATS.reset()
    generator = SchemaGenerator(patterns=[path("api/v1/", include(opportunity_urls.api_urlpatterns))])
    with GENERATOR_STATS.silence():
        schema = generator.get_schema(request=None, public=True)
    assert not GENERATOR_STATS._warn_cache and not GENERATOR_STATS._error_cache, (
        list(GENERATOR_STATS._warn_cache) + list(GENERATOR_STATS._error_cache)
    )
    validate_schema(schema)
    paths = schema["paths"]
    assert {"/api/v1/opportunities/", "/api/v1/opportunities/{id}/", "/api/v1/opportunities/pipeline/",
            "/api/v1/expansion-settings/"} <= set(paths)
    fields = schema["components"]["schemas"]["Opportunity"]["properties"]
    assert {"account", "kind", "stage", "amount", "close_date", "owner", "won_at", "lost_at"} <= set(fields)
    assert {"account", "stage", "kind"} <= {p["name"] for p in paths["/api/v1/opportunities/"]["get"]["parameters"]}
    assert {"200", "400", "404", "409"} <= set(paths["/api/v1/opportunities/{id}/"]["patch"]["responses"])
    assert "delete" not in paths["/api/v1/opportunities/{id}/"]
