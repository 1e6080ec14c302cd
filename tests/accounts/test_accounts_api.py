from decimal import Decimal

import pytest

from accounts.models import Account
from tests.factories import AccountFactory


@pytest.mark.django_db
def test_create_and_segment_boundaries(api):
    cases = [("99999.99", "mid_market"), ("100000", "enterprise"), ("25000", "mid_market"), ("24999.99", "smb"), ("0", "smb")]
    for arr, segment in cases:
        r = api.post("/api/v1/accounts/", {"name": f"A {arr}", "arr": arr}, format="json")
        assert r.status_code == 201, r.content
        assert r.json()["segment"] == segment
        assert r.json()["health_score"] is None


@pytest.mark.django_db
def test_other_tenant_account_is_404(api, other_tenant):
    theirs = AccountFactory(tenant=other_tenant)
    assert api.get(f"/api/v1/accounts/{theirs.pk}/").status_code == 404
    assert api.patch(f"/api/v1/accounts/{theirs.pk}/", {"name": "x"}, format="json").status_code == 404
    assert api.delete(f"/api/v1/accounts/{theirs.pk}/").status_code == 404
    assert api.get("/api/v1/accounts/").json()["results"] == []


@pytest.mark.django_db
def test_auth_rules(client, api_readonly, tenant):
    assert client.get("/api/v1/accounts/").status_code == 401
    client.credentials = None
    r = client.get("/api/v1/accounts/", HTTP_AUTHORIZATION="Bearer csp_deadbeef_nope")
    assert r.status_code == 401
    assert api_readonly.get("/api/v1/accounts/").status_code == 200
    assert api_readonly.post("/api/v1/accounts/", {"name": "x"}, format="json").status_code == 403


@pytest.mark.django_db
def test_bad_input_writes_nothing(api, tenant):
    r = api.post("/api/v1/accounts/", {"name": "", "arr": "-5", "csm": "nobody@x.example"}, format="json")
    assert r.status_code == 400
    body = r.json()
    assert {"name", "arr", "csm"} <= set(body)
    assert Account.all_tenants.count() == 0


@pytest.mark.django_db
def test_duplicate_external_id_is_400(api, tenant):
    AccountFactory(tenant=tenant, external_id="crm-1")
    r = api.post("/api/v1/accounts/", {"name": "B", "external_id": "crm-1"}, format="json")
    assert r.status_code == 400
    assert "external_id" in r.json()


@pytest.mark.django_db
def test_filters_and_pagination(api, tenant):
    for i in range(5):
        AccountFactory(tenant=tenant, arr=Decimal(10000 * i), external_id=f"x{i}")
    r = api.get("/api/v1/accounts/?page_size=2")
    assert len(r.json()["results"]) == 2 and r.json()["next"]
    assert api.get("/api/v1/accounts/?external_id=x3").json()["count"] == 1
    assert api.get("/api/v1/accounts/?segment=smb").json()["count"] == 3
