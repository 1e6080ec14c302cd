"""Tenancy's writes as production runs them: autocommit, real commits, the tenant row locked.

One file of the transactional test layer (described in tests/transactional_support.py): creating a
tenant (service and ``create_tenant``), members (add, role, remove), API keys (create, revoke),
tenant settings (locked ``FOR UPDATE``) and switching tenant, through the services and the pages.
"""

import re
from io import StringIO

import pytest
from django.contrib.sessions.models import Session
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from rest_framework.test import APIClient

from base.errors import DomainError
from tenancy import services
from tenancy.middleware import SESSION_TENANT_KEY
from tenancy.models import ApiKey, Invitation, Membership, Role, Tenant, User
from tests.factories import MembershipFactory
from tests.transactional_support import Boom, autocommit, boom, committed  # noqa: F401 (fixture)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("autocommit")]


def membership_of(user) -> Membership:
    return Membership.all_tenants.get(user=user)


def roles(tenant) -> dict[str, str]:
    return dict(Membership.all_tenants.filter(tenant_id=tenant.pk).values_list("user__email", "role"))


# --- tenants --------------------------------------------------------------------------------------


def test_tenant_create_commits_the_tenant_and_its_admin():
    tenant = services.tenant_create(slug="initech", name="Initech", admin_email="peter@initech.example",
                                    admin_password="tps reports forever")
    assert committed(lambda: Tenant.objects.get(pk=tenant.pk).slug) == "initech"
    assert committed(lambda: roles(tenant)) == {"peter@initech.example": Role.ADMIN}


def test_tenant_create_failing_midway_writes_nothing(monkeypatch):
    monkeypatch.setattr(services, "member_add", boom)  # after the tenant row
    with pytest.raises(Boom):
        services.tenant_create(slug="initech", name="Initech", admin_email="peter@initech.example",
                               admin_password=None)
    assert committed(lambda: Tenant.objects.filter(slug="initech").exists()) is False


def test_create_tenant_command_commits():
    call_command("create_tenant", "initech", "--name", "Initech", "--admin-email", "peter@initech.example",
                 "--admin-password", "tps reports forever", stdout=StringIO())
    assert committed(lambda: Membership.all_tenants.filter(tenant__slug="initech", role=Role.ADMIN).count()) == 1


def test_tenant_settings_lock_and_commit(tenant):
    services.tenant_update_settings(tenant=tenant, changes={"competitors": ["Glean"]})
    stale = Tenant.objects.get(pk=tenant.pk)
    services.tenant_update_settings(tenant=tenant, changes={"health_risks": {}})
    services.tenant_update_settings(tenant=stale, changes={"other": 1})
    assert committed(lambda: Tenant.objects.get(pk=tenant.pk).settings) == {
        "competitors": ["Glean"], "health_risks": {}, "other": 1}


# --- members --------------------------------------------------------------------------------------


def test_members_add_role_remove_commit(tenant, alice):
    membership = services.member_add(tenant=tenant, email="Carol@acme.example", role=Role.CSM)
    assert committed(lambda: roles(tenant)) == {"alice@acme.example": Role.ADMIN, "carol@acme.example": Role.CSM}
    services.member_set_role(membership=membership, role=Role.ADMIN)
    services.member_set_role(membership=membership_of(alice), role=Role.VIEWER)
    assert committed(lambda: roles(tenant)) == {"alice@acme.example": Role.VIEWER, "carol@acme.example": Role.ADMIN}
    with pytest.raises(DomainError):
        services.member_remove(membership=membership)  # the last admin
    services.member_remove(membership=membership_of(alice))
    assert committed(lambda: roles(tenant)) == {"carol@acme.example": Role.ADMIN}


def test_two_admins_removing_each_other_at_once_leave_one_admin(tenant, alice, member):
    """The last-admin check locks the tenant's admin rows: a second removal waits for the first to
    commit and then refuses, instead of both passing the check and leaving the tenant without an admin."""
    import threading

    from django.db import connections, transaction

    carol = member(Role.ADMIN, email="carol@acme.example")
    outcome = {}

    def remove_carol() -> None:
        try:
            services.member_remove(membership=membership_of(carol))
            outcome["removed"] = True
        except DomainError as exc:
            outcome["refused"] = str(exc)
        finally:
            connections.close_all()

    with transaction.atomic():
        services.member_remove(membership=membership_of(alice))  # not committed yet
        other = threading.Thread(target=remove_carol)
        other.start()
        other.join(timeout=1.5)  # with the lock it waits here for our commit
    other.join(timeout=30)
    assert not other.is_alive()
    assert committed(lambda: roles(tenant)) == {"carol@acme.example": Role.ADMIN}
    assert "at least one admin" in outcome.get("refused", "")


def test_member_add_failing_midway_writes_no_user(tenant, monkeypatch):
    monkeypatch.setattr(Membership.all_tenants, "get_or_create", boom)  # after the user was created
    with pytest.raises(Boom):
        services.member_add(tenant=tenant, email="carol@acme.example", role=Role.CSM)
    assert committed(lambda: User.objects.filter(email="carol@acme.example").exists()) is False


def test_member_pages_commit(alice_client, tenant, alice, client):
    r = alice_client.post(reverse("settings_member_invite"), {"email": "carol@acme.example", "role": "csm"})
    assert r.status_code == 302
    # The invitation commits; the membership only on the invited person's acceptance.
    assert committed(lambda: list(Invitation.all_tenants.values_list("email", flat=True))) == ["carol@acme.example"]
    assert "carol@acme.example" not in committed(lambda: roles(tenant))
    link = re.search(r"https?://[^/\s]+(/invitations/\S+/)", mail.outbox[-1].body).group(1)
    password = "carol's own passphrase 7"
    accepted = client.__class__().post(link, {"full_name": "Carol", "new_password1": password,
                                              "new_password2": password})
    assert accepted.status_code == 302
    assert committed(lambda: roles(tenant))["carol@acme.example"] == Role.CSM
    carol = committed(lambda: Membership.all_tenants.get(user__email="carol@acme.example"))
    r = alice_client.post(reverse("settings_member_role", args=[carol.pk]), {"role": "vp"})
    assert r.status_code == 302
    assert committed(lambda: roles(tenant))["carol@acme.example"] == Role.VP
    assert alice_client.post(reverse("settings_member_remove", args=[carol.pk])).status_code == 302
    assert committed(lambda: roles(tenant)) == {"alice@acme.example": Role.ADMIN}


# --- API keys -------------------------------------------------------------------------------------


def test_api_key_create_and_revoke_commit(tenant, alice):
    key, raw = services.api_key_create(tenant=tenant, name="Sync", scopes=["write"], actor=alice)
    assert committed(lambda: ApiKey.all_tenants.get(pk=key.pk).scopes) == ["read", "write"]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert client.get("/api/v1/accounts/").status_code == 200
    services.api_key_revoke(key=key)
    assert committed(lambda: ApiKey.all_tenants.get(pk=key.pk).revoked_at) is not None
    assert client.get("/api/v1/accounts/").status_code == 401


def test_api_key_pages_commit(alice_client, tenant):
    r = alice_client.post(reverse("settings_api_key_create"), {"name": "Sync", "scopes": ["read"]})
    assert r.status_code == 302
    key = committed(lambda: ApiKey.all_tenants.get(name="Sync"))
    assert key.revoked_at is None
    assert alice_client.post(reverse("settings_api_key_revoke", args=[key.pk])).status_code == 302
    assert committed(lambda: ApiKey.all_tenants.get(pk=key.pk).revoked_at) is not None


# --- switching tenant -----------------------------------------------------------------------------


def test_tenant_switch_commits_the_choice(client, alice, tenant, other_tenant):
    MembershipFactory(tenant=other_tenant, user=alice, role=Role.VIEWER)
    client.force_login(alice)
    r = client.post(reverse("switch_tenant"), {"tenant_id": other_tenant.pk})
    assert r.status_code == 302
    session_key = client.session.session_key
    stored = committed(lambda: Session.objects.get(session_key=session_key).get_decoded())
    assert stored[SESSION_TENANT_KEY] == other_tenant.pk
    assert client.get(reverse("accounts:list")).context["current_membership"].tenant_id == other_tenant.pk


# --- the layer itself -----------------------------------------------------------------------------


def test_the_layer_runs_without_a_wrapping_transaction(tenant):
    """What pytest-django's ordinary tests hide: a lock outside a transaction raises here, as in production."""
    from django.db.transaction import TransactionManagementError

    with pytest.raises(TransactionManagementError):
        list(Tenant.objects.select_for_update().filter(pk=tenant.pk))
