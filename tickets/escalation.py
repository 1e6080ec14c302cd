"""Escalation: a ticket unresolved too long (tenant setting, default 24h) or breached moves up one
support level (max L3), its assignee and the account's CSM are emailed, and Sev1/Sev2 tickets open a
CTA on the account (one open CTA per ticket: dedupe key ``ticket-escalation:<ticket_id>``).

Automatic escalation happens once per ticket (compare-and-set on ``escalated_at IS NULL``, under the
row lock taken by ``sla_engine.apply_transitions``); people can escalate further by hand
(``services.ticket_escalate``).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import F
from django.db.models.functions import Least

from accounts.models import Activity, ActivityKind, Task, TaskPriority, TaskSource
from accounts.services import activities_record_bulk, cta_open_bulk
from core import outbox
from tenancy.models import User
from tickets.models import MAX_SUPPORT_LEVEL, Ticket, TicketChange
from tickets.states import SlaState

ESCALATION_DEDUPE_PREFIX = "ticket-escalation:"


def escalation_dedupe_key(ticket_id: int) -> str:
    return f"{ESCALATION_DEDUPE_PREFIX}{ticket_id}"


def automatic_reason(ticket: Ticket, now: datetime) -> str:
    if ticket.response_state == SlaState.BREACHED and ticket.resolution_state == SlaState.BREACHED:
        return "First response and resolution SLAs breached"
    if ticket.response_state == SlaState.BREACHED:
        return "First response SLA breached"
    if ticket.resolution_state == SlaState.BREACHED:
        return "Resolution SLA breached"
    hours = round((now - ticket.opened_at) / timedelta(hours=1))
    return f"Unresolved after {hours} hours"


def escalate_automatically(old_levels: dict[int, int], *, now: datetime) -> int:
    """Escalate these (row-locked, checked) tickets once: one UPDATE, then set-based follow-ups."""
    ids = list(old_levels)
    Ticket.objects.filter(pk__in=ids, escalated_at__isnull=True).update(
        escalated_at=now, support_level=Least(F("support_level") + 1, MAX_SUPPORT_LEVEL)
    )
    tickets = list(Ticket.objects.filter(pk__in=ids).select_related("account__csm", "assignee").order_by("pk"))
    escalation_follow_up(
        [(ticket, old_levels[ticket.pk], automatic_reason(ticket, now)) for ticket in tickets], now=now, actor=None,
        actor_label="SLA engine",
    )
    return len(tickets)


def escalation_follow_up(
    escalated: list[tuple[Ticket, int, str]], *, now: datetime, actor: User | None, actor_label: str = ""
) -> None:
    """For each (ticket, old level, reason): change log, account timeline, a CTA for Sev1/Sev2 (one open per
    ticket, opened with ``accounts.services.cta_open_bulk``) and an email to the assignee and the account's CSM.
    A constant number of queries."""
    if not escalated:
        return
    changes, activities, tasks, emails = [], [], [], []
    for ticket, old_level, reason in escalated:
        diff = {"support_level": [old_level, ticket.support_level]}
        changes.append(TicketChange(tenant_id=ticket.tenant_id, ticket=ticket, at=now, actor=actor,
                                    actor_label=actor_label, action="escalated", changes=diff, note=reason))
        activities.append(Activity(
            account_id=ticket.account_id, kind=ActivityKind.SYSTEM, author=actor, occurred_at=now, source="tickets",
            subject=f"Ticket #{ticket.number} escalated to L{ticket.support_level}", body=f"{reason}: {ticket.subject}",
            ref_type="ticket", ref_id=ticket.pk, metadata={"action": "escalated", "changes": diff},
        ))
        if ticket.severity <= 2:
            tasks.append(Task(
                tenant_id=ticket.tenant_id, account_id=ticket.account_id, dedupe_key=escalation_dedupe_key(ticket.pk),
                title=f"Sev{ticket.severity} ticket #{ticket.number} escalated: {ticket.subject}"[:200],
                owner=ticket.account.csm, due_date=(now + timedelta(days=1)).date(), source=TaskSource.TICKET,
                priority=TaskPriority.URGENT if ticket.severity == 1 else TaskPriority.HIGH,
                description=f"{reason}. Support level L{old_level} -> L{ticket.support_level}.",
            ))
        recipients = sorted({u.email for u in (ticket.assignee, ticket.account.csm) if u is not None and u.email})
        if recipients:
            emails.append(([
                ticket.tenant_id, recipients,
                f"[#{ticket.number}] Escalated to L{ticket.support_level}: {ticket.subject}",
                f"Ticket #{ticket.number} for {ticket.account.name} (Sev{ticket.severity}) was escalated from "
                f"L{old_level} to L{ticket.support_level}.\nReason: {reason}.\n",
            ], {}))
    TicketChange.objects.bulk_create(changes)
    outbox.enqueue_many("tickets.send_email", emails, tenant_id=escalated[0][0].tenant_id)
    activities_record_bulk(activities)
    cta_open_bulk(ctas=tasks, moment=now)
