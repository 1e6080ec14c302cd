"""Settings > People and roles: admins only (403 for other roles, 404 for another tenant's members)."""


import pytest
from django.core import mail
from django.urls import reverse

from tenancy.models import Invitation, Membership, Role, User
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db
PAGE = reverse("settings_members")
INVITE = reverse("settings_member_invite")


def role_url(m):
    return reverse("settings_member_role", args=[m.pk])


def remove_url(m):
    return reverse("settings_member_remove", args=[m.pk])


def acme_membership(user):
    return Membership.all_tenants.get(user=user)


def test_admin_sees_members_with_roles(alice_client, member):
    carol = member(Role.CSM, email="carol@acme.example")
    page = alice_client.get(PAGE)
    assert page.status_code == 200
    html = page.content.decode()
    assert "alice@acme.example" in html and carol.email in html
    assert "bob@globex.example" not in html
    assert 'value="csm" selected' in html and "last admin" in html
    index = alice_client.get(reverse("settings")).content.decode()
    assert PAGE in index and reverse("settings_api_keys") in index


@pytest.mark.parametrize("role", [r for r in Role.values if r != Role.ADMIN])
def test_other_roles_get_403_and_change_nothing(client, member, alice, role):
    user = member(role)
    client.force_login(user)
    target = acme_membership(alice)
    assert client.get(PAGE).status_code == 403
    assert client.post(INVITE, {"email": "x@acme.example", "role": "admin"}).status_code == 403
    assert client.post(role_url(target), {"role": "viewer"}).status_code == 403
    assert client.post(remove_url(target), {}).status_code == 403
    assert b"People and roles" not in client.get(reverse("settings")).content
    assert acme_membership(alice).role == Role.ADMIN and not User.objects.filter(email="x@acme.example").exists()


def test_another_tenants_member_is_404(bob_client, alice, member):
    carol = acme_membership(member(Role.CSM))
    assert bob_client.post(role_url(carol), {"role": "admin"}).status_code == 404
    assert bob_client.post(remove_url(carol), {}).status_code == 404
    assert b"alice@acme.example" not in bob_client.get(PAGE).content
    assert Membership.all_tenants.get(pk=carol.pk).role == Role.CSM


def test_bad_invites_write_nothing(alice_client, member):
    carol = member(Role.CSM, email="carol@acme.example")
    for data, field in (
        ({"email": "not-an-email", "role": "csm"}, "email"),
        ({"email": "x@acme.example", "role": "overlord"}, "role"),
        ({"email": "CAROL@acme.example", "role": "admin"}, "email"),
    ):
        response = alice_client.post(INVITE, data)
        assert response.status_code == 400 and field in response.context["invite_form"].errors, data
    assert not User.objects.filter(email="x@acme.example").exists() and not Invitation.all_tenants.exists()
    assert acme_membership(carol).role == Role.CSM and mail.outbox == []


def test_change_role_and_remove(alice_client, member):
    carol = acme_membership(member(Role.CSM, email="carol@acme.example"))
    assert alice_client.post(role_url(carol), {"role": "vp"}).status_code == 302
    carol.refresh_from_db()
    assert carol.role == Role.VP
    assert alice_client.post(role_url(carol), {"role": "emperor"}).status_code == 302
    carol.refresh_from_db()
    assert carol.role == Role.VP
    assert alice_client.post(remove_url(carol), {}).status_code == 302
    assert not Membership.all_tenants.filter(pk=carol.pk).exists()
    assert User.objects.filter(email="carol@acme.example").exists()  # the person stays; their access goes
    assert alice_client.get(role_url(carol)).status_code == 405


def test_the_last_admin_cannot_be_demoted_or_removed(alice_client, alice):
    me = acme_membership(alice)
    response = alice_client.post(role_url(me), {"role": "viewer"}, follow=True)
    assert b"at least one admin" in response.content
    response = alice_client.post(remove_url(me), {}, follow=True)
    assert b"at least one admin" in response.content
    me.refresh_from_db()
    assert me.role == Role.ADMIN


def test_an_admin_who_steps_down_lands_on_the_dashboard(alice_client, alice, tenant):
    MembershipFactory(tenant=tenant, user=UserFactory(), role=Role.ADMIN)
    response = alice_client.post(role_url(acme_membership(alice)), {"role": "csm"})
    assert response.status_code == 302 and response["Location"] == reverse("dashboard")
    assert alice_client.get(PAGE).status_code == 403


@pytest.mark.parametrize("n", [3, 30])
def test_members_page_queries_do_not_grow(alice_client, tenant, n, django_assert_max_num_queries):
    for _ in range(n):
        MembershipFactory(tenant=tenant, user=UserFactory(), role=Role.CSM)
    with django_assert_max_num_queries(8):
        assert alice_client.get(PAGE).status_code == 200
