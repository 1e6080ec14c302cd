"""One way for tests to generate the OpenAPI schema of some API routes and hold it to "no warnings, no
errors, valid OpenAPI 3" before asserting what it describes."""

from __future__ import annotations

from django.urls import include, path
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema


def clean_schema(api_urlpatterns) -> dict:
    """The schema of ``api_urlpatterns`` mounted at /api/v1/; fails on any drf-spectacular warning or error."""
    GENERATOR_STATS.reset()
    generator = SchemaGenerator(patterns=[path("api/v1/", include(api_urlpatterns))])
    with GENERATOR_STATS.silence():
        schema = generator.get_schema(request=None, public=True)
    assert not GENERATOR_STATS._warn_cache and not GENERATOR_STATS._error_cache, (
        list(GENERATOR_STATS._warn_cache) + list(GENERATOR_STATS._error_cache)
    )
    validate_schema(schema)
    return schema
