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
        from tickets.services import lifecycle

        lifecycle.ticket_transition(ticket=ticket, to_status="pending_customer", actor=alice)
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



# --------------------------------------------------------------------------- replies reach the customer, answers thread back


def test_reply_round_trip_by_headers(api, alice_client, clock, contact, django_capture_on_commit_callbacks):
    """Email in -> "Send reply" on the page emails the contact (threaded) -> the customer's answer, with a
    subject that lost the number, comes back onto the same ticket by In-Reply-To."""
    with django_capture_on_commit_callbacks(execute=True):
        ticket_id = api.post(URL, email("<first@initech>"), format="json").json()["ticket"]
    ticket = Ticket.all_tenants.get(pk=ticket_id)
    ack = mail.outbox[-1]
    with django_capture_on_commit_callbacks(execute=True):
        r = alice_client.post(f"/tickets/{ticket.pk}/reply/", {"body": "Which cover sheet version?", "kind": "reply"},
                              follow=True)
    assert "Reply sent to peter@initech.example." in r.content.decode()
    sent = mail.outbox[-1]
    assert sent is not ack and sent.to == ["peter@initech.example"]
    assert f"[#{ticket.number}]" in sent.subject and "Which cover sheet version?" in sent.body
    message_id = sent.extra_headers["Message-ID"]
    assert message_id.startswith(f"<ticket-{ticket.pk}-c") and message_id.endswith(">")
    assert sent.extra_headers["In-Reply-To"] == "<first@initech>"
    assert ack.extra_headers["Message-ID"] in sent.extra_headers["References"]
    assert "<first@initech>" in sent.extra_headers["References"]
    assert sent.message()["Message-ID"] == message_id  # the header really goes out
    answer = api.post(URL, {**email("<answer@initech>", subject="Re: TPS reports broken", text="Version 2"),
                            "in_reply_to": message_id, "references": sent.extra_headers["References"]},
                      format="json").json()
    assert (answer["outcome"], answer["ticket"]) == ("commented", ticket.pk)
    by_references = api.post(URL, {**email("<again@initech>", subject="Another thing", text="Also"),
                                   "references": f"<unrelated@x> {message_id}"}, format="json").json()
    assert (by_references["outcome"], by_references["ticket"]) == ("commented", ticket.pk)
    by_ack = api.post(URL, {**email("<ack-reply@initech>", subject="thanks", text="ok"),
                            "in_reply_to": ack.extra_headers["Message-ID"]}, format="json").json()
    assert by_ack["ticket"] == ticket.pk
    assert TicketComment.all_tenants.filter(ticket=ticket, from_customer=True).count() == 3


def test_reply_threads_by_the_number_in_the_subject_after_a_sent_reply(api, clock, contact, alice,
                                                                      django_capture_on_commit_callbacks):
    with tenant_context(contact.tenant):
        ticket = TicketFactory(account=contact.account, contact=contact)
        from tickets.services import lifecycle

        with django_capture_on_commit_callbacks(execute=True):
            lifecycle.ticket_reply(ticket=ticket, body="Please send logs", actor=alice)
    subject = mail.outbox[-1].subject
    answer = api.post(URL, email("<logs@initech>", subject=f"Re: {subject}", text="Here"), format="json").json()
    assert (answer["outcome"], answer["ticket"]) == ("commented", ticket.pk)


def test_only_public_replies_from_the_tenant_leave(api, clock, contact, alice, django_capture_on_commit_callbacks):
    with tenant_context(contact.tenant):
        ticket = TicketFactory(account=contact.account, contact=contact)
        from tickets.services import lifecycle

        with django_capture_on_commit_callbacks(execute=True):
            lifecycle.ticket_reply(ticket=ticket, body="Secret internal analysis", public=False, actor=alice)
            lifecycle.ticket_reply(ticket=ticket, body="My own words", contact=contact)
    assert mail.outbox == []
    with django_capture_on_commit_callbacks(execute=True):
        note = api.post(f"/api/v1/tickets/{ticket.pk}/comments/", {"body": "Internal", "public": False}, format="json")
        reply = api.post(f"/api/v1/tickets/{ticket.pk}/comments/", {"body": "Fixed in 2.1", "public": True},
                         format="json")
    assert (note.status_code, reply.status_code) == (201, 201)
    assert [m.to for m in mail.outbox] == [["peter@initech.example"]]
    assert "Fixed in 2.1" in mail.outbox[0].body and "Internal" not in mail.outbox[0].body


def test_reply_to_an_email_ticket_without_contact_goes_to_the_requester(api, clock, alice, tenant,
                                                                        django_capture_on_commit_callbacks):
    """A triaged email whose sender is another account's contact: the ticket has no contact, the reply
    goes to the address that wrote in."""
    from tests.factories.accounts import ContactFactory
    from tickets import email_intake
    from tickets.services import lifecycle

    with tenant_context(tenant):
        other = AccountFactory(tenant=tenant, name="Other")
        ContactFactory(account=other, email="lumbergh@initech.example")
        target = AccountFactory(tenant=tenant, name="Target")
        received = email_intake.email_receive(message_id="<t1@x>", sender="stranger@nowhere.example", subject="Hi")
        ticket = email_intake.triage_convert(email=received.email, account=target)
        ticket.contact = None
        Ticket.all_tenants.filter(pk=ticket.pk).update(contact=None)
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            lifecycle.ticket_reply(ticket=Ticket.objects.get(pk=ticket.pk), body="Hello", actor=alice)
    assert [m.to for m in mail.outbox] == [["stranger@nowhere.example"]]


def test_a_thread_id_of_another_tenant_does_not_thread(api, other_api, clock, contact, other_tenant):
    with tenant_context(other_tenant):
        foreign = TicketFactory(account=AccountFactory(tenant=other_tenant))
    answer = api.post(URL, {**email("<x@initech>", subject="New problem"),
                            "in_reply_to": f"<ticket-{foreign.pk}-c1.globex@localhost>"}, format="json").json()
    assert answer["outcome"] == "created" and answer["ticket"] != foreign.pk


@pytest.mark.parametrize("message_id", [
    "<ticket-42.acme@localhost>", "<ticket-42-c7.acme_corp@mail.example>", "ticket-42-c7.x-y@example.org",
])
def test_our_thread_ids_name_their_ticket(message_id):
    from tickets.services import notify

    assert notify.thread_ticket_id(message_id) == 42


@pytest.mark.parametrize("message_id", ["<ticket-x.acme@localhost>", "<42@localhost>", "<ticket-42@localhost>", ""])
def test_other_message_ids_name_no_ticket(message_id):
    from tickets.services import notify

    assert notify.thread_ticket_id(message_id) is None
