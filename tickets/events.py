"""The tickets' events (core.registries.events), published inside the writer's transaction:

* ``ticket.created`` from ``services.lifecycle.ticket_create`` (the API, the new-ticket page and email intake
  all open tickets through it);
* ``ticket.sla_breached`` from the SLA engine's compare-and-set transitions (the periodic scan and the services'
  ``settle``) and from a severity change that puts a completed or paused metric past its new due: once per
  ticket and metric (a metric already breached under an earlier target publishes nothing again), set-based
  (two queries and one ``publish_many`` per batch of transitions).

``severity`` is the ticket's severity as stored and as the API shows it (1-4); ``metric`` is the SLA
engine's name (``response`` or ``resolution``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from core.registries.events import publish, publish_many
from tickets.models import Ticket, TicketSlaEvent
from tickets.states import SlaEventKind

CREATED = "ticket.created"
SLA_BREACHED = "ticket.sla_breached"


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def publish_created(ticket: Ticket) -> None:
    publish(CREATED, tenant_id=ticket.tenant_id, payload={
        "ticket_id": ticket.pk, "number": ticket.number, "account_id": ticket.account_id,
        "account_name": ticket.account.name, "subject": ticket.subject, "severity": ticket.severity,
        "status": ticket.status, "created_at": _iso(ticket.opened_at),
    })


def publish_breaches(
    *, tenant_id: int, breaches: Sequence[tuple[int, str, datetime | None]], at: datetime,
    new_event_ids: Iterable[int] = (),
) -> int:
    """``breaches``: (ticket id, metric, due at) just logged as breached at ``at`` (their SLA log rows are
    ``new_event_ids``). Pairs breached before (an earlier row in the log) are left out. Returns how many."""
    if not breaches:
        return 0
    ids = sorted({ticket_id for ticket_id, _, _ in breaches})
    earlier = set(
        TicketSlaEvent.objects.filter(ticket_id__in=ids, kind=SlaEventKind.BREACHED)
        .exclude(pk__in=list(new_event_ids)).values_list("ticket_id", "metric")
    )
    fresh = [(t, m, due) for t, m, due in breaches if (t, m) not in earlier]
    if not fresh:
        return 0
    tickets = {
        row["id"]: row for row in Ticket.objects.filter(pk__in={t for t, _, _ in fresh})
        .values("id", "number", "account_id", "account__name", "subject", "severity")
    }
    publish_many(SLA_BREACHED, tenant_id=tenant_id, payloads=[
        {
            "ticket_id": ticket_id, "number": tickets[ticket_id]["number"], "account_id": tickets[ticket_id]["account_id"],
            "account_name": tickets[ticket_id]["account__name"], "subject": tickets[ticket_id]["subject"],
            "severity": tickets[ticket_id]["severity"], "metric": str(metric), "due_at": _iso(due), "breached_at": _iso(at),
        }
        for ticket_id, metric, due in fresh
    ])
    return len(fresh)
