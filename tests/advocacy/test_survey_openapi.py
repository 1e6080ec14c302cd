"""The OpenAPI schema describes the survey responses and the NPS / CSAT metrics without warnings."""

import pytest

from advocacy import survey_urls
from tests.schema_support import clean_schema

pytestmark = pytest.mark.django_db


def test_survey_schema():
    schema = clean_schema(survey_urls.api_urlpatterns)
    paths = schema["paths"]
    assert {"/api/v1/survey-responses/", "/api/v1/survey-responses/{id}/", "/api/v1/metrics/nps/",
            "/api/v1/metrics/csat/"} <= set(paths)
    assert {"201", "400", "401", "403"} <= set(paths["/api/v1/survey-responses/"]["post"]["responses"])
    listed = {p["name"] for p in paths["/api/v1/survey-responses/"]["get"]["parameters"]}
    assert {"account", "kind", "responded_after", "responded_before"} <= listed
    fields = schema["components"]["schemas"]["SurveyResponse"]["properties"]
    assert {"account", "contact", "kind", "score", "comment", "responded_at"} <= set(fields)
    for url, name, expected in (
        ("/api/v1/metrics/nps/", "NpsMetric", {"responses", "promoters", "passives", "detractors", "nps", "response_rate"}),
        ("/api/v1/metrics/csat/", "CsatMetric", {"responses", "average", "satisfied", "response_rate"}),
    ):
        get = paths[url]["get"]
        assert {"start", "end", "segment"} <= {p["name"] for p in get["parameters"]} and "400" in get["responses"]
        assert set(schema["components"]["schemas"][name]["properties"]) == expected
