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


@pytest.mark.django_db
def test_revoked_key_is_401(tenant):
    from rest_framework.test import APIClient

    from tenancy.models import ApiKey
    from tenancy.services import api_key_revoke
    from tests.factories import make_api_key

    raw = make_api_key(tenant)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert client.get("/api/v1/accounts/").status_code == 200
    api_key_revoke(key=ApiKey.all_tenants.get(prefix=raw.split("_")[1]))
    assert client.get("/api/v1/accounts/").status_code == 401
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}x")
    assert client.get("/api/v1/accounts/").status_code == 401
    client.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
    assert client.get("/api/v1/accounts/").status_code == 401


@pytest.mark.django_db
def test_session_roles_on_the_api(client, member, tenant):
    """The browser's own API calls act as the member: a viewer reads but may not write."""
    client.force_login(member(role="viewer"))
    assert client.get("/api/v1/accounts/").status_code == 200
    assert client.post("/api/v1/accounts/", {"name": "x"}, content_type="application/json").status_code == 403
    client.force_login(member(role="csm"))
    assert client.post("/api/v1/accounts/", {"name": "x"}, content_type="application/json").status_code == 201
    assert Account.all_tenants.count() == 1


@pytest.mark.django_db
def test_update_and_delete(api, tenant, member):
    csm = member(role="csm", email="csm@acme.example")
    account = AccountFactory(tenant=tenant)
    r = api.patch(f"/api/v1/accounts/{account.pk}/", {"csm": "CSM@acme.example", "arr": "120000"}, format="json")
    assert r.status_code == 200 and r.json()["csm"] == csm.email and r.json()["segment"] == "enterprise"
    r = api.patch(f"/api/v1/accounts/{account.pk}/", {"arr": "-1"}, format="json")
    assert r.status_code == 400
    account.refresh_from_db()
    assert account.arr == Decimal("120000")
    assert api.delete(f"/api/v1/accounts/{account.pk}/").status_code == 204
    assert not Account.all_tenants.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("n", [5, 50])
def test_list_and_detail_queries_do_not_grow(api, tenant, member, n, django_assert_max_num_queries):
    csm = member(role="csm")
    accounts = AccountFactory.create_batch(n, tenant=tenant, csm=csm)
    with django_assert_max_num_queries(5):
        assert api.get("/api/v1/accounts/", {"page_size": 100}).json()["count"] == n
    with django_assert_max_num_queries(4):
        assert api.get(f"/api/v1/accounts/{accounts[-1].pk}/").status_code == 200


@pytest.mark.django_db
def test_a_negative_employee_count_must_be_zero_or_more(api):
    response = api.post("/api/v1/accounts/", {"name": "Neg", "employee_count": -5}, format="json")
    assert response.status_code == 400
    assert response.json() == {"employee_count": ["Must be zero or more."]}
    assert not Account.all_tenants.exists()
