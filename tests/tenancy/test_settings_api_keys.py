"""Settings > API keys: list, create (raw key shown once), revoke. Admins only; another tenant's key is 404."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from tenancy.models import ApiKey, Role
from tenancy.services import api_key_create

pytestmark = pytest.mark.django_db
PAGE = reverse("settings_api_keys")
CREATE = reverse("settings_api_key_create")
CREATED = reverse("settings_api_key_created")


def revoke_url(key):
    return reverse("settings_api_key_revoke", args=[key.pk])


def test_create_shows_the_key_once_and_it_works(alice_client, alice, tenant):
    response = alice_client.post(CREATE, {"name": "Salesforce sync", "scopes": ["read", "write"]})
    assert response.status_code == 302 and response["Location"] == CREATED
    shown = alice_client.get(CREATED)
    assert shown.status_code == 200 and "no-store" in shown["Cache-Control"]
    raw = shown.context["raw_key"]
    assert raw.encode() in shown.content and raw.startswith("csp_")
    key = ApiKey.all_tenants.get(tenant=tenant)
    assert (key.name, key.scopes, key.created_by) == ("Salesforce sync", ["read", "write"], alice)
    # Never again: not on a reload, not in the list.
    again = alice_client.get(CREATED)
    assert again.status_code == 302 and again["Location"] == PAGE
    listing = alice_client.get(PAGE)
    assert raw.encode() not in listing.content and key.prefix.encode() in listing.content
    assert b"Salesforce sync" in listing.content and b"alice@acme.example" in listing.content
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert client.post("/api/v1/accounts/", {"name": "Made by key"}, format="json").status_code == 201


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


def test_another_tenants_new_key_is_not_shown_from_a_forged_session(client, alice, bob, tenant):
    key, raw = api_key_create(tenant=tenant, name="Acme key", scopes=["read"])
    client.force_login(bob)
    session = client.session
    session["new_api_key"] = {"id": key.pk, "raw": raw}
    session.save()
    assert client.get(CREATED).status_code == 302


@pytest.mark.parametrize("role", [r for r in Role.values if r != Role.ADMIN])
def test_other_roles_get_403(client, member, tenant, role):
    key, _ = api_key_create(tenant=tenant, name="Acme key", scopes=["read"])
    client.force_login(member(role))
    assert client.get(PAGE).status_code == 403
    assert client.post(CREATE, {"name": "x", "scopes": ["read"]}).status_code == 403
    assert client.post(revoke_url(key)).status_code == 403
    assert client.get(CREATED).status_code == 403
    assert ApiKey.all_tenants.count() == 1 and ApiKey.all_tenants.get().revoked_at is None


def test_anonymous_is_sent_to_login(client):
    response = client.get(PAGE)
    assert response.status_code == 302 and "/login/" in response["Location"]


@pytest.mark.parametrize("n", [3, 30])
def test_keys_page_queries_do_not_grow(alice_client, alice, tenant, n, django_assert_max_num_queries):
    for i in range(n):
        api_key_create(tenant=tenant, name=f"k{i}", scopes=["read"], created_by=alice)
    with django_assert_max_num_queries(8):
        assert alice_client.get(PAGE).status_code == 200
