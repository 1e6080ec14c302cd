"""The OpenAPI schema describes the ARR ledger and the retention metrics without warnings."""

import pytest

from renewals import ledger_urls, renewal_urls
from tests.schema_support import clean_schema

pytestmark = pytest.mark.django_db


def test_ledger_and_retention_schema():
    schema = clean_schema(ledger_urls.api_urlpatterns)
    paths = schema["paths"]
    assert {"/api/v1/arr-movements/", "/api/v1/arr-movements/{id}/", "/api/v1/metrics/retention/",
            "/api/v1/metrics/retention/monthly/"} <= set(paths)
    movement = schema["components"]["schemas"]["ArrMovement"]["properties"]
    assert {"account", "date", "kind", "amount"} <= set(movement)
    kind = movement["kind"]
    kind = schema["components"]["schemas"][kind["$ref"].rsplit("/", 1)[1]] if "$ref" in kind else kind
    assert set(kind["enum"]) == {"new", "expansion", "contraction", "churn", "reactivation"}
    assert "account" in {p["name"] for p in paths["/api/v1/arr-movements/"]["get"]["parameters"]}
    assert {"201", "400", "401", "403"} <= set(paths["/api/v1/arr-movements/"]["post"]["responses"])
    retention = paths["/api/v1/metrics/retention/"]["get"]
    assert {"start", "end"} <= {p["name"] for p in retention["parameters"]} and "400" in retention["responses"]
    fields = schema["components"]["schemas"]["Retention"]["properties"]
    assert set(fields) == {"starting_arr", "expansion", "contraction", "churn", "nrr", "grr", "logo_retention"}
    monthly = paths["/api/v1/metrics/retention/monthly/"]["get"]
    assert "months" in {p["name"] for p in monthly["parameters"]} and "400" in monthly["responses"]


def test_renewal_schema():
    schema = clean_schema(renewal_urls.api_urlpatterns)
    paths = schema["paths"]
    assert set(paths) == {"/api/v1/renewals/", "/api/v1/renewals/{id}/", "/api/v1/renewal-settings/"}
    assert set(paths["/api/v1/renewals/"]) == {"get", "post"}
    assert set(paths["/api/v1/renewals/{id}/"]) == {"get", "patch"}
    assert "409" in paths["/api/v1/renewals/{id}/"]["patch"]["responses"]
    fields = schema["components"]["schemas"]["Renewal"]["properties"]
    assert set(fields) == {"id", "account", "contract_end", "arr", "stage", "forecast", "forecast_reason", "outcome",
                           "renewed_arr", "churn_reason", "closed_at"}
