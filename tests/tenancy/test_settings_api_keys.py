"""Settings > API keys: list, create (raw key shown once), revoke. Admins only; another tenant's key is 404."""

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.urls import reverse
from rest_framework.test import APIClient

from tenancy.models import ApiKey, ApiKeyReveal, Role
from tenancy.services import api_key_create

pytestmark = pytest.mark.django_db
PAGE = reverse("settings_api_keys")
CREATE = reverse("settings_api_key_create")
CREATED_PREFIX = "/settings/api-keys/created/"


def revoke_url(key):
    return reverse("settings_api_key_revoke", args=[key.pk])


def created_url(response) -> str:
    assert response.status_code == 302, response.status_code
    location = response["Location"]
    assert location.startswith(CREATED_PREFIX) and len(location) > len(CREATED_PREFIX) + 30, location
    return location


def test_create_shows_the_key_once_and_it_works(alice_client, alice, tenant):
    response = alice_client.post(CREATE, {"name": "Salesforce sync", "scopes": ["read", "write"]})
    url = created_url(response)
    shown = alice_client.get(url)
    assert shown.status_code == 200 and "no-store" in shown["Cache-Control"]
    raw = shown.context["raw_key"]
    assert raw.encode() in shown.content and raw.startswith("csp_")
    key = ApiKey.all_tenants.get(tenant=tenant)
    assert (key.name, key.scopes, key.created_by) == ("Salesforce sync", ["read", "write"], alice)
    # Never again: not on a reload, not in the list.
    again = alice_client.get(url)
    assert again.status_code == 302 and again["Location"] == PAGE
    assert not ApiKeyReveal.all_tenants.exists()  # deleted on read
    listing = alice_client.get(PAGE)
    assert raw.encode() not in listing.content and key.prefix.encode() in listing.content
    assert b"Salesforce sync" in listing.content and b"alice@acme.example" in listing.content
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert client.post("/api/v1/accounts/", {"name": "Made by key"}, format="json").status_code == 201


def _stored_text() -> str:
    """Everything the server holds between the redirect and the reveal: sessions and pending reveals."""
    sessions = [f"{s.session_data} {s.get_decoded()}" for s in Session.objects.all()]
    reveals = [f"{r.token_hash} {bytes(r.sealed)!r} {bytes(r.sealed).hex()}" for r in ApiKeyReveal.all_tenants.all()]
    return "\n".join(sessions + reveals)


def test_the_new_key_is_never_in_the_session_nor_stored_in_clear(alice_client, tenant):
    url = created_url(alice_client.post(CREATE, {"name": "Sync", "scopes": ["read"]}))
    held = _stored_text()
    raw = alice_client.get(url).context["raw_key"]
    # The key is csp_<prefix>_<secret>; the secret itself may hold "_" (URL-safe base64), so split twice only.
    assert raw not in held and raw.split("_", 2)[2] not in held
    assert ApiKeyReveal.all_tenants.count() == 0


def test_a_reveal_is_only_for_the_member_who_created_the_key(alice_client, client, tenant, member):
    url = created_url(alice_client.post(CREATE, {"name": "Sync", "scopes": ["read"]}))
    other_admin = member(Role.ADMIN, email="second.admin@acme.example")
    intruder = client.__class__()
    intruder.force_login(other_admin)
    assert intruder.get(url).status_code == 302  # not theirs: nothing shown
    assert ApiKeyReveal.all_tenants.count() == 1  # and not spent: its creator still sees it
    assert alice_client.get(url).status_code == 200


def test_a_reveal_expires(alice_client, tenant):
    with time_machine.travel("2026-03-02 10:00Z", tick=False):
        url = created_url(alice_client.post(CREATE, {"name": "Sync", "scopes": ["read"]}))
    with time_machine.travel("2026-03-02 10:11Z", tick=False):
        response = alice_client.get(url)
    assert response.status_code == 302 and response["Location"] == PAGE
    assert not ApiKeyReveal.all_tenants.exists()


def test_a_forged_or_unknown_token_shows_nothing(alice_client):
    assert alice_client.get(CREATED_PREFIX + "x" * 43 + "/").status_code == 302


def test_revoke(alice_client, tenant):
    key, raw = api_key_create(tenant=tenant, name="Old", scopes=["read"])
    response = alice_client.post(revoke_url(key))
    assert response.status_code == 302
    key.refresh_from_db()
    assert key.revoked_at is not None
    assert b"revoked" in alice_client.get(PAGE).content
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert client.get("/api/v1/accounts/").status_code == 401
    assert alice_client.get(revoke_url(key)).status_code == 405


def test_bad_input_creates_nothing(alice_client):
    for data in ({"name": "", "scopes": ["read"]}, {"name": "No scopes"}, {"name": "Root", "scopes": ["admin"]}):
        response = alice_client.post(CREATE, data)
        assert response.status_code == 400 and response.context["form"].errors, data
    assert not ApiKey.all_tenants.exists()


def test_another_tenants_key_is_404_and_not_listed(bob_client, tenant):
    key, _ = api_key_create(tenant=tenant, name="Acme key", scopes=["read"])
    assert bob_client.post(revoke_url(key)).status_code == 404
    assert b"Acme key" not in bob_client.get(PAGE).content
    key.refresh_from_db()
    assert key.revoked_at is None


def test_another_tenants_reveal_is_not_shown(alice_client, bob, tenant):
    url = created_url(alice_client.post(CREATE, {"name": "Acme key", "scopes": ["read"]}))
    alice_client.force_login(bob)
    assert alice_client.get(url).status_code == 302
    assert ApiKeyReveal.all_tenants.count() == 1


@pytest.mark.parametrize("role", [r for r in Role.values if r != Role.ADMIN])
def test_other_roles_get_403(client, member, tenant, role):
    key, _ = api_key_create(tenant=tenant, name="Acme key", scopes=["read"])
    client.force_login(member(role))
    assert client.get(PAGE).status_code == 403
    assert client.post(CREATE, {"name": "x", "scopes": ["read"]}).status_code == 403
    assert client.post(revoke_url(key)).status_code == 403
    assert client.get(CREATED_PREFIX + "x" * 43 + "/").status_code == 403
    assert ApiKey.all_tenants.count() == 1 and ApiKey.all_tenants.get().revoked_at is None


def test_anonymous_is_sent_to_login(client):
    response = client.get(PAGE)
    assert response.status_code == 302 and "/login/" in response["Location"]


@pytest.mark.parametrize("n", [3, 30])
def test_keys_page_queries_do_not_grow(alice_client, alice, tenant, n, django_assert_max_num_queries):
    for i in range(n):
        api_key_create(tenant=tenant, name=f"k{i}", scopes=["read"], actor=alice)
    with django_assert_max_num_queries(8):
        assert alice_client.get(PAGE).status_code == 200
