"""The SLA scan and escalation: exactly one event per transition, however often or concurrently it runs;
only tickets near a boundary are touched; escalation is idempotent."""

from __future__ import annotations

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.db import connection, connections

from accounts.models import Task, TaskSource
from tenancy.context import tenant_context
from tenancy.models import Role
from tests.factories.accounts import AccountFactory
from tests.factories.tenancy import UserFactory
from tests.factories.tickets import TicketFactory
from tests.tickets.conftest import T0
from tickets import sla_engine, tasks
from tickets.escalation import escalation_dedupe_key
from tickets.models import SlaEventKind, Ticket, TicketChange, TicketSlaEvent
from tickets.services import assignment, lifecycle, sla_config

pytestmark = pytest.mark.django_db


def kinds(ticket) -> list[tuple[str, str]]:
    return list(TicketSlaEvent.objects.filter(ticket=ticket).exclude(kind="applied").values_list("kind", "metric"))


def test_scan_twice_logs_each_transition_once(in_tenant, clock, account):
    ticket = TicketFactory(account=account, severity=1)  # response 60 (at risk 45), resolution 240 (180)
    clock.shift(timedelta(minutes=46))
    first, second = sla_engine.scan(), sla_engine.scan()
    assert (first.transitions.warned, second.transitions.warned) == (1, 0)
    clock.shift(timedelta(minutes=15))  # 61: response breached (and the ticket escalates)
    assert sla_engine.scan().transitions.breached == 1
    assert sla_engine.scan().transitions.breached == 0
    clock.shift(timedelta(minutes=120))  # 181: resolution at risk
    sla_engine.scan()
    sla_engine.scan()
    assert kinds(ticket) == [("warned", "response"), ("breached", "response"), ("warned", "resolution")]
    ticket.refresh_from_db()
    assert (ticket.sla_state, ticket.response_breached, ticket.resolution_state) == ("breached", True, "at_risk")


def test_scan_only_reads_tickets_near_a_boundary(in_tenant, clock, account):
    from django.test.utils import CaptureQueriesContext

    for _ in range(5):
        TicketFactory(account=account, severity=4)  # far from any boundary
    due = TicketFactory(account=account, severity=1)
    clock.shift(timedelta(minutes=50))
    with CaptureQueriesContext(connection) as one:
        result = sla_engine.scan()
    assert result.candidates == 1
    assert kinds(due) == [("warned", "response")]
    for _ in range(6):
        TicketFactory(account=account, severity=1)
    clock.shift(timedelta(minutes=50))  # six more at risk, the first one breached
    with CaptureQueriesContext(connection) as seven:
        result = sla_engine.scan()
    assert result.candidates == 7
    assert len(one) <= 12
    # + escalating the breached one: set-based, whatever the count (the CTA goes through accounts.services.
    # cta_open_bulk: its savepoint, open-key check and timeline INSERT are 4 queries more than the old copy)
    assert len(seven) <= len(one) + 11


def test_paused_and_resolved_tickets_leave_the_scan(in_tenant, clock, account, alice):
    paused = TicketFactory(account=account, severity=1)
    lifecycle.ticket_reply(ticket=paused, body="Need details", actor=alice)
    lifecycle.ticket_transition(ticket=paused, to_status="pending_customer")
    resolved = TicketFactory(account=account, severity=1)
    lifecycle.ticket_transition(ticket=resolved, to_status="resolved")
    assert paused.sla_next_check_at is None and resolved.sla_next_check_at is None
    clock.shift(timedelta(days=3))
    assert sla_engine.scan().candidates == 0


def test_escalation_after_24h_is_idempotent(in_tenant, clock, tenant, member, django_capture_on_commit_callbacks):
    csm = UserFactory(email="csm@acme.example")
    engineer = member(Role.SUPPORT_ENGINEER, email="eng@acme.example")
    account = AccountFactory(tenant=tenant, csm=csm, arr=Decimal("150000"))
    ticket = TicketFactory(account=account, severity=2, assignee=engineer)
    lifecycle.ticket_reply(ticket=ticket, body="Looking", actor=engineer)
    lifecycle.ticket_transition(ticket=ticket, to_status="pending_customer")
    lifecycle.ticket_transition(ticket=ticket, to_status="open")  # keep the resolution clock far from due
    lifecycle.ticket_set_severity(ticket=ticket, severity=2)
    sla_config.support_settings_update(escalate_after_minutes=24 * 60)
    clock.shift(timedelta(hours=23))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        results = [sla_engine.scan() for _ in range(3)]
    ticket.refresh_from_db()
    assert [r.transitions.escalated for r in results].count(1) <= 1
    clock.shift(timedelta(hours=2))
    with django_capture_on_commit_callbacks(execute=True):
        escalated = [sla_engine.scan().transitions.escalated for _ in range(3)]
    ticket.refresh_from_db()
    assert sum(escalated) <= 1
    assert ticket.support_level == 2 and ticket.escalated_at is not None
    assert TicketChange.objects.filter(ticket=ticket, action="escalated").count() == 1
    task = Task.objects.get(dedupe_key=escalation_dedupe_key(ticket.pk))
    assert (task.source, task.owner, task.status) == (TaskSource.TICKET, csm, "open")
    escalation_mails = [m for m in mail.outbox if "Escalated" in m.subject]
    assert len(escalation_mails) == 1
    assert sorted(escalation_mails[0].to) == ["csm@acme.example", "eng@acme.example"]


def test_breach_escalates_sev1_once_and_level_caps_at_3(in_tenant, clock, account):
    ticket = TicketFactory(account=account, severity=1)
    assignment.ticket_set_support_level(ticket=ticket, support_level=3)
    clock.shift(timedelta(minutes=61))
    sla_engine.scan()
    sla_engine.scan()
    ticket.refresh_from_db()
    assert ticket.support_level == 3
    assert TicketChange.objects.filter(ticket=ticket, action="escalated").count() == 1
    assert Task.objects.filter(dedupe_key=escalation_dedupe_key(ticket.pk)).count() == 1


def test_sev3_escalation_opens_no_cta(in_tenant, clock, account):
    ticket = TicketFactory(account=account, severity=3, opened_at=T0 - timedelta(hours=30))
    ticket.refresh_from_db()
    assert ticket.escalated_at == T0 and ticket.support_level == 2
    assert not Task.objects.filter(dedupe_key=escalation_dedupe_key(ticket.pk)).exists()


def test_manual_escalation_stops_at_l3(in_tenant, account, alice):
    from base.errors import InvalidTransition

    ticket = TicketFactory(account=account, severity=2)
    assignment.ticket_escalate(ticket=ticket, reason="Customer is the CEO", actor=alice)
    ticket = assignment.ticket_escalate(ticket=ticket, actor=alice)
    assert ticket.support_level == 3
    with pytest.raises(InvalidTransition):
        assignment.ticket_escalate(ticket=ticket, actor=alice)
    assert Task.objects.filter(dedupe_key=escalation_dedupe_key(ticket.pk)).count() == 1


def test_fan_out_task_scans_every_tenant(tenant, other_tenant, clock):
    with tenant_context(tenant):
        ticket = TicketFactory(account=AccountFactory(tenant=tenant), severity=1)
    with tenant_context(other_tenant):
        other = TicketFactory(account=AccountFactory(tenant=other_tenant), severity=1)
    clock.shift(timedelta(minutes=50))
    assert tasks.scan_sla_all_tenants.apply().get() == 2
    assert TicketSlaEvent.all_tenants.filter(kind=SlaEventKind.WARNED).count() == 2
    assert {e.ticket_id for e in TicketSlaEvent.all_tenants.filter(kind="warned")} == {ticket.pk, other.pk}


def _in_threads(count: int, target) -> list:
    results, errors = [None] * count, []
    barrier = threading.Barrier(count)

    def run(index):
        try:
            barrier.wait()
            results[index] = target()
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    return results


@pytest.mark.django_db(transaction=True)
def test_overlapping_scans_log_each_transition_once(tenant, clock):
    with tenant_context(tenant):
        account = AccountFactory(tenant=tenant)
        tickets = [TicketFactory(account=account, severity=1) for _ in range(12)]
    clock.shift(timedelta(minutes=50))
    ids = [t.pk for t in tickets]
    now = T0 + timedelta(minutes=50)

    def scan():
        with tenant_context(tenant):
            return sla_engine.scan(now=now)

    def apply_directly():  # bypasses the advisory lock: only the compare-and-set protects
        with tenant_context(tenant):
            return sla_engine.apply_transitions(ids, now=now).warned

    _in_threads(4, scan)
    warned = _in_threads(4, apply_directly)
    assert sum(warned) == 0
    assert TicketSlaEvent.all_tenants.filter(kind="warned").count() == 12
    clock.shift(timedelta(minutes=20))
    breached = _in_threads(4, lambda: apply_in_tenant(tenant, ids, now + timedelta(minutes=20)))
    assert sum(breached) == 12
    assert TicketSlaEvent.all_tenants.filter(kind="breached").count() == 12
    assert TicketChange.all_tenants.filter(action="escalated").count() == 12
    assert set(Ticket.all_tenants.values_list("support_level", flat=True)) == {2}


def apply_in_tenant(tenant, ids, now) -> int:
    with tenant_context(tenant):
        return sla_engine.apply_transitions(ids, now=now).breached


@pytest.mark.django_db(transaction=True)
def test_ticket_numbers_are_unique_under_concurrent_creation(tenant):
    with tenant_context(tenant):
        account = AccountFactory(tenant=tenant)

    def create_five():
        with tenant_context(tenant):
            return [lifecycle.ticket_create(account=account, subject="Concurrent").number for _ in range(5)]

    numbers = [n for batch in _in_threads(8, create_five) for n in batch]
    assert sorted(numbers) == list(range(1, 41))


def test_beat_names_the_registered_tasks(settings):
    from config.celery import app

    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "tickets.scan_sla_all_tenants" in scheduled
    assert {"tickets.scan_sla_all_tenants", "tickets.scan_sla", "tickets.send_email"} <= set(app.tasks)
    assert tasks.scan_sla.acks_late


def test_send_email_is_sent_in_the_tenants_name(tenant, settings):
    """``send_email`` uses its ``tenant_id``: the tenant's name is the From display name (the platform's address),
    and the email of a tenant deleted meanwhile is not sent."""
    settings.DEFAULT_FROM_EMAIL = "Platform <support@csp.example>"
    mail.outbox.clear()
    assert tasks.send_email(tenant.pk, ["peter@initech.example"], "[#1] Hello", "Body", {"Message-ID": "<x@y>"}) == 1
    sent = mail.outbox[-1]
    assert sent.from_email == f"{tenant.name} Support <support@csp.example>"
    assert sent.extra_headers["Message-ID"] == "<x@y>"
    assert tasks.send_email(10**9, ["peter@initech.example"], "Gone", "Body") == 0
    assert len(mail.outbox) == 1
