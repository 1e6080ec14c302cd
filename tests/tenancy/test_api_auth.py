"""API authentication: no key, bad key, revoked key -> 401; read-only key writing -> 403; last use recorded."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from rest_framework.test import APIClient

from tenancy.context import current_tenant_or_none
from tenancy.models import ApiKey
from tenancy.services import api_key_create, api_key_revoke
from tests.factories import make_api_key

pytestmark = pytest.mark.django_db


def key_client(raw: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


@pytest.mark.parametrize(
    "header",
    [None, "Bearer", "Bearer csp_nothere_secret", "Bearer not-a-key", "Basic dXNlcjpwYXNz", "Bearer a b"],
)
def test_missing_or_bad_credentials_are_401(header, tenant):
    client = APIClient()
    if header:
        client.credentials(HTTP_AUTHORIZATION=header)
    response = client.get("/api/v1/accounts/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"


def test_right_prefix_wrong_secret_is_401(tenant):
    _, raw = api_key_create(tenant=tenant, name="k", scopes=["read"])
    prefix = raw.split("_")[1]
    assert key_client(f"csp_{prefix}_wrongsecret").get("/api/v1/accounts/").status_code == 401


def test_revoked_key_is_401_and_revoking_twice_changes_nothing(tenant):
    key, raw = api_key_create(tenant=tenant, name="k", scopes=["read", "write"])
    client = key_client(raw)
    assert client.get("/api/v1/accounts/").status_code == 200
    revoked_at = api_key_revoke(key=key).revoked_at
    assert revoked_at is not None
    assert api_key_revoke(key=key).revoked_at == revoked_at
    assert client.get("/api/v1/accounts/").status_code == 401
    assert client.post("/api/v1/accounts/", {"name": "x"}, format="json").status_code == 401


def test_read_only_key_writing_is_403(api_readonly):
    assert api_readonly.get("/api/v1/accounts/").status_code == 200
    for method in ("post", "patch", "delete"):
        response = getattr(api_readonly, method)("/api/v1/accounts/1/" if method != "post" else "/api/v1/accounts/",
                                                 {"name": "x"}, format="json")
        assert response.status_code in (403, 405), method
        assert response.status_code == 403 or method != "post"


def test_write_implies_read_and_bad_scopes_are_refused(tenant):
    from base.errors import DomainError

    key, _ = api_key_create(tenant=tenant, name="k", scopes=["write"])
    assert key.scopes == ["read", "write"]
    for scopes in ([], ["admin"], ["read", "root"]):
        with pytest.raises(DomainError):
            api_key_create(tenant=tenant, name="k", scopes=scopes)


def test_keys_are_stored_hashed_and_last_use_recorded_once_a_minute(tenant):
    key, raw = api_key_create(tenant=tenant, name="k", scopes=["read"])
    assert raw not in (key.key_hash, key.prefix) and key.key_hash == ApiKey.hash_secret(raw)
    client = key_client(raw)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client.get("/api/v1/accounts/")
    key.refresh_from_db()
    assert key.last_used_at == start
    with time_machine.travel(start + timedelta(seconds=30), tick=False):
        client.get("/api/v1/accounts/")
    key.refresh_from_db()
    assert key.last_used_at == start
    with time_machine.travel(start + timedelta(minutes=2), tick=False):
        client.get("/api/v1/accounts/")
    key.refresh_from_db()
    assert key.last_used_at == start + timedelta(minutes=2)


def test_the_tenant_does_not_leak_after_a_request(api):
    assert api.get("/api/v1/accounts/").status_code == 200
    assert current_tenant_or_none() is None


def test_the_bearer_scheme_is_case_insensitive(tenant):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"bearer {make_api_key(tenant)}")
    assert client.get("/api/v1/accounts/").status_code == 200


def test_session_without_membership_is_401_and_session_writes_need_csrf(alice, tenant):
    from django.test import Client

    from tests.factories import UserFactory

    outsider = Client()
    outsider.force_login(UserFactory())
    assert outsider.get("/api/v1/accounts/").status_code == 401
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(alice)
    assert strict.get("/api/v1/accounts/").status_code == 200
    response = strict.post("/api/v1/accounts/", {"name": "No token"}, content_type="application/json")
    assert response.status_code == 403 and "CSRF" in response.json()["detail"]
