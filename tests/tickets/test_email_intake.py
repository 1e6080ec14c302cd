"""Email in: new tickets for known contacts (acknowledged with the number), threading on [#number],
triage for unknown senders, idempotency on message_id."""

from __future__ import annotations

import pytest
from django.core import mail

from tenancy.context import tenant_context
from tests.factories.accounts import AccountFactory
from tests.factories.tickets import TicketFactory
from tickets.models import InboundEmail, Ticket, TicketComment

pytestmark = pytest.mark.django_db
URL = "/api/v1/inbound-email/"


def email(message_id="<m1@mail>", sender="Peter Gibbons <peter@initech.example>", subject="TPS reports broken",
          text="The cover sheet is missing.", to="support@acme.example"):
    return {"from": sender, "to": to, "subject": subject, "text": text, "message_id": message_id}


def test_known_contact_opens_a_ticket_and_gets_an_acknowledgement(api, clock, contact, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(URL, email(), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["outcome"] == "created" and body["ticket_number"] == 1
    ticket = Ticket.all_tenants.get(pk=body["ticket"])
    assert (ticket.channel, ticket.contact, ticket.account, ticket.subject) == (
        "email", contact, contact.account, "TPS reports broken")
    assert ticket.description == "The cover sheet is missing."
    assert len(mail.outbox) == 1
    ack = mail.outbox[0]
    assert ack.to == ["peter@initech.example"] and "[#1]" in ack.subject and "#1" in ack.body


def test_reply_with_the_number_threads_as_a_customer_comment(api, clock, contact, alice):
    with tenant_context(contact.tenant):
        ticket = TicketFactory(account=contact.account, contact=contact)
        from tickets import services

        services.ticket_transition(ticket=ticket, to_status="pending_customer", actor=alice)
    response = api.post(URL, email("<m2@mail>", subject=f"Re: [#{ticket.number}] TPS reports", text="Logs attached"),
                        format="json")
    assert response.json()["outcome"] == "commented"
    comment = TicketComment.all_tenants.get(pk=response.json()["comment"])
    assert (comment.ticket_id, comment.contact, comment.from_customer, comment.channel) == (
        ticket.pk, contact, True, "email")
    ticket.refresh_from_db()
    assert ticket.status == "open"
    assert Ticket.all_tenants.count() == 1


def test_number_of_another_account_or_closed_ticket_opens_a_new_ticket(api, contact, tenant):
    with tenant_context(tenant):
        elsewhere = TicketFactory(account=AccountFactory(tenant=tenant))
    response = api.post(URL, email("<m3@mail>", subject=f"[#{elsewhere.number}] hello"), format="json")
    assert response.json()["outcome"] == "created"
    assert response.json()["ticket"] != elsewhere.pk


def test_unknown_sender_goes_to_triage_and_can_be_converted(api, account, contact):
    response = api.post(URL, email("<m4@mail>", sender="Stranger <who@unknown.example>"), format="json")
    assert response.status_code == 201
    assert response.json()["outcome"] == "triage" and response.json()["ticket"] is None
    assert not Ticket.all_tenants.exists()
    triage = api.get(URL + "triage/").json()["results"]
    assert [e["from_email"] for e in triage] == ["who@unknown.example"]
    converted = api.post(f"{URL}{triage[0]['id']}/convert/", {"account": account.pk, "severity": 2}, format="json")
    assert converted.status_code == 201, converted.json()
    assert converted.json()["severity"] == 2 and converted.json()["channel"] == "email"
    assert api.get(URL + "triage/").json()["results"] == []
    assert api.post(f"{URL}{triage[0]['id']}/convert/", {"account": account.pk}, format="json").status_code == 409
    # The sender is now a contact of the account: the next email threads by itself.
    again = api.post(URL, email("<m5@mail>", sender="who@unknown.example", subject="Another"), format="json")
    assert again.json()["outcome"] == "created"


def test_dismiss(api):
    created = api.post(URL, email("<m6@mail>", sender="spam@spam.example"), format="json").json()
    assert api.post(f"{URL}{created['id']}/dismiss/").json()["outcome"] == "triaged"
    assert api.post(f"{URL}{created['id']}/dismiss/").status_code == 409


def test_same_message_id_is_processed_once(api, contact, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = api.post(URL, email("<dup@mail>"), format="json")
        second = api.post(URL, email("<dup@mail>"), format="json")
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["ticket"] == second.json()["ticket"]
    assert Ticket.all_tenants.count() == 1 and InboundEmail.all_tenants.count() == 1
    assert len(mail.outbox) == 1


def test_member_reply_by_email_is_a_tenant_side_comment(api, clock, contact, alice):
    with tenant_context(contact.tenant):
        ticket = TicketFactory(account=contact.account, contact=contact)
    response = api.post(URL, email("<m7@mail>", sender=alice.email, subject=f"Re: [#{ticket.number}]"), format="json")
    assert response.json()["outcome"] == "commented"
    ticket.refresh_from_db()
    assert ticket.first_response_at is not None


def test_bad_input_writes_nothing(api, contact, other_api):
    assert api.post(URL, email(sender="not an address"), format="json").status_code == 400
    assert api.post(URL, {**email(), "message_id": ""}, format="json").status_code == 400
    assert api.post(URL, {"to": "x"}, format="json").status_code == 400
    assert not InboundEmail.all_tenants.exists()
    # The same sender writing to another tenant is unknown there: triage, never the first tenant's account.
    assert other_api.post(URL, email("<m8@mail>"), format="json").json()["outcome"] == "triage"
    assert not Ticket.all_tenants.exists()


def test_other_tenant_cannot_see_or_convert_triage(api, other_api, account):
    created = api.post(URL, email("<m9@mail>", sender="a@b.example"), format="json").json()
    assert other_api.get(f"{URL}{created['id']}/").status_code == 404
    assert other_api.post(f"{URL}{created['id']}/convert/", {"account": account.pk}, format="json").status_code == 404
    assert other_api.get(URL + "triage/").json()["results"] == []


def test_lists_are_a_constant_number_of_queries(api, contact, django_assert_max_num_queries):
    for i in range(6):
        sender = "peter@initech.example" if i % 2 else f"stranger{i}@nowhere.example"
        api.post(URL, {"from": sender, "subject": f"Mail {i}", "text": "x", "message_id": f"<q{i}@x>"}, format="json")
    with django_assert_max_num_queries(6):
        assert len(api.get(URL).json()["results"]) == 6
    with django_assert_max_num_queries(6):
        assert len(api.get(f"{URL}triage/").json()["results"]) == 3

