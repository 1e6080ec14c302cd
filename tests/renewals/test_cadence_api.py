"""/api/v1/touchpoint-cadences/: list, create, get, patch, delete; 400 writes nothing; cross-tenant 404."""

import pytest

from renewals.models import TouchpointCadence
from tests.factories import TouchpointCadenceFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/touchpoint-cadences/"
BODY = {"kind": "qbr", "scope": "segment", "match": "enterprise", "interval_count": 3, "interval_unit": "months",
        "steps": ["Pull usage trends", "Draft the agenda"]}


def test_create_get_list_patch_delete(api, tenant):
    created = api.post(URL, BODY, format="json")
    assert created.status_code == 201, created.json()
    data = created.json()
    assert data["title"] == "QBR" and data["lead_days"] == 14 and data["steps"] == BODY["steps"]
    assert data["resets_on"] == [] and data["automated"] is False and data["active"] is True
    detail = f"{URL}{data['id']}/"
    assert api.get(detail).json()["match"] == "enterprise"
    assert [c["id"] for c in api.get(URL).json()["results"]] == [data["id"]]
    patched = api.patch(detail, {"interval_count": 6, "lead_days": 30, "resets_on": ["qbr", "meeting"]}, format="json")
    assert patched.status_code == 200, patched.json()
    assert (patched.json()["interval_count"], patched.json()["lead_days"]) == (6, 30)
    assert patched.json()["steps"] == BODY["steps"]  # untouched by a partial edit
    assert api.delete(detail).status_code == 204
    assert not TouchpointCadence.all_tenants.exists()


@pytest.mark.parametrize(("change", "field"), [
    ({"kind": "weekly"}, "kind"),
    ({"kind": "custom"}, "label"),
    ({"match": "gold"}, "match"),
    ({"interval_count": 0}, "interval_count"),
    ({"interval_count": 200, "interval_unit": "months"}, "interval_count"),
    ({"interval_unit": "weeks"}, "interval_unit"),
    ({"steps": "not a list"}, "steps"),
    ({"steps": ["x" * 201]}, "steps"),
    ({"resets_on": ["system"]}, "resets_on"),
    ({"lead_days": -2}, "lead_days"),
])
def test_bad_input_is_400_naming_the_field_and_writes_nothing(api, change, field):
    response = api.post(URL, {**BODY, **change}, format="json")
    assert response.status_code == 400 and field in response.json(), response.json()
    assert not TouchpointCadence.all_tenants.exists()


def test_bad_patch_writes_nothing_and_duplicates_are_refused(api, tenant):
    cadence = TouchpointCadenceFactory(tenant=tenant)
    TouchpointCadenceFactory(tenant=tenant, match="mid_market")
    response = api.patch(f"{URL}{cadence.pk}/", {"interval_count": 2, "match": "mid_market"}, format="json")
    assert response.status_code == 400 and "match" in response.json()
    cadence.refresh_from_db()
    assert (cadence.interval_count, cadence.match) == (3, "enterprise")


def test_read_only_key_may_read_not_write(api_readonly, tenant):
    cadence = TouchpointCadenceFactory(tenant=tenant)
    assert api_readonly.get(URL).status_code == 200
    assert api_readonly.post(URL, BODY, format="json").status_code == 403
    assert api_readonly.patch(f"{URL}{cadence.pk}/", {"interval_count": 1}, format="json").status_code == 403
    assert api_readonly.delete(f"{URL}{cadence.pk}/").status_code == 403


def test_another_tenants_cadence_is_404_and_not_listed(api, other_tenant):
    cadence = TouchpointCadenceFactory(tenant=other_tenant)
    assert api.get(URL).json()["results"] == []
    for method in ("get", "patch", "delete"):
        assert getattr(api, method)(f"{URL}{cadence.pk}/", {}, format="json").status_code == 404
    cadence.refresh_from_db()
    assert TouchpointCadence.all_tenants.count() == 1


def test_schema_describes_the_route(api):
    schema = api.get("/api/v1/schema/?format=json").json()
    assert "/api/v1/touchpoint-cadences/{id}/" in schema["paths"]
