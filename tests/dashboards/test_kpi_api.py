"""/api/v1/kpi-targets/: list, create, get, patch, delete; 400 names the field and writes nothing; a read-only
key reads only; another tenant's target is 404; described in the OpenAPI schema."""

from __future__ import annotations

from decimal import Decimal

import pytest

from dashboards.models import KpiTarget
from tests.factories import KpiTargetFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/kpi-targets/"


def test_create_get_list_patch_delete(api, tenant):
    created = api.post(URL, {"metric": "time_to_value_days", "target": "30", "note": "Handbook"}, format="json")
    assert created.status_code == 201, created.json()
    data = created.json()
    assert data["comparator"] == "at_most"  # the KPI's usual direction when none is given
    assert (data["target"], data["label"], data["unit"]) == ("30.00", "Time to value (median)", "days")
    detail = f"{URL}{data['id']}/"
    assert api.get(detail).json()["metric"] == "time_to_value_days"
    assert [t["id"] for t in api.get(URL).json()["results"]] == [data["id"]]
    patched = api.patch(detail, {"target": "45.5"}, format="json")
    assert patched.status_code == 200 and patched.json()["target"] == "45.50"
    assert patched.json()["note"] == "Handbook"  # untouched by a partial edit
    assert api.delete(detail).status_code == 204
    assert not KpiTarget.all_tenants.exists()


@pytest.mark.parametrize(("change", "field"), [
    ({"metric": "vibes"}, "metric"),
    ({"comparator": "about"}, "comparator"),
    ({"target": "abc"}, "target"),
    ({"target": "101"}, "target"),  # GRR is at most 100%
    ({"target": "-1"}, "target"),
    ({"target": "95.001"}, "target"),
    ({"note": "x" * 201}, "note"),
    ({"metric": None}, "metric"),
])
def test_bad_input_is_400_naming_the_field_and_writes_nothing(api, change, field):
    response = api.post(URL, {"metric": "grr", "comparator": "at_least", "target": "95", **change}, format="json")
    assert response.status_code == 400 and field in response.json(), response.json()
    assert not KpiTarget.all_tenants.exists()


def test_one_target_per_metric(api, tenant):
    KpiTargetFactory(tenant=tenant, metric="nps", target=Decimal("50"))
    other = KpiTargetFactory(tenant=tenant, metric="csat", target=Decimal("4.5"))
    assert api.post(URL, {"metric": "nps", "target": "60"}, format="json").status_code == 400
    response = api.patch(f"{URL}{other.pk}/", {"metric": "nps"}, format="json")
    assert response.status_code == 400 and "metric" in response.json()
    other.refresh_from_db()
    assert other.metric == "csat"


def test_csat_bounds_are_its_scale(api):
    assert api.post(URL, {"metric": "csat", "target": "6"}, format="json").status_code == 400
    assert api.post(URL, {"metric": "csat", "target": "4.5"}, format="json").status_code == 201


def test_read_only_key_may_read_not_write(api_readonly, tenant):
    target = KpiTargetFactory(tenant=tenant)
    assert api_readonly.get(URL).status_code == 200
    assert api_readonly.get(f"{URL}{target.pk}/").status_code == 200
    assert api_readonly.post(URL, {"metric": "grr", "target": "95"}, format="json").status_code == 403
    assert api_readonly.patch(f"{URL}{target.pk}/", {"target": "1"}, format="json").status_code == 403
    assert api_readonly.delete(f"{URL}{target.pk}/").status_code == 403
    target.refresh_from_db()
    assert target.target == Decimal("115.00")


def test_another_tenants_target_is_404_and_not_listed(api, other_tenant):
    theirs = KpiTargetFactory(tenant=other_tenant)
    assert api.get(URL).json()["results"] == []
    for method in ("get", "patch", "delete"):
        assert getattr(api, method)(f"{URL}{theirs.pk}/", {"target": "1"}, format="json").status_code == 404
    theirs.refresh_from_db()
    assert theirs.target == Decimal("115.00")


def test_list_query_count_is_constant(api, tenant, django_assert_max_num_queries):
    for metric in ("nrr", "grr", "nps", "csat", "avg_health"):
        KpiTargetFactory(tenant=tenant, metric=metric, target=Decimal("1"))
    with django_assert_max_num_queries(6):
        assert len(api.get(URL).json()["results"]) == 5


def test_schema_describes_the_routes(api):
    schema = api.get("/api/v1/schema/?format=json").json()
    assert {"/api/v1/kpi-targets/", "/api/v1/kpi-targets/{id}/"} <= set(schema["paths"])
    item = schema["paths"]["/api/v1/kpi-targets/{id}/"]
    assert {"get", "patch", "delete"} <= set(item)
