"""One status change of a ticket, in named steps: refuse what ``ALLOWED_TRANSITIONS`` does not allow,
settle the SLA up to now, stop / complete / restart the resolution clock, save and log. The public
services (``lifecycle.ticket_transition``, replies, assignment) call ``apply_transition`` on a ticket
they hold locked."""

from __future__ import annotations

from datetime import datetime

from base.errors import InvalidTransition
from core.registries.events import publish
from tenancy.models import User
from tickets import sla, sla_engine
from tickets.models import Ticket
from tickets.services.common import record_change, settle, show
from tickets.sla_engine import SlaConfig, load_config, log_sla_events
from tickets.states import (
    ALLOWED_TRANSITIONS,
    PENDING_SLA_STATES,
    SlaEventKind,
    SlaMetric,
    SlaState,
    TicketStatus,
)

SlaLogEntry = tuple[str, str, datetime | None, dict]


def apply_transition(
    ticket: Ticket, to_status: str, *, actor: User | None, actor_label: str, note: str = "", now: datetime,
    config: SlaConfig | None = None,
) -> Ticket:
    """Move a locked ticket to ``to_status`` (``InvalidTransition`` when the lifecycle forbids it)."""
    from_status = ticket.status
    if to_status == from_status:
        return ticket
    _refuse_unless_allowed(from_status, to_status)
    config = config or load_config()
    settle(ticket, now)  # breaches up to now are logged before any clock stops
    events: list[SlaLogEntry] = []
    if to_status in (TicketStatus.PENDING_CUSTOMER, TicketStatus.RESOLVED):
        events += _stop_resolution_clock(ticket, to_status, config, now=now)
    if to_status == TicketStatus.RESOLVED:
        events += _complete(ticket, now=now)
    elif to_status == TicketStatus.CLOSED:
        ticket.closed_at = now
    elif to_status == TicketStatus.OPEN and from_status in (TicketStatus.PENDING_CUSTOMER, TicketStatus.RESOLVED):
        events += _restart_resolution_clock(ticket, from_status, config, now=now)
    _save_and_log(ticket, from_status, to_status, events, actor=actor, actor_label=actor_label, note=note, now=now)
    settle(ticket, now)
    if to_status == TicketStatus.RESOLVED:
        # Other apps hear of it (advocacy's CSAT survey), in this transaction, via the outbox.
        publish("ticket.resolved", tenant_id=ticket.tenant_id, payload={
            "ticket_id": ticket.pk, "account_id": ticket.account_id, "contact_id": ticket.contact_id,
            "requester_email": None,
        })
    return ticket


def _refuse_unless_allowed(from_status: str, to_status: str) -> None:
    if to_status not in ALLOWED_TRANSITIONS[from_status]:
        current = TicketStatus(from_status).label.lower()
        article = "An" if current[0] in "aeiou" else "A"
        raise InvalidTransition(
            f"{article} {current} ticket can't move to {TicketStatus(to_status).label.lower()}.", field="status",
        )


def _stop_resolution_clock(ticket: Ticket, to_status: str, config: SlaConfig, *, now: datetime) -> list[SlaLogEntry]:
    """Pending customer or resolved: bank the running clock's minutes; a pending ticket's target is paused."""
    if ticket.resolution_clock_started_at is None:
        return []
    elapsed = sla_engine.pause_resolution(ticket, config, at=now)
    if to_status != TicketStatus.PENDING_CUSTOMER:
        return []
    remaining = sla.remaining_minutes(ticket.resolution_target_minutes or 0, elapsed or 0)
    events = [(SlaEventKind.PAUSED, SlaMetric.RESOLUTION, ticket.resolution_due_at,
               {"elapsed_minutes": round(elapsed or 0, 2), "remaining_minutes": round(remaining, 2)})]
    if ticket.resolution_state in PENDING_SLA_STATES:
        ticket.resolution_state = SlaState.PAUSED
        ticket.resolution_due_at = None
        ticket.resolution_at_risk_at = None
    return events


def _complete(ticket: Ticket, *, now: datetime) -> list[SlaLogEntry]:
    """Resolved: both targets still pending are met (no first response yet: the resolution counts as one)."""
    events: list[SlaLogEntry] = []
    if ticket.response_state in PENDING_SLA_STATES:
        ticket.response_state = SlaState.MET
        events.append((SlaEventKind.MET, SlaMetric.RESPONSE, ticket.response_due_at, {"completed_at": show(now)}))
    if ticket.resolution_state in (*PENDING_SLA_STATES, SlaState.PAUSED):
        ticket.resolution_state = SlaState.MET
        events.append((SlaEventKind.MET, SlaMetric.RESOLUTION, ticket.resolution_due_at,
                       {"elapsed_minutes": round(ticket.resolution_elapsed_minutes, 2)}))
    ticket.resolved_at = now
    return events


def _restart_resolution_clock(ticket: Ticket, from_status: str, config: SlaConfig, *, now: datetime) -> list[SlaLogEntry]:
    """Back to open from pending or resolved: the resolution clock runs again from now."""
    events: list[SlaLogEntry] = []
    if ticket.resolution_state in (SlaState.PAUSED, SlaState.MET):
        due = sla_engine.resume_resolution(ticket, config, at=now)
        remaining = sla.remaining_minutes(ticket.resolution_target_minutes or 0, ticket.resolution_elapsed_minutes)
        events.append((SlaEventKind.RESUMED, SlaMetric.RESOLUTION, due,
                       {"remaining_minutes": round(remaining, 2), "reopened": from_status == TicketStatus.RESOLVED}))
    else:  # breached: the clock runs again (for the record) but the outcome stands
        sla_engine.resume_resolution(ticket, config, at=now)
    if from_status == TicketStatus.RESOLVED:
        ticket.resolved_at = None
    return events


def _save_and_log(
    ticket: Ticket, from_status: str, to_status: str, events: list[SlaLogEntry], *, actor: User | None,
    actor_label: str, note: str, now: datetime,
) -> None:
    ticket.status = to_status
    ticket.updated_at = now
    ticket.save()
    log_sla_events(ticket, events, at=now)
    verb = "reopened" if from_status == TicketStatus.RESOLVED and to_status == TicketStatus.OPEN else "status"
    record_change(ticket, verb, {"status": [from_status, to_status]}, actor=actor, actor_label=actor_label, at=now,
                  summary=f"{TicketStatus(from_status).label} → {TicketStatus(to_status).label}", note=note)
