"""Who works a ticket: assignment (one, claim, bulk), support level and escalation by hand."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from accounts.models import Activity, ActivityKind
from accounts.services import activities_record_bulk
from base.errors import InvalidTransition
from tenancy.models import User
from tickets.escalation import escalation_follow_up
from tickets.models import MAX_SUPPORT_LEVEL, Ticket, TicketChange, TicketStatus
from tickets.services.common import check_assignee, check_level, lock_ticket, record_change, show
from tickets.services.notify import notify
from tickets.services.transitions import apply_transition


@transaction.atomic
def ticket_assign(*, ticket: Ticket, assignee: User | None, actor: User | None = None, actor_label: str = "") -> Ticket:
    """Assign (or unassign with None) a member; a new ticket becomes open. The new assignee is emailed."""
    check_assignee(assignee)
    lock_ticket(ticket)
    if ticket.assignee_id == (assignee.pk if assignee else None):
        return ticket
    now = timezone.now()
    old = ticket.assignee
    ticket.assignee = assignee
    ticket.updated_at = now
    ticket.save()
    record_change(ticket, "assigned", {"assignee": [show(old), show(assignee)]}, actor=actor, actor_label=actor_label,
            at=now, summary=f"assigned to {assignee.display_name}" if assignee else "unassigned")
    if assignee is not None and ticket.status == TicketStatus.NEW:
        apply_transition(ticket, TicketStatus.OPEN, actor=actor, actor_label=actor_label, now=now, note="Assigned")
    if assignee is not None and assignee != actor:
        notify(ticket, [assignee.email], f"[#{ticket.number}] Assigned to you: {ticket.subject}",
                f"Ticket #{ticket.number} (Sev{ticket.severity}, {ticket.account.name}) is now yours.\n")
    return ticket


def ticket_claim(*, ticket: Ticket, actor: User) -> Ticket:
    """The signed-in member takes the ticket."""
    return ticket_assign(ticket=ticket, assignee=actor, actor=actor)


@transaction.atomic
def tickets_bulk_assign(
    *, ticket_ids: Iterable[int], assignee: User | None, actor: User | None = None, actor_label: str = ""
) -> int:
    """Assign many tickets of the tenant in a few statements (one change-log and timeline row each)."""
    check_assignee(assignee)
    now = timezone.now()
    new_id = assignee.pk if assignee else None
    tickets = list(
        Ticket.objects.select_for_update(of=("self",)).select_related("assignee")
        .filter(pk__in=list(ticket_ids)).exclude(status__in=[TicketStatus.CLOSED]).order_by("pk")
    )
    tickets = [t for t in tickets if t.assignee_id != new_id]
    if not tickets:
        return 0
    opened = [t.pk for t in tickets if assignee is not None and t.status == TicketStatus.NEW]
    Ticket.objects.filter(pk__in=[t.pk for t in tickets]).update(assignee=assignee, updated_at=now)
    if opened:
        Ticket.objects.filter(pk__in=opened).update(status=TicketStatus.OPEN)
    changes, activities = [], []
    for t in tickets:
        diff = {"assignee": [show(t.assignee), show(assignee)]}
        if t.pk in opened:
            diff["status"] = [TicketStatus.NEW, TicketStatus.OPEN]
        changes.append(TicketChange(tenant_id=t.tenant_id, ticket=t, at=now, actor=actor, actor_label=actor_label,
                                    action="assigned", changes=diff, note="Bulk assignment"))
        activities.append(Activity(
            account_id=t.account_id, kind=ActivityKind.SYSTEM, author=actor, occurred_at=now, source="tickets",
            subject=f"Ticket #{t.number}: " + (f"assigned to {assignee.display_name}" if assignee else "unassigned"),
            body=t.subject, ref_type="ticket", ref_id=t.pk, metadata={"action": "assigned", "changes": diff},
        ))
    TicketChange.objects.bulk_create(changes)
    activities_record_bulk(activities)
    if assignee is not None and assignee != actor:
        numbers = ", ".join(f"#{t.number}" for t in tickets)
        notify(tickets[0], [assignee.email], f"{len(tickets)} tickets assigned to you", f"Tickets {numbers}.\n")
    return len(tickets)


@transaction.atomic
def ticket_set_support_level(
    *, ticket: Ticket, support_level: int, actor: User | None = None, actor_label: str = ""
) -> Ticket:
    check_level(support_level)
    lock_ticket(ticket)
    if ticket.support_level == support_level:
        return ticket
    now = timezone.now()
    old = ticket.support_level
    ticket.support_level = support_level
    ticket.updated_at = now
    ticket.save()
    record_change(ticket, "support_level", {"support_level": [old, support_level]}, actor=actor, actor_label=actor_label,
            at=now, summary=f"support level L{old} → L{support_level}")
    return ticket


@transaction.atomic
def ticket_escalate(*, ticket: Ticket, reason: str = "", actor: User | None = None, actor_label: str = "") -> Ticket:
    """Escalate by hand: one support level up (409 at L3), notify assignee and CSM, CTA for Sev1/Sev2."""
    lock_ticket(ticket)
    if ticket.status not in (TicketStatus.NEW, TicketStatus.OPEN, TicketStatus.PENDING_CUSTOMER):
        raise InvalidTransition("Only unresolved tickets can be escalated.", field="status")
    if ticket.support_level >= MAX_SUPPORT_LEVEL:
        raise InvalidTransition("This ticket is already at the highest support level (L3).", field="support_level")
    now = timezone.now()
    old = ticket.support_level
    ticket.support_level = old + 1
    ticket.escalated_at = ticket.escalated_at or now
    ticket.updated_at = now
    ticket.save()
    ticket = Ticket.objects.select_related("account__csm", "assignee").get(pk=ticket.pk)
    escalation_follow_up([(ticket, old, reason.strip() or "Escalated by hand")], now=now, actor=actor,
                         actor_label=actor_label)
    return ticket

