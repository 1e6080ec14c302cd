"""Ticket services: lifecycle, comments, the SLA clocks (pause/resume, severity change, policies,
business hours) and the logs they write."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from accounts.models import Activity
from base.errors import DomainError, InvalidTransition
from tenancy.models import Role
from tests.factories.accounts import AccountFactory, ContactFactory
from tests.factories.tickets import TicketFactory
from tests.tickets.conftest import T0
from tickets import sla_engine
from tickets.models import SlaPolicy, TicketChange, TicketSlaEvent, TicketStatus
from tickets.services import assignment, attachments, lifecycle, sla_config

pytestmark = pytest.mark.django_db


def events(ticket, kind=None, metric=None):
    rows = TicketSlaEvent.objects.filter(ticket=ticket)
    if kind:
        rows = rows.filter(kind=kind)
    if metric is not None:
        rows = rows.filter(metric=metric)
    return list(rows.order_by("at", "id"))


# --------------------------------------------------------------------------- creation and numbers


def test_create_applies_default_targets_and_logs(in_tenant, clock, account, contact, alice):
    ticket = lifecycle.ticket_create(account=account, contact=contact, subject="Outage", severity=1, actor=alice)
    assert ticket.number == 1
    assert ticket.status == TicketStatus.NEW
    assert ticket.response_due_at == T0 + timedelta(minutes=60)
    assert ticket.resolution_due_at == T0 + timedelta(minutes=240)
    assert ticket.response_at_risk_at == T0 + timedelta(minutes=45)
    assert ticket.sla_state == "on_track"
    assert ticket.sla_next_check_at == T0 + timedelta(minutes=45)
    assert ticket.sla_next_due_at == ticket.response_due_at
    assert [e.kind for e in events(ticket)] == ["applied"]
    assert TicketChange.objects.get(ticket=ticket).action == "created"
    activity = Activity.objects.get(account=account, source="tickets")
    assert (activity.ref_type, activity.ref_id, activity.author) == ("ticket", ticket.pk, alice)
    assert lifecycle.ticket_create(account=account, subject="Second").number == 2


def test_create_refuses_foreign_objects_and_bad_input(bob, other_tenant, in_tenant, account):
    stranger = ContactFactory(account=AccountFactory(tenant=other_tenant))
    with pytest.raises(DomainError) as exc:
        lifecycle.ticket_create(account=account, subject="x", contact=stranger)
    assert exc.value.field == "contact"
    with pytest.raises(DomainError) as exc:
        lifecycle.ticket_create(account=account, subject="x", assignee=bob)
    assert exc.value.field == "assignee"
    with pytest.raises(DomainError):
        lifecycle.ticket_create(account=account, subject=" ")
    with pytest.raises(DomainError):
        lifecycle.ticket_create(account=account, subject="x", severity=5)


def test_assignment_opens_a_new_ticket(in_tenant, clock, account, alice, member):
    engineer = member(Role.SUPPORT_ENGINEER)
    ticket = TicketFactory(account=account)
    assignment.ticket_assign(ticket=ticket, assignee=engineer, actor=alice)
    assert ticket.status == TicketStatus.OPEN
    assert ticket.assignee == engineer
    actions = list(TicketChange.objects.filter(ticket=ticket).values_list("action", flat=True))
    assert actions == ["created", "assigned", "status"]
    assignment.ticket_claim(ticket=ticket, actor=alice)
    assert ticket.assignee == alice


# --------------------------------------------------------------------------- lifecycle


def test_valid_lifecycle_and_reopen(in_tenant, clock, account, alice):
    ticket = TicketFactory(account=account)
    for status in ("open", "pending_customer", "open", "resolved", "open", "resolved", "closed"):
        lifecycle.ticket_transition(ticket=ticket, to_status=status, actor=alice)
        assert ticket.status == status
    assert ticket.closed_at == T0
    assert TicketChange.objects.filter(ticket=ticket, action="reopened").count() == 1


@pytest.mark.parametrize(
    ("path", "refused"),
    [((), "closed"), (("open",), "new"), (("resolved", "closed"), "open"), (("resolved",), "pending_customer")],
)
def test_invalid_transitions_are_refused(in_tenant, account, path, refused):
    ticket = TicketFactory(account=account)
    for status in path:
        lifecycle.ticket_transition(ticket=ticket, to_status=status)
    before = TicketChange.objects.count()
    with pytest.raises(InvalidTransition) as exc:
        lifecycle.ticket_transition(ticket=ticket, to_status=refused)
    assert exc.value.status_code == 409
    assert "can't move" in str(exc.value)
    assert str(exc.value).startswith("An open " if path == ("open",) else "A ")
    ticket.refresh_from_db()
    assert ticket.status == (path[-1] if path else "new")
    assert TicketChange.objects.count() == before


def test_unknown_status_is_a_400(in_tenant, account):
    with pytest.raises(DomainError) as exc:
        lifecycle.ticket_transition(ticket=TicketFactory(account=account), to_status="done")
    assert exc.value.status_code == 400


# --------------------------------------------------------------------------- comments


def test_first_public_tenant_comment_is_the_first_response(in_tenant, clock, account, contact, alice):
    ticket = TicketFactory(account=account, severity=1, contact=contact)
    clock.shift(timedelta(minutes=10))
    lifecycle.ticket_reply(ticket=ticket, body="internal", public=False, actor=alice)
    lifecycle.ticket_reply(ticket=ticket, body="From the customer", contact=contact)
    assert ticket.first_response_at is None
    assert ticket.status == TicketStatus.NEW
    clock.shift(timedelta(minutes=20))
    lifecycle.ticket_reply(ticket=ticket, body="Looking now", actor=alice)
    assert ticket.first_response_at == T0 + timedelta(minutes=30)
    assert ticket.response_state == "met"
    assert ticket.status == TicketStatus.OPEN
    clock.shift(timedelta(minutes=20))
    lifecycle.ticket_reply(ticket=ticket, body="Still looking", actor=alice)
    ticket.refresh_from_db()
    assert ticket.first_response_at == T0 + timedelta(minutes=30)
    assert len(events(ticket, "met", "response")) == 1


def test_api_key_comment_counts_as_tenant_side(in_tenant, clock, account):
    ticket = TicketFactory(account=account)
    lifecycle.ticket_reply(ticket=ticket, body="Automated triage reply", actor_label="API key: bot")
    assert ticket.first_response_at == T0


def test_late_first_response_is_breached_once(in_tenant, clock, account, alice):
    ticket = TicketFactory(account=account, severity=1)
    clock.shift(timedelta(minutes=90))
    lifecycle.ticket_reply(ticket=ticket, body="Sorry for the wait", actor=alice)
    assert ticket.response_state == "breached"
    assert ticket.response_breached is True
    assert [e.kind for e in events(ticket, metric="response")] == ["breached"]


def test_customer_comment_reopens_pending_and_resolved(in_tenant, clock, account, contact, alice):
    ticket = TicketFactory(account=account, contact=contact)
    lifecycle.ticket_reply(ticket=ticket, body="Can you send logs?", actor=alice)
    lifecycle.ticket_transition(ticket=ticket, to_status="pending_customer", actor=alice)
    lifecycle.ticket_reply(ticket=ticket, body="Logs attached", contact=contact)
    assert ticket.status == TicketStatus.OPEN
    lifecycle.ticket_transition(ticket=ticket, to_status="resolved", actor=alice)
    lifecycle.ticket_reply(ticket=ticket, body="It's broken again", contact=contact)
    assert ticket.status == TicketStatus.OPEN
    lifecycle.ticket_transition(ticket=ticket, to_status="resolved")
    lifecycle.ticket_transition(ticket=ticket, to_status="closed")
    with pytest.raises(InvalidTransition):
        lifecycle.ticket_reply(ticket=ticket, body="Hello?", contact=contact)


def test_comment_rules(in_tenant, account, contact, other_tenant):
    ticket = TicketFactory(account=account)
    with pytest.raises(DomainError):
        lifecycle.ticket_reply(ticket=ticket, body="   ")
    with pytest.raises(DomainError):
        lifecycle.ticket_reply(ticket=ticket, body="secret", public=False, contact=contact)
    other_contact = ContactFactory(account=AccountFactory(tenant=account.tenant))
    with pytest.raises(DomainError) as exc:
        lifecycle.ticket_reply(ticket=ticket, body="hi", contact=other_contact)
    assert exc.value.field == "contact"
    assert ticket.comments.count() == 0


# --------------------------------------------------------------------------- SLA clocks


def test_pause_and_resume_continue_with_the_minutes_left(in_tenant, clock, account, contact, alice):
    ticket = TicketFactory(account=account, severity=1, contact=contact)  # 60 / 240, 24x7
    clock.shift(timedelta(minutes=30))
    lifecycle.ticket_reply(ticket=ticket, body="Need logs", actor=alice)
    clock.shift(timedelta(minutes=30))
    lifecycle.ticket_transition(ticket=ticket, to_status="pending_customer", actor=alice)
    assert ticket.sla_state == "paused"
    assert ticket.resolution_due_at is None
    assert ticket.resolution_elapsed_minutes == 60
    assert ticket.sla_next_due_at is None
    clock.shift(timedelta(hours=4))  # longer than the whole target: the clock is stopped
    assert sla_engine.scan().transitions.breached == 0
    lifecycle.ticket_reply(ticket=ticket, body="Here", contact=contact)
    assert ticket.status == TicketStatus.OPEN
    assert ticket.resolution_due_at == T0 + timedelta(hours=5, minutes=180)
    assert ticket.resolution_at_risk_at == T0 + timedelta(hours=5, minutes=120)  # 75% of 240 = 180 elapsed
    paused, resumed = events(ticket, "paused")[0], events(ticket, "resumed")[0]
    assert paused.detail == {"elapsed_minutes": 60.0, "remaining_minutes": 180.0}
    assert resumed.due_at == ticket.resolution_due_at
    clock.shift(timedelta(minutes=121))
    assert sla_engine.scan().transitions.warned == 1
    clock.shift(timedelta(minutes=60))
    assert sla_engine.scan().transitions.breached == 1
    ticket.refresh_from_db()
    assert ticket.resolution_state == "breached"
    assert ticket.sla_state == "breached"


def test_pause_after_the_at_risk_point_resumes_at_risk_without_a_second_warning(in_tenant, clock, account, alice):
    ticket = TicketFactory(account=account, severity=1)
    lifecycle.ticket_reply(ticket=ticket, body="On it", actor=alice)
    clock.shift(timedelta(minutes=200))  # 200 of 240 elapsed: at risk (logged by the settle before pausing)
    lifecycle.ticket_transition(ticket=ticket, to_status="pending_customer")
    clock.shift(timedelta(hours=1))
    lifecycle.ticket_transition(ticket=ticket, to_status="open")
    assert ticket.resolution_state == "at_risk"
    assert ticket.resolution_due_at == T0 + timedelta(minutes=200 + 60 + 40)
    sla_engine.scan()
    assert len(events(ticket, "warned", "resolution")) == 1


def test_resolve_meets_and_reopen_resumes(in_tenant, clock, account, alice):
    ticket = TicketFactory(account=account, severity=2)  # 240 / 480
    clock.shift(timedelta(minutes=100))
    lifecycle.ticket_transition(ticket=ticket, to_status="resolved", actor=alice)
    assert (ticket.response_state, ticket.resolution_state, ticket.sla_state) == ("met", "met", "met")
    assert ticket.resolved_at == T0 + timedelta(minutes=100)
    assert ticket.sla_next_check_at is None
    clock.shift(timedelta(days=1))
    lifecycle.ticket_transition(ticket=ticket, to_status="open", actor=alice)
    assert ticket.resolved_at is None
    assert ticket.resolution_state == "on_track"
    assert ticket.resolution_due_at == T0 + timedelta(days=1, minutes=100 + 380)
    assert events(ticket, "resumed")[0].detail["reopened"] is True


def test_severity_change_recomputes_from_opened_at(in_tenant, clock, account, alice):
    ticket = TicketFactory(account=account, severity=3)  # 480 / 1440
    clock.shift(timedelta(minutes=30))
    lifecycle.ticket_set_severity(ticket=ticket, severity=1, actor=alice)
    assert ticket.response_due_at == T0 + timedelta(minutes=60)
    assert ticket.resolution_due_at == T0 + timedelta(minutes=240)
    change = TicketChange.objects.get(ticket=ticket, action="severity")
    assert change.changes["severity"] == [3, 1]
    assert change.changes["response_target_minutes"] == [480, 60]
    applied = events(ticket, "applied")
    assert len(applied) == 2 and applied[1].detail["reason"] == "severity"
    clock.shift(timedelta(minutes=20))  # 50 minutes after opening: back to Sev2, the response is on track again
    lifecycle.ticket_set_severity(ticket=ticket, severity=2, actor=alice)
    assert ticket.response_due_at == T0 + timedelta(minutes=240)
    assert ticket.response_state == "on_track"
    clock.shift(timedelta(minutes=40))  # a breach under Sev1 is logged; back to Sev2 the state follows the new due
    lifecycle.ticket_set_severity(ticket=ticket, severity=1, actor=alice)
    assert ticket.response_state == "breached"
    lifecycle.ticket_set_severity(ticket=ticket, severity=2, actor=alice)
    assert (ticket.response_state, ticket.response_due_at) == ("on_track", T0 + timedelta(minutes=240))
    assert len(events(ticket, "breached", "response")) == 1  # the breach stays in the log as history


def test_severity_change_after_a_breach_shows_the_new_target(in_tenant, clock, account):
    """Once a target passed, a severity change still moves both due instants to the new target."""
    ticket = TicketFactory(account=account, severity=3)  # 480 / 1440
    clock.shift(timedelta(hours=2))
    lifecycle.ticket_set_severity(ticket=ticket, severity=1)  # 60 / 240: the response is overdue
    assert (ticket.response_state, ticket.response_due_at) == ("breached", T0 + timedelta(minutes=60))
    assert ticket.resolution_due_at == T0 + timedelta(minutes=240)
    clock.shift(timedelta(hours=3))  # 5h: the resolution target passed too
    lifecycle.ticket_set_severity(ticket=ticket, severity=2)  # 240 / 480
    assert (ticket.response_due_at, ticket.resolution_due_at) == (T0 + timedelta(hours=4), T0 + timedelta(hours=8))
    assert (ticket.response_state, ticket.resolution_state, ticket.sla_state) == ("breached", "on_track", "breached")
    lifecycle.ticket_set_severity(ticket=ticket, severity=4)  # 1440 / 7200: nothing overdue any more
    ticket.refresh_from_db()
    assert ticket.response_due_at == T0 + timedelta(minutes=1440)
    assert ticket.resolution_due_at == T0 + timedelta(minutes=7200)
    assert (ticket.response_state, ticket.resolution_state, ticket.sla_state) == ("on_track", "on_track", "on_track")
    assert (ticket.response_breached, ticket.resolution_breached) == (False, False)
    assert len(events(ticket, "breached", "response")) == 1  # history
    assert len(events(ticket, "breached", "resolution")) == 1


def test_severity_change_after_the_response_judges_it_by_the_new_target(in_tenant, clock, account, alice):
    ticket = TicketFactory(account=account, severity=3)  # response 480
    clock.shift(timedelta(minutes=90))
    lifecycle.ticket_reply(ticket=ticket, body="On it", actor=alice)
    assert ticket.response_state == "met"
    lifecycle.ticket_set_severity(ticket=ticket, severity=1)  # response 60: the reply at 90 was late
    assert (ticket.response_state, ticket.response_due_at) == ("breached", T0 + timedelta(minutes=60))
    assert len(events(ticket, "breached", "response")) == 1
    lifecycle.ticket_set_severity(ticket=ticket, severity=2)  # 240: on time again; the breach entry stays
    assert (ticket.response_state, ticket.response_due_at) == ("met", T0 + timedelta(minutes=240))
    assert len(events(ticket, "breached", "response")) == 1


def test_severity_change_while_paused_past_the_new_target(in_tenant, clock, account, contact, alice):
    ticket = TicketFactory(account=account, severity=3, contact=contact)  # resolution 1440
    lifecycle.ticket_reply(ticket=ticket, body="Logs please", actor=alice)
    clock.shift(timedelta(minutes=300))
    lifecycle.ticket_transition(ticket=ticket, to_status="pending_customer")
    lifecycle.ticket_set_severity(ticket=ticket, severity=1)  # 240 < 300 used: breached at T0 + 240
    assert (ticket.resolution_state, ticket.resolution_due_at) == ("breached", T0 + timedelta(minutes=240))
    assert len(events(ticket, "breached", "resolution")) == 1
    lifecycle.ticket_set_severity(ticket=ticket, severity=2)  # 480 > 300: paused with time left
    assert (ticket.resolution_state, ticket.resolution_due_at) == ("paused", None)


def test_severity_change_excludes_paused_time(in_tenant, clock, account, contact, alice):
    ticket = TicketFactory(account=account, severity=3, contact=contact)  # resolution 1440
    lifecycle.ticket_reply(ticket=ticket, body="Logs please", actor=alice)
    clock.shift(timedelta(minutes=60))
    lifecycle.ticket_transition(ticket=ticket, to_status="pending_customer")
    clock.shift(timedelta(hours=10))
    lifecycle.ticket_reply(ticket=ticket, body="Logs", contact=contact)
    lifecycle.ticket_set_severity(ticket=ticket, severity=1)  # 240: 60 used before the pause
    assert ticket.resolution_due_at == T0 + timedelta(hours=11, minutes=180)


def test_policy_by_segment_falls_back_to_any_segment_then_defaults(in_tenant, clock, tenant):
    SlaPolicy.objects.create(severity=1, segment="enterprise", response_minutes=30, resolution_minutes=120)
    SlaPolicy.objects.create(severity=1, segment=None, response_minutes=90, resolution_minutes=300)
    enterprise = AccountFactory(tenant=tenant, arr=Decimal("250000"))
    smb = AccountFactory(tenant=tenant, arr=Decimal("5000"))
    assert enterprise.segment == "enterprise" and smb.segment == "smb"
    assert TicketFactory(account=enterprise, severity=1).response_due_at == T0 + timedelta(minutes=30)
    fallback = TicketFactory(account=smb, severity=1)
    assert fallback.response_due_at == T0 + timedelta(minutes=90)
    assert fallback.sla_policy.segment is None
    default = TicketFactory(account=smb, severity=2)
    assert default.sla_policy is None
    assert (default.response_target_minutes, default.resolution_target_minutes) == (240, 480)


def test_business_hours_targets(in_tenant, tenant):
    sla_config.business_hours_update(
        timezone_name="America/Los_Angeles",
        intervals=[{"weekday": d, "start": "08:00", "end": "18:00"} for d in range(5)],
        holidays=["2026-03-09"],
    )
    SlaPolicy.objects.create(severity=3, response_minutes=480, resolution_minutes=1440, clock="business_hours")
    account = AccountFactory(tenant=tenant)
    # Friday 6 March 2026, 16:00 PST (UTC-8) = 00:00 UTC Saturday.
    friday_4pm = T0.replace(day=7, hour=0)
    ticket = TicketFactory(account=account, severity=3, opened_at=friday_4pm - timedelta(seconds=0))
    # 2h on Friday; Monday 9 March is a holiday; 6h on Tuesday 10 March from 08:00 PDT (UTC-7) = 14:00 PDT.
    assert ticket.response_due_at == T0.replace(day=10, hour=21)
    # 1440 business minutes = 24h: 2 (Fri) + 10 (Tue) + 10 (Wed) + 2 (Thu) -> Thursday 12 March 10:00 PDT.
    assert ticket.resolution_due_at == T0.replace(day=12, hour=17)
    assert ticket.sla_clock == "business_hours"


def test_business_hours_validation(in_tenant):
    with pytest.raises(DomainError) as exc:
        sla_config.business_hours_update(timezone_name="Mars/Olympus", intervals=[{"weekday": 0, "start": "09:00", "end": "17:00"}])
    assert exc.value.field == "timezone"
    with pytest.raises(DomainError) as exc:
        sla_config.business_hours_update(timezone_name="UTC", intervals=[{"weekday": 0, "start": "18:00", "end": "09:00"}])
    assert exc.value.field == "intervals"
    with pytest.raises(DomainError) as exc:
        sla_config.business_hours_update(timezone_name="UTC", intervals=[])
    assert exc.value.field == "intervals"


def test_policy_table_validation_writes_nothing(in_tenant):
    sla_config.sla_policies_replace(policies=[{"severity": 1, "segment": None, "response_minutes": 30,
                                             "resolution_minutes": 60, "clock": "24x7"}])
    bad = [
        [{"severity": 5, "response_minutes": 1, "resolution_minutes": 1}],
        [{"severity": 1, "segment": "galactic", "response_minutes": 1, "resolution_minutes": 1}],
        [{"severity": 1, "response_minutes": 0, "resolution_minutes": 1}],
        [{"severity": 1, "response_minutes": 1, "resolution_minutes": 1, "clock": "lunar"}],
        [{"severity": 2, "response_minutes": 1, "resolution_minutes": 1}] * 2,
    ]
    for policies in bad:
        with pytest.raises(DomainError):
            sla_config.sla_policies_replace(policies=policies)
    assert list(SlaPolicy.objects.values_list("response_minutes", flat=True)) == [30]


def test_reapply_logs_a_policy_change(in_tenant, clock, account):
    ticket = TicketFactory(account=account, severity=2)
    lifecycle.ticket_reapply_sla(ticket=ticket)
    assert not TicketChange.objects.filter(ticket=ticket, action="sla_policy").exists()
    SlaPolicy.objects.create(severity=2, segment="mid_market", response_minutes=120, resolution_minutes=480)
    lifecycle.ticket_reapply_sla(ticket=ticket)
    change = TicketChange.objects.get(ticket=ticket, action="sla_policy")
    assert change.changes["response_target_minutes"] == [240, 120]
    assert ticket.response_due_at == T0 + timedelta(minutes=120)


def test_bulk_assign(in_tenant, account, alice, member):
    engineer = member(Role.SUPPORT_ENGINEER)
    tickets = [TicketFactory(account=account) for _ in range(3)]
    assert assignment.tickets_bulk_assign(ticket_ids=[t.pk for t in tickets], assignee=engineer, actor=alice) == 3
    assert assignment.tickets_bulk_assign(ticket_ids=[t.pk for t in tickets], assignee=engineer, actor=alice) == 0
    for ticket in tickets:
        ticket.refresh_from_db()
        assert (ticket.assignee, ticket.status) == (engineer, "open")
    assert TicketChange.objects.filter(action="assigned").count() == 3


def test_update_routes_each_change(in_tenant, clock, account, alice):
    ticket = TicketFactory(account=account)
    lifecycle.ticket_update(ticket=ticket, actor=alice, subject="New subject", tags=["Bug", "bug", "sso"],
                           severity=2, status="open", support_level=2)
    ticket.refresh_from_db()
    assert (ticket.subject, ticket.tags, ticket.severity, ticket.status, ticket.support_level) == (
        "New subject", ["bug", "sso"], 2, "open", 2)
    actions = set(TicketChange.objects.filter(ticket=ticket).values_list("action", flat=True))
    assert {"updated", "severity", "status", "support_level"} <= actions
    with pytest.raises(DomainError):
        lifecycle.ticket_update(ticket=ticket, number=7)


def test_sla_log_is_append_only(in_tenant, account):
    event = TicketSlaEvent.objects.filter(ticket=TicketFactory(account=account)).first()
    event.detail = {"tampered": True}
    with pytest.raises(ValueError):
        event.save()


def test_attachment_is_stored_with_the_ticket(in_tenant, account, alice, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    ticket = TicketFactory(account=account)
    attachment = attachments.ticket_attach(ticket=ticket, file=SimpleUploadedFile("log.txt", b"boom", "text/plain"),
                                        actor=alice)
    assert attachment.filename == "log.txt" and attachment.size == 4
    assert attachment.file.name.startswith(f"tickets/{ticket.tenant_id}/{ticket.pk}/")
    assert attachment.file.read() == b"boom"


def test_sla_log_refuses_updates_in_the_database(in_tenant, account):
    from django.db import DatabaseError, transaction

    ticket = TicketFactory(account=account)
    with pytest.raises(DatabaseError), transaction.atomic():
        TicketSlaEvent.objects.filter(ticket=ticket).update(kind="met")
    assert [e.kind for e in events(ticket)] == ["applied"]


def test_severity_change_onto_another_clock_recounts_the_running_time(in_tenant, clock, account):
    # Default business hours for a UTC tenant: Monday-Friday 09:00-17:00 UTC.
    SlaPolicy.objects.create(severity=2, response_minutes=240, resolution_minutes=480, clock="business_hours")
    ticket = TicketFactory(account=account, severity=1)  # 24x7, opened Monday 09:00
    clock.shift(timedelta(hours=1))
    lifecycle.ticket_transition(ticket=ticket, to_status="pending_customer")  # 60 minutes banked
    clock.shift(timedelta(hours=1))
    lifecycle.ticket_transition(ticket=ticket, to_status="open")  # running again from 11:00
    clock.shift(timedelta(hours=1))
    lifecycle.ticket_set_severity(ticket=ticket, severity=2)
    assert ticket.sla_clock == "business_hours"
    # Sev1's hour passed at 10:00 (logged, and kept as history); the state follows Sev2's 13:00 due.
    assert (ticket.response_state, ticket.response_due_at) == ("at_risk", T0 + timedelta(hours=4))
    assert len(events(ticket, "breached", "response")) == 1
    assert ticket.resolution_elapsed_minutes == 60
    # 420 minutes left from 11:00: 360 on Monday (to 17:00), 60 on Tuesday -> Tuesday 10:00.
    assert ticket.resolution_due_at == T0 + timedelta(days=1, hours=1)


def test_update_with_unchanged_fields_does_not_undo_an_escalation(in_tenant, clock, account, alice):
    """The properties form sends every field: a severity change that escalates keeps its new level."""
    ticket = TicketFactory(account=account, severity=3)
    clock.shift(timedelta(hours=2))
    lifecycle.ticket_update(ticket=ticket, actor=alice, severity=1, support_level=1, assignee=None)
    ticket.refresh_from_db()
    assert (ticket.severity, ticket.support_level) == (1, 2)  # breached at once, escalated to L2
    assert not TicketChange.objects.filter(ticket=ticket, action="support_level").exists()
