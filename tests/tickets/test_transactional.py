"""Every ticket write as production runs it: autocommit, no test transaction around it.

pytest-django normally wraps each test in a transaction, which hides a service that forgot its
``@transaction.atomic`` (``select_for_update`` outside a transaction is an error only in autocommit)
and makes a half-written failure look atomic. Here each write service and each write endpoint (API and
page) runs with ``django_db(transaction=True)``: the writes land, the row locks work across threads,
and a failure midway leaves nothing half-written.
"""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from accounts.models import Activity
from tenancy.context import tenant_context
from tenancy.models import Role
from tests.factories import MembershipFactory, UserFactory, make_api_key
from tests.factories.accounts import AccountFactory, ContactFactory
from tests.factories.tickets import TicketFactory
from tests.tickets.conftest import T0
from tickets import email_intake, sla_engine
from tickets.models import (
    InboundEmail,
    SlaPolicy,
    SupportSettings,
    Ticket,
    TicketAttachment,
    TicketChange,
    TicketComment,
    TicketSlaEvent,
)
from tickets.services import assignment, attachments, lifecycle, sla_config, transitions

pytestmark = pytest.mark.django_db(transaction=True)


class Boom(Exception):
    """A failure injected midway through a write."""


def boom(*args, **kwargs):
    raise Boom("injected failure")


def counts() -> dict[str, int]:
    return {
        "tickets": Ticket.all_tenants.count(),
        "changes": TicketChange.all_tenants.count(),
        "comments": TicketComment.all_tenants.count(),
        "sla_events": TicketSlaEvent.all_tenants.count(),
        "activities": Activity.all_tenants.count(),
        "attachments": TicketAttachment.all_tenants.count(),
        "emails": InboundEmail.all_tenants.count(),
    }


def in_threads(count: int, fn) -> list:
    results, errors = [None] * count, []
    barrier = threading.Barrier(count)

    def run(i):
        from django.db import connection

        try:
            barrier.wait()
            results[i] = fn()
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    return results


@pytest.fixture
def acme(tenant, clock):
    with tenant_context(tenant):
        yield tenant


@pytest.fixture
def account(acme):
    return AccountFactory(tenant=acme, name="Initech")


@pytest.fixture
def contact(account):
    return ContactFactory(account=account, name="Peter Gibbons", email="peter@initech.example")


@pytest.fixture
def engineer(acme):
    user = UserFactory(email="eng@acme.example", full_name="Erin Engineer")
    MembershipFactory(tenant=acme, user=user, role=Role.SUPPORT_ENGINEER)
    return user


@pytest.fixture
def ticket(account, contact):
    return TicketFactory(account=account, contact=contact, severity=2)


@pytest.fixture
def api_client(acme):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {make_api_key(acme)}")
    return client


@pytest.fixture
def page(client, alice):
    client.force_login(alice)
    return client


# --------------------------------------------------------------------------- services


def test_create_lands_and_a_failure_leaves_nothing(account, contact, monkeypatch):
    ticket = lifecycle.ticket_create(account=account, contact=contact, subject="Search down", acknowledge=True)
    assert Ticket.objects.get(pk=ticket.pk).number == 1
    assert TicketChange.objects.filter(ticket=ticket, action="created").exists()
    assert TicketSlaEvent.objects.filter(ticket=ticket, kind="applied").exists()
    assert len(mail.outbox) == 1  # the acknowledgement, sent on commit
    before = counts()
    monkeypatch.setattr(lifecycle, "settle", boom)
    with pytest.raises(Boom):
        lifecycle.ticket_create(account=account, contact=contact, subject="Half", acknowledge=True)
    assert counts() == before
    assert len(mail.outbox) == 1  # nothing sent for the rolled-back ticket
    monkeypatch.undo()
    assert lifecycle.ticket_create(account=account, subject="Next").number == 2  # the number was not used up


def test_reply_note_and_customer_comment_land(ticket, alice, contact):
    lifecycle.ticket_reply(ticket=ticket, body="Looking into it", actor=alice)
    lifecycle.ticket_reply(ticket=ticket, body="Check the indexer", public=False, actor=alice)
    lifecycle.ticket_reply(ticket=ticket, body="Thanks", contact=contact)
    stored = Ticket.objects.get(pk=ticket.pk)
    assert stored.first_response_at == T0 and stored.status == "open"
    assert TicketComment.objects.filter(ticket=ticket).count() == 3
    assert [(m.to, "[#1]" in m.subject) for m in mail.outbox] == [(["peter@initech.example"], True)]  # the reply


def test_reply_failure_midway_leaves_nothing(ticket, alice, monkeypatch):
    before = counts()
    monkeypatch.setattr(lifecycle, "_first_response", boom)
    with pytest.raises(Boom):
        lifecycle.ticket_reply(ticket=ticket, body="Looking into it", actor=alice)
    monkeypatch.undo()
    send = lifecycle.email_customer

    def send_then_fail(*args, **kwargs):  # fails after the email to the customer was enqueued
        send(*args, **kwargs)
        raise Boom("after the email")

    monkeypatch.setattr(lifecycle, "email_customer", send_then_fail)
    with pytest.raises(Boom):
        lifecycle.ticket_reply(ticket=ticket, body="Looking into it", actor=alice)
    assert counts() == before
    assert mail.outbox == []  # a reply that was rolled back never reaches the customer
    stored = Ticket.objects.get(pk=ticket.pk)
    assert stored.status == "new" and stored.first_response_at is None


def test_concurrent_first_replies_record_one_first_response(acme, ticket, alice):
    def reply():
        with tenant_context(acme):
            lifecycle.ticket_reply(ticket=Ticket.objects.get(pk=ticket.pk), body="On it", actor=alice)

    in_threads(4, reply)
    assert TicketComment.objects.filter(ticket=ticket).count() == 4
    assert TicketChange.objects.filter(ticket=ticket, action="first_response").count() == 1
    assert TicketChange.objects.filter(ticket=ticket, action="status").count() == 1  # new -> open once
    assert TicketSlaEvent.objects.filter(ticket=ticket, kind="met", metric="response").count() == 1


def test_pause_resume_and_resolve_land(ticket, alice, clock):
    lifecycle.ticket_transition(ticket=ticket, to_status="pending_customer", actor=alice)
    assert Ticket.objects.get(pk=ticket.pk).resolution_state == "paused"
    clock.shift(timedelta(hours=1))
    lifecycle.ticket_transition(ticket=ticket, to_status="open", actor=alice)
    lifecycle.ticket_transition(ticket=ticket, to_status="resolved", actor=alice)
    stored = Ticket.objects.get(pk=ticket.pk)
    assert stored.status == "resolved" and stored.resolution_state == "met"
    kinds = list(TicketSlaEvent.objects.filter(ticket=ticket, metric="resolution").values_list("kind", flat=True))
    assert kinds == ["paused", "resumed", "met"]


def test_transition_failure_midway_leaves_nothing(ticket, alice, monkeypatch):
    before = counts()
    monkeypatch.setattr(transitions, "log_sla_events", boom)
    with pytest.raises(Boom):
        lifecycle.ticket_transition(ticket=ticket, to_status="pending_customer", actor=alice)
    assert counts() == before
    stored = Ticket.objects.get(pk=ticket.pk)
    assert (stored.status, stored.resolution_state) == ("new", "on_track")


def test_concurrent_transitions_are_serialised(acme, ticket, alice):
    """Four requests to pause at once: the row lock makes one move it and the others see it moved."""

    def pause():
        with tenant_context(acme):
            lifecycle.ticket_transition(ticket=Ticket.objects.get(pk=ticket.pk), to_status="pending_customer")

    in_threads(4, pause)
    assert TicketChange.objects.filter(ticket=ticket, action="status").count() == 1
    assert TicketSlaEvent.objects.filter(ticket=ticket, kind="paused").count() == 1


def test_assign_claim_and_bulk_assign_land(account, ticket, alice, engineer):
    assignment.ticket_assign(ticket=ticket, assignee=engineer, actor=alice)
    assert Ticket.objects.get(pk=ticket.pk).assignee == engineer
    assert [m.to for m in mail.outbox] == [["eng@acme.example"]]
    assignment.ticket_claim(ticket=ticket, actor=alice)
    assert Ticket.objects.get(pk=ticket.pk).assignee == alice
    others = [TicketFactory(account=account) for _ in range(3)]
    assert assignment.tickets_bulk_assign(ticket_ids=[t.pk for t in others], assignee=engineer, actor=alice) == 3
    assert set(Ticket.objects.filter(pk__in=[t.pk for t in others]).values_list("status", flat=True)) == {"open"}


def test_assign_and_bulk_assign_failures_leave_nothing(account, ticket, alice, engineer, monkeypatch):
    others = [TicketFactory(account=account) for _ in range(3)]
    mail.outbox.clear()
    before = counts()
    monkeypatch.setattr(assignment, "apply_transition", boom)
    with pytest.raises(Boom):
        assignment.ticket_assign(ticket=ticket, assignee=engineer, actor=alice)
    monkeypatch.setattr(assignment, "activities_record_bulk", boom)
    with pytest.raises(Boom):
        assignment.tickets_bulk_assign(ticket_ids=[t.pk for t in others], assignee=engineer, actor=alice)
    assert counts() == before
    assert not Ticket.objects.filter(assignee=engineer).exists()
    assert mail.outbox == []


def test_severity_and_reapply_land_and_a_failure_leaves_nothing(ticket, alice, clock, monkeypatch):
    lifecycle.ticket_set_severity(ticket=ticket, severity=1, actor=alice)
    assert Ticket.objects.get(pk=ticket.pk).response_due_at == T0 + timedelta(minutes=60)
    SlaPolicy.objects.create(severity=1, segment=None, response_minutes=30, resolution_minutes=120)
    lifecycle.ticket_reapply_sla(ticket=ticket, actor=alice)
    assert Ticket.objects.get(pk=ticket.pk).response_due_at == T0 + timedelta(minutes=30)
    before = counts()
    monkeypatch.setattr(lifecycle, "record_change", boom)
    with pytest.raises(Boom):
        lifecycle.ticket_set_severity(ticket=ticket, severity=4, actor=alice)
    assert counts() == before
    stored = Ticket.objects.get(pk=ticket.pk)
    assert (stored.severity, stored.response_target_minutes) == (1, 30)


def test_update_is_all_or_nothing(ticket, alice):
    """PATCH severity + an impossible status: the severity change is rolled back with the refusal."""
    from base.errors import InvalidTransition

    with pytest.raises(InvalidTransition):
        lifecycle.ticket_update(ticket=ticket, actor=alice, subject="New subject", severity=1, status="closed")
    stored = Ticket.objects.get(pk=ticket.pk)
    assert (stored.subject, stored.severity) != ("New subject", 1)
    assert stored.severity == 2


def test_escalate_lands(ticket, alice):
    assignment.ticket_escalate(ticket=ticket, reason="Customer is blocked", actor=alice)
    assert Ticket.objects.get(pk=ticket.pk).support_level == 2
    assert TicketChange.objects.filter(ticket=ticket, action="escalated").exists()


def test_configuration_services_land_and_failures_leave_the_old_table(acme, monkeypatch):
    sla_config.business_hours_update(
        timezone_name="Europe/Berlin", intervals=[{"weekday": 0, "start": "08:00", "end": "16:00"}],
        holidays=["2026-12-25"],
    )
    stored = SupportSettings.objects.get()
    assert (stored.timezone, stored.holidays) == ("Europe/Berlin", ["2026-12-25"])
    sla_config.support_settings_update(at_risk_percent=50, escalate_after_minutes=120)
    assert SupportSettings.objects.get().at_risk_percent == 50
    rows = [{"severity": 1, "segment": None, "response_minutes": 30, "resolution_minutes": 90, "clock": "24x7"}]
    sla_config.sla_policies_replace(policies=rows)
    assert SlaPolicy.objects.get().response_minutes == 30
    monkeypatch.setattr(SlaPolicy.objects, "bulk_create", boom)  # after the old table was deleted
    with pytest.raises(Boom):
        sla_config.sla_policies_replace(policies=[{**rows[0], "response_minutes": 45}])
    assert list(SlaPolicy.objects.values_list("response_minutes", flat=True)) == [30]


def test_concurrent_business_hours_saves_do_not_collide(acme):
    """The settings row is created once and locked: concurrent first saves leave one row."""

    def save(i):
        with tenant_context(acme):
            sla_config.business_hours_update(
                timezone_name="UTC", intervals=[{"weekday": i % 5, "start": "09:00", "end": "17:00"}],
            )

    in_threads(4, lambda: save(threading.get_ident()))
    assert SupportSettings.objects.count() == 1
    assert SupportSettings.objects.get().timezone == "UTC"


def test_attach_lands_and_a_failure_leaves_nothing(ticket, alice, settings, tmp_path, monkeypatch):
    settings.MEDIA_ROOT = tmp_path
    attachments.ticket_attach(ticket=ticket, file=SimpleUploadedFile("log.txt", b"trace"), actor=alice)
    assert TicketAttachment.objects.filter(ticket=ticket).count() == 1
    before = counts()
    monkeypatch.setattr(TicketChange.objects, "create", boom)
    with pytest.raises(Boom):
        attachments.ticket_attach(ticket=ticket, file=SimpleUploadedFile("more.txt", b"x"), actor=alice)
    assert counts() == before


def test_email_intake_lands_threads_and_a_failure_leaves_nothing(acme, contact, monkeypatch):
    result = email_intake.email_receive(message_id="<m1@initech>", sender="Peter <peter@initech.example>",
                                        subject="Search down", text="Since 9")
    ticket = result.email.ticket
    assert result.outcome == "created" and Ticket.objects.filter(pk=ticket.pk).exists()
    reply = email_intake.email_receive(message_id="<m2@initech>", sender="peter@initech.example",
                                       subject=f"Re: [#{ticket.number}] Search down", text="More")
    assert reply.outcome == "commented"
    before = counts()
    monkeypatch.setattr(email_intake, "_done", boom)
    with pytest.raises(Boom):
        email_intake.email_receive(message_id="<m3@initech>", sender="peter@initech.example", subject="Other")
    assert counts() == before
    monkeypatch.undo()
    triaged = email_intake.email_receive(message_id="<m4@x>", sender="stranger@example.org", subject="Help")
    converted = email_intake.triage_convert(email=triaged.email, account=contact.account)
    assert InboundEmail.objects.get(pk=triaged.email.pk).outcome == "triaged"
    assert Ticket.objects.filter(pk=converted.pk).exists()


def test_scan_and_escalation_land_and_a_failure_leaves_nothing(acme, account, clock, monkeypatch):
    tickets = [TicketFactory(account=account, severity=1) for _ in range(3)]
    clock.shift(timedelta(minutes=61))
    before = counts()
    import tickets.escalation as escalation

    monkeypatch.setattr(escalation, "escalate_automatically", boom)
    with pytest.raises(Boom):
        sla_engine.scan(now=T0 + timedelta(minutes=61))
    assert counts() == before
    assert set(Ticket.objects.values_list("response_state", flat=True)) == {"on_track"}
    monkeypatch.undo()
    result = sla_engine.scan(now=T0 + timedelta(minutes=61))
    assert result.transitions.breached == 3 and result.transitions.escalated == 3
    assert set(Ticket.objects.filter(pk__in=[t.pk for t in tickets]).values_list("support_level", flat=True)) == {2}


# --------------------------------------------------------------------------- API endpoints


def test_api_writes_land(api_client, account, contact, engineer, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    created = api_client.post("/api/v1/tickets/", {"account": account.pk, "contact": contact.pk, "subject": "Down",
                                                  "severity": 2, "status": "open"}, format="json")
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    url = f"/api/v1/tickets/{pk}/"
    calls = [
        ("post", "comments/", {"body": "On it", "public": True}, 201),
        ("post", "comments/", {"body": "Internal", "public": False}, 201),
        ("post", "comments/", {"body": "Thanks", "public": True, "contact": contact.pk}, 201),
        ("post", "transition/", {"status": "pending_customer"}, 200),
        ("post", "transition/", {"status": "open"}, 200),
        ("post", "assign/", {"assignee": "eng@acme.example"}, 200),
        ("patch", "", {"severity": 1}, 200),
        ("post", "escalate/", {"reason": "Blocked"}, 200),
        ("post", "reapply-sla/", None, 200),
    ]
    for method, path, body, expected in calls:
        response = getattr(api_client, method)(url + path, body, format="json")
        assert response.status_code == expected, (path, response.content)
    upload = api_client.post(url + "attachments/", {"file": SimpleUploadedFile("a.txt", b"log")}, format="multipart")
    assert upload.status_code == 201, upload.content
    stored = Ticket.objects.get(pk=pk)
    assert (stored.severity, stored.assignee, stored.support_level, stored.status) == (1, engineer, 2, "open")
    assert stored.comments.count() == 3 and stored.attachments.count() == 1


def test_api_configuration_writes_land(api_client):
    hours = api_client.put("/api/v1/business-hours/", {
        "timezone": "Europe/Paris", "intervals": [{"weekday": 0, "start": "09:00", "end": "17:00"}],
        "holidays": ["2026-07-14"],
    }, format="json")
    assert hours.status_code == 200, hours.content
    assert SupportSettings.objects.get().holidays == ["2026-07-14"]
    policies = api_client.put("/api/v1/sla-policies/", [
        {"severity": 1, "segment": None, "response_minutes": 30, "resolution_minutes": 90, "clock": "24x7"},
    ], format="json")
    assert policies.status_code == 200, policies.content
    assert SlaPolicy.objects.get().response_minutes == 30
    assert api_client.patch("/api/v1/support-settings/", {"at_risk_percent": 60}, format="json").status_code == 200


def test_api_patch_refused_midway_writes_nothing(api_client, ticket):
    before = counts()
    response = api_client.patch(f"/api/v1/tickets/{ticket.pk}/", {"severity": 1, "status": "closed"}, format="json")
    assert response.status_code == 409
    assert counts() == before
    assert Ticket.objects.get(pk=ticket.pk).severity == 2


def test_api_email_intake_and_triage_land(api_client, contact):
    response = api_client.post("/api/v1/inbound-email/", {"from": "peter@initech.example", "subject": "Help",
                                                         "text": "Hi", "message_id": "<x1@initech>"}, format="json")
    assert response.status_code == 201, response.content
    assert Ticket.objects.filter(pk=response.json()["ticket"]).exists()
    strangers = [
        api_client.post("/api/v1/inbound-email/", {"from": f"s{i}@example.org", "subject": "Hello",
                                                   "message_id": f"<s{i}@example.org>"}, format="json").json()["id"]
        for i in range(2)
    ]
    converted = api_client.post(f"/api/v1/inbound-email/{strangers[0]}/convert/", {"account": contact.account_id},
                                format="json")
    assert converted.status_code == 201, converted.content
    assert api_client.post(f"/api/v1/inbound-email/{strangers[1]}/dismiss/").status_code == 200
    assert set(InboundEmail.objects.filter(pk__in=strangers).values_list("outcome", flat=True)) == {"triaged"}


def test_scan_task_lands(acme, account, clock):
    from tickets import tasks

    ticket = TicketFactory(account=account, severity=1)
    clock.shift(timedelta(minutes=61))
    summary = tasks.scan_sla(acme.pk)
    assert summary["breached"] == 1 and summary["escalated"] == 1
    assert Ticket.objects.get(pk=ticket.pk).response_state == "breached"
    assert tasks.scan_sla(acme.pk)["breached"] == 0  # run again: nothing twice


# --------------------------------------------------------------------------- pages


def test_page_writes_land(page, acme, account, contact, alice, engineer, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    created = page.post("/tickets/new/", {"account": account.pk, "subject": "Portal down", "severity": 2,
                                          "channel": "portal", "support_level": 1, "contact_email": contact.email})
    assert created.status_code == 302, created.content
    ticket = Ticket.objects.get(subject="Portal down")
    base = f"/tickets/{ticket.pk}/"
    for path, data in [
        ("reply/", {"body": "On it", "kind": "reply", "files": SimpleUploadedFile("trace.txt", b"trace")}),
        ("reply/", {"body": "Internal", "kind": "note"}),
        ("status/", {"status": "pending_customer"}),
        ("status/", {"status": "open"}),
        ("properties/", {"severity": 1, "assignee": engineer.pk}),
        ("claim/", {}),
        ("escalate/", {"reason": "Blocked"}),
    ]:
        response = page.post(base + path, data)
        assert response.status_code == 302, (path, response.status_code)
    other = TicketFactory(account=account)
    assert page.post("/tickets/bulk-assign/", {"ticket": [other.pk], "assignee": engineer.pk}).status_code == 302
    stored = Ticket.objects.get(pk=ticket.pk)
    assert (stored.severity, stored.assignee, stored.support_level) == (1, alice, 2)
    assert stored.attachments.get().filename == "trace.txt"
    assert any(m.to == ["peter@initech.example"] and "On it" in m.body for m in mail.outbox)  # the reply left
    assert Ticket.objects.get(pk=other.pk).assignee == engineer


def test_settings_page_saves_business_hours(page, acme):
    """Was a 500: TransactionManagementError (select_for_update outside a transaction)."""
    data = {
        "form": "hours", "timezone": "Europe/Berlin", "holidays": "2026-12-25\n2026-12-26",
        "interval-TOTAL_FORMS": 1, "interval-INITIAL_FORMS": 0, "interval-MIN_NUM_FORMS": 0,
        "interval-MAX_NUM_FORMS": 1000, "interval-0-weekday": 0, "interval-0-start": "08:00", "interval-0-end": "16:00",
    }
    response = page.post("/tickets/settings/", data)
    assert response.status_code == 302, response.status_code
    assert SupportSettings.objects.get().holidays == ["2026-12-25", "2026-12-26"]
    escalation = page.post("/tickets/settings/", {"form": "escalation", "at_risk_percent": 70,
                                                  "escalate_after_hours": "2"})
    assert escalation.status_code == 302
    assert SupportSettings.objects.get().escalate_after_minutes == 120
