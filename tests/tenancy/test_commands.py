"""create_tenant and create_api_key: what they create, their errors, and that the printed key works."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from tenancy.models import ApiKey, Membership, Role, Tenant

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_create_tenant(client):
    output = run("create_tenant", "initech", "--name", "Initech", "--admin-email", "Peter@Initech.example",
                 "--admin-password", "tps reports forever", "--timezone", "America/Chicago", "--currency", "EUR")
    tenant = Tenant.objects.get(slug="initech")
    assert "initech" in output and (tenant.name, tenant.timezone, tenant.currency) == ("Initech", "America/Chicago", "EUR")
    membership = Membership.all_tenants.get(tenant=tenant)
    assert membership.role == Role.ADMIN and membership.user.email == "peter@initech.example"
    assert client.login(username="peter@initech.example", password="tps reports forever")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["Bad Slug"], "Slug"),
        (["initech", "--timezone", "Mars/Olympus"], "time zone"),
        (["initech", "--currency", "euro"], "Currency"),
    ],
)
def test_create_tenant_errors(args, message):
    slug, *rest = args
    with pytest.raises(CommandError, match=message):
        run("create_tenant", slug, "--name", "X", "--admin-email", "a@x.example", "--admin-password", "pw pw pw pw", *rest)
    assert not Tenant.objects.exists()


def test_create_tenant_twice_is_refused(tenant):
    with pytest.raises(CommandError, match="already exists"):
        run("create_tenant", "acme", "--name", "X", "--admin-email", "a@x.example", "--admin-password", "pw pw pw pw")


def test_create_api_key_prints_the_key_alone_on_the_last_line_and_it_authenticates(tenant):
    output = run("create_api_key", "acme", "--name", "CRM sync", "--scopes", "read,write")
    raw = output.strip().splitlines()[-1]
    assert raw.startswith("csp_") and " " not in raw
    key = ApiKey.all_tenants.get(tenant=tenant)
    assert key.name == "CRM sync" and key.scopes == ["read", "write"] and key.key_hash != raw
    assert raw not in output.strip().splitlines()[0]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert client.get("/api/v1/accounts/").status_code == 200
    assert client.post("/api/v1/accounts/", {"name": "Via CLI key"}, format="json").status_code == 201


def test_create_read_only_api_key(tenant):
    raw = run("create_api_key", "acme", "--scopes", "read").strip().splitlines()[-1]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert client.get("/api/v1/accounts/").status_code == 200
    assert client.post("/api/v1/accounts/", {"name": "x"}, format="json").status_code == 403


def test_create_api_key_errors(tenant):
    with pytest.raises(CommandError, match="No tenant"):
        run("create_api_key", "nope")
    with pytest.raises(CommandError, match="Scopes"):
        run("create_api_key", "acme", "--scopes", "admin")
    assert not ApiKey.all_tenants.exists()


def test_create_tenant_with_an_existing_users_email_adds_the_membership_and_keeps_their_password(client, bob):
    output = run("create_tenant", "initech", "--name", "Initech", "--admin-email", "BOB@globex.example",
                 "--admin-password", "a password an attacker chose")
    bob.refresh_from_db()
    assert bob.check_password("correct horse battery staple") and not bob.check_password("a password an attacker chose")
    initech = Tenant.objects.get(slug="initech")
    assert Membership.all_tenants.get(tenant=initech, user=bob).role == Role.ADMIN
    assert Membership.all_tenants.filter(user=bob).count() == 2
    assert "already exists" in output and "password was not changed" in output
    assert client.login(username="bob@globex.example", password="correct horse battery staple")


def test_create_tenant_for_an_existing_user_needs_no_password(bob):
    output = run("create_tenant", "initech", "--name", "Initech", "--admin-email", "bob@globex.example")
    assert "password was not changed" in output
    assert Membership.all_tenants.filter(user=bob, tenant__slug="initech").exists()


def test_create_tenant_for_a_new_user_needs_a_password():
    with pytest.raises(CommandError, match="--admin-password"):
        run("create_tenant", "initech", "--name", "Initech", "--admin-email", "new@initech.example")
    assert not Tenant.objects.exists()
