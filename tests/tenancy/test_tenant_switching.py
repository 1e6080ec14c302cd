"""A user in two tenants acts in one at a time, chosen in the session; a tenant they are not in is 404."""

from decimal import Decimal

import pytest
from django.urls import reverse

from tenancy.models import Role
from tests.factories import AccountFactory, MembershipFactory, TenantFactory

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
