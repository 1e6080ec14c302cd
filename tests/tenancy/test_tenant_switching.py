"""A user in two tenants acts in one at a time, chosen in the session; a tenant they are not in is 404."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from tenancy.models import Role
from tests.factories import AccountFactory, MembershipFactory, TenantFactory
from tests.factories.tenancy import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_tenant_user(alice, other_tenant):
    MembershipFactory(tenant=other_tenant, user=alice, role=Role.VIEWER)
    return alice


def test_switching_tenants(client, two_tenant_user, tenant, other_tenant):
    AccountFactory(tenant=tenant, name="Acme account", arr=Decimal("1"))
    AccountFactory(tenant=other_tenant, name="Globex account", arr=Decimal("1"))
    client.force_login(two_tenant_user)
    page = client.get(reverse("accounts:list"))
    assert b"Acme account" in page.content and b"Globex account" not in page.content  # first by name: Acme
    assert b'id="tenant-switch"' in page.content
    response = client.post(reverse("switch_tenant"), {"tenant_id": other_tenant.pk})
    assert response.status_code == 302 and response["Location"] == reverse("dashboard")
    page = client.get(reverse("accounts:list"))
    assert b"Globex account" in page.content and b"Acme account" not in page.content
    assert page.context["current_membership"].role == Role.VIEWER
    assert client.get(reverse("accounts:create")).status_code == 403  # a viewer there
    client.post(reverse("switch_tenant"), {"tenant_id": tenant.pk})
    assert b"Acme account" in client.get(reverse("accounts:list")).content


def test_switching_to_a_tenant_you_are_not_in_is_404(alice_client, other_tenant, tenant):
    stranger = TenantFactory(slug="initech", name="Initech")
    assert alice_client.post(reverse("switch_tenant"), {"tenant_id": stranger.pk}).status_code == 404
    assert alice_client.post(reverse("switch_tenant"), {"tenant_id": other_tenant.pk}).status_code == 404
    assert alice_client.post(reverse("switch_tenant"), {"tenant_id": "abc"}).status_code == 404
    assert alice_client.get(reverse("switch_tenant")).status_code == 405
    assert alice_client.get(reverse("dashboard")).context["current_tenant"] == tenant


def test_a_stale_session_tenant_falls_back_to_a_membership(client, two_tenant_user, other_tenant, tenant):
    from tenancy.models import Membership

    client.force_login(two_tenant_user)
    client.post(reverse("switch_tenant"), {"tenant_id": other_tenant.pk})
    Membership.all_tenants.filter(tenant=other_tenant, user=two_tenant_user).delete()
    assert client.get(reverse("dashboard")).context["current_tenant"] == tenant


def test_a_user_without_membership_sees_an_explanation(client):
    from tests.factories import UserFactory

    client.force_login(UserFactory())
    response = client.get(reverse("dashboard"))
    assert response.status_code == 403 and b"No workspace yet" in response.content


def sign_in(client, email):
    response = client.post(reverse("login"), {"username": email, "password": PASSWORD})
    assert response.status_code == 302, response.content[:500]


def test_signing_in_lands_in_the_tenant_used_last(client, two_tenant_user, tenant, other_tenant):
    sign_in(client, "alice@acme.example")
    assert client.get(reverse("dashboard")).context["current_tenant"] == tenant  # never used: first by name
    client.post(reverse("switch_tenant"), {"tenant_id": other_tenant.pk})
    client.post(reverse("logout"))
    sign_in(client, "alice@acme.example")
    assert client.get(reverse("dashboard")).context["current_tenant"] == other_tenant
    # In another browser too (a fresh session): it is remembered on the membership, not in a cookie.
    elsewhere = client.__class__()
    sign_in(elsewhere, "alice@acme.example")
    assert elsewhere.get(reverse("dashboard")).context["current_tenant"] == other_tenant


def test_switching_and_signing_in_record_when_a_membership_was_last_used(client, two_tenant_user, tenant, other_tenant):
    from tenancy.models import Membership

    with time_machine.travel("2026-03-02 09:00Z", tick=False):
        sign_in(client, "alice@acme.example")
    acme = Membership.all_tenants.get(user=two_tenant_user, tenant=tenant)
    assert acme.last_used_at == datetime(2026, 3, 2, 9, tzinfo=UTC)
    with time_machine.travel("2026-03-02 09:30Z", tick=False):
        client.post(reverse("switch_tenant"), {"tenant_id": other_tenant.pk})
    globex = Membership.all_tenants.get(user=two_tenant_user, tenant=other_tenant)
    assert globex.last_used_at == datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
    client.post(reverse("logout"))
    with time_machine.travel("2026-03-03 08:00Z", tick=False):
        sign_in(client, "alice@acme.example")
    globex.refresh_from_db()
    acme.refresh_from_db()
    assert globex.last_used_at == datetime(2026, 3, 3, 8, tzinfo=UTC)
    assert acme.last_used_at == datetime(2026, 3, 2, 9, tzinfo=UTC)
