"""Invitations: an admin invites by email; the person becomes a member only by accepting the emailed,
signed, expiring link (signing in as the invited email, or choosing a password when new). Pending
invitations are listed on the People page and revocable there."""

import re

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from tenancy.models import Invitation, Membership, Role, User
from tests.factories import UserFactory
from tests.factories.tenancy import PASSWORD

pytestmark = pytest.mark.django_db
PAGE = reverse("settings_members")
INVITE = reverse("settings_member_invite")


def invite(admin_client, email, role="viewer", **extra):
    response = admin_client.post(INVITE, {"email": email, "role": role, **extra})
    assert response.status_code == 302 and response["Location"] == PAGE, response.content[:800]
    return link_in(mail.outbox[-1])


def pending(admin_client) -> str:
    """The pending-invitations table of the People page."""
    html = admin_client.get(PAGE).content.decode()
    return html.split('id="pending-invitations"', 1)[1].split("</table>", 1)[0]


def link_in(message) -> str:
    return re.search(r"https?://[^/\s]+(/invitations/\S+/)", message.body).group(1)


def test_inviting_another_tenants_user_adds_nothing_until_they_accept(alice_client, bob, tenant, client):
    link = invite(alice_client, "bob@globex.example", role="viewer")
    # Without bob's consent nothing changes: no membership, no access, his password untouched.
    assert not Membership.all_tenants.filter(tenant=tenant, user=bob).exists()
    bob.refresh_from_db()
    assert bob.check_password(PASSWORD)
    [message] = mail.outbox
    assert message.to == ["bob@globex.example"] and "Alice Admin invited you to Acme Corp" == message.subject
    assert "Viewer" in message.body and "expires" in message.body
    # Listed as pending on the People page, not as a member.
    assert "bob@globex.example" in pending(alice_client)
    # Bob opens the link signed out: asked to sign in; after signing in he sees the offer and accepts.
    bob_browser = client.__class__()
    offer = bob_browser.get(link)
    assert offer.status_code == 200 and b"Sign in to accept" in offer.content
    signed_in = bob_browser.post(f"{reverse('login')}?next={link}", {"username": bob.email, "password": PASSWORD,
                                                                        "next": link})
    assert signed_in.status_code == 302 and signed_in["Location"] == link
    assert b"Join Acme Corp" in bob_browser.get(link).content
    assert not Membership.all_tenants.filter(tenant=tenant, user=bob).exists()
    accepted = bob_browser.post(link)
    assert accepted.status_code == 302 and accepted["Location"] == reverse("dashboard")
    assert Membership.all_tenants.get(tenant=tenant, user=bob).role == Role.VIEWER
    assert bob_browser.get(reverse("dashboard")).context["current_tenant"] == tenant  # lands in the new tenant
    # Once: the link is spent and no longer listed.
    assert bob_browser.get(link).status_code == 404
    assert "bob@globex.example" not in pending(alice_client)


def test_a_new_person_accepts_by_choosing_a_password(alice_client, tenant, client):
    link = invite(alice_client, "New.Person@Acme.example", role="csm", full_name="New Person")
    assert not User.objects.filter(email="new.person@acme.example").exists()
    anonymous = client.__class__()
    page = anonymous.get(link)
    assert page.status_code == 200 and b"Choose your password" in page.content
    weak = anonymous.post(link, {"full_name": "New Person", "new_password1": "12345678", "new_password2": "12345678"})
    assert weak.status_code == 400 and not User.objects.filter(email="new.person@acme.example").exists()
    password = "my own new passphrase 7"
    done = anonymous.post(link, {"full_name": "New Person", "new_password1": password, "new_password2": password})
    assert done.status_code == 302 and done["Location"] == reverse("dashboard")
    user = User.objects.get(email="new.person@acme.example")
    assert user.full_name == "New Person" and Membership.all_tenants.get(tenant=tenant, user=user).role == Role.CSM
    assert anonymous.get(reverse("overview")).status_code == 200  # signed in (a CSM: "/" leads to their book)
    assert client.__class__().login(username="new.person@acme.example", password=password)


def test_someone_else_signed_in_cannot_accept(alice_client, bob, tenant, client, member):
    link = invite(alice_client, "bob@globex.example")
    carol = member(Role.CSM, email="carol@acme.example")
    other = client.__class__()
    other.force_login(carol)
    page = other.get(link)
    assert page.status_code == 200 and b"for bob@globex.example" in page.content and b'type="submit">Join' not in page.content
    assert other.post(link).status_code == 403
    # Nor can anyone set a password for an existing account through the link.
    anonymous = client.__class__()
    anonymous.post(link, {"new_password1": "hijacked passphrase 9", "new_password2": "hijacked passphrase 9"})
    bob.refresh_from_db()
    assert bob.check_password(PASSWORD) and not Membership.all_tenants.filter(tenant=tenant, user=bob).exists()


def test_invitations_expire(alice_client, bob, tenant, client):
    with time_machine.travel("2026-03-02 10:00Z", tick=False):
        link = invite(alice_client, "bob@globex.example")
    bob_browser = client.__class__()
    bob_browser.force_login(bob)
    with time_machine.travel("2026-03-09 10:01Z", tick=False):
        assert bob_browser.get(link).status_code == 404
        assert bob_browser.post(link).status_code == 404
        assert "bob@globex.example" not in pending(alice_client)
    assert not Membership.all_tenants.filter(tenant=tenant, user=bob).exists()


def test_a_tampered_link_is_404(alice_client, bob, client):
    link = invite(alice_client, "bob@globex.example")
    bob_browser = client.__class__()
    bob_browser.force_login(bob)
    assert bob_browser.get(link[:-3] + "xx/").status_code == 404
    assert bob_browser.get("/invitations/not-a-token/").status_code == 404


def test_revoking_a_pending_invitation(alice_client, bob, tenant, client):
    link = invite(alice_client, "bob@globex.example")
    invitation = Invitation.all_tenants.get(email="bob@globex.example")
    page = alice_client.get(PAGE).content.decode()
    revoke = reverse("settings_invitation_revoke", args=[invitation.pk])
    assert revoke in page
    assert alice_client.post(revoke).status_code == 302
    bob_browser = client.__class__()
    bob_browser.force_login(bob)
    assert bob_browser.post(link).status_code == 404
    assert not Membership.all_tenants.filter(tenant=tenant, user=bob).exists()
    assert "bob@globex.example" not in pending(alice_client)


def test_inviting_again_replaces_the_pending_invitation(alice_client, bob, client):
    first = invite(alice_client, "bob@globex.example", role="viewer")
    second = invite(alice_client, "bob@globex.example", role="csm")
    bob_browser = client.__class__()
    bob_browser.force_login(bob)
    assert bob_browser.get(first).status_code == 404
    assert bob_browser.post(second).status_code == 302
    assert Membership.all_tenants.get(user=bob, tenant__slug="acme").role == Role.CSM


def test_another_tenants_invitation_cannot_be_revoked(alice_client, bob, tenant, client):
    invite(alice_client, "someone@else.example")
    invitation = Invitation.all_tenants.get()
    bob_client = client.__class__()
    bob_client.force_login(bob)
    assert bob_client.post(reverse("settings_invitation_revoke", args=[invitation.pk])).status_code == 404
    invitation.refresh_from_db()
    assert invitation.revoked_at is None


@pytest.mark.parametrize("role", [r for r in Role.values if r != Role.ADMIN])
def test_only_admins_invite_and_revoke(client, member, alice_client, role):
    invite(alice_client, "someone@else.example")
    invitation = Invitation.all_tenants.get()
    other = client.__class__()
    other.force_login(member(role))
    assert other.post(INVITE, {"email": "x@y.example", "role": "admin"}).status_code == 403
    assert other.post(reverse("settings_invitation_revoke", args=[invitation.pk])).status_code == 403
    assert Invitation.all_tenants.count() == 1


def test_a_failed_invitation_email_saves_nothing_and_says_so(alice_client, monkeypatch):
    import smtplib

    from tenancy import settings_views

    def refuse(*args, **kwargs):
        raise smtplib.SMTPException("mail server down")

    monkeypatch.setattr(settings_views, "_send_invitation", refuse)
    response = alice_client.post(INVITE, {"email": "late@acme.example", "role": "viewer"}, follow=True)
    assert b"could not be sent" in response.content
    assert not Invitation.all_tenants.exists() and not User.objects.filter(email="late@acme.example").exists()


def test_an_existing_member_cannot_be_invited(alice_client, member):
    member(Role.CSM, email="carol@acme.example")
    response = alice_client.post(INVITE, {"email": "CAROL@acme.example", "role": "admin"})
    assert response.status_code == 400 and "email" in response.context["invite_form"].errors
    assert not Invitation.all_tenants.exists()


def test_a_user_with_no_password_yet_can_accept_by_choosing_one(alice_client, tenant, client):
    UserFactory(email="halfway@acme.example").set_unusable_password()
    User.objects.filter(email="halfway@acme.example").update(password="!")
    link = invite(alice_client, "halfway@acme.example")
    anonymous = client.__class__()
    password = "a fresh passphrase 11"
    done = anonymous.post(link, {"full_name": "", "new_password1": password, "new_password2": password})
    assert done.status_code == 302
    assert Membership.all_tenants.filter(tenant=tenant, user__email="halfway@acme.example").exists()
