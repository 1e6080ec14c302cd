"""Password reset: the email is sent, its link works once, and the new password signs in."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def reset_link(message) -> str:
    return re.search(r"https?://[^/\s]+(/password-reset/[^\s]+/)", message.body).group(1)


def test_reset_email_and_link(client, alice):
    response = client.post(reverse("password_reset"), {"email": "ALICE@acme.example"})
    assert response.status_code == 302 and response["Location"] == reverse("password_reset_done")
    [message] = mail.outbox
    assert message.to == ["alice@acme.example"]
    link = reset_link(message)
    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200 and form_page.context["validlink"]
    set_url = form_page.redirect_chain[-1][0]
    new_password = "a brand new passphrase 42"
    response = client.post(set_url, {"new_password1": new_password, "new_password2": new_password})
    assert response.status_code == 302 and response["Location"] == reverse("password_reset_complete")
    assert client.login(username="alice@acme.example", password=new_password)
    client.logout()
    again = client.get(link, follow=True)
    assert not again.context["validlink"]  # the link works once


def test_unknown_email_sends_nothing_but_looks_the_same(client, alice):
    response = client.post(reverse("password_reset"), {"email": "nobody@nowhere.example"})
    assert response.status_code == 302 and mail.outbox == []


def test_weak_password_is_refused(client, alice):
    client.post(reverse("password_reset"), {"email": alice.email})
    form_page = client.get(reset_link(mail.outbox[0]), follow=True)
    response = client.post(form_page.redirect_chain[-1][0], {"new_password1": "12345678", "new_password2": "12345678"})
    assert response.status_code == 200 and response.context["form"].errors
    alice.refresh_from_db()
    assert alice.check_password("correct horse battery staple")


def test_an_invited_member_without_password_can_ask_for_a_link(client, tenant):
    from tenancy.services import member_add

    member_add(tenant=tenant, email="new@acme.example", role="csm")
    UserFactory(email="loner@nowhere.example").set_unusable_password()
    client.post(reverse("password_reset"), {"email": "new@acme.example"})
    assert [m.to for m in mail.outbox] == [["new@acme.example"]]
