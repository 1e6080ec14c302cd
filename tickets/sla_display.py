"""How a ticket's SLA reads on the pages (pure: no database, no Django request): the live state of each
target (the stored state moved on if its due / at-risk instant passed since the last scan), time left,
the ticket's overall state, and compact labels. Unit-tested alone (tests/tickets/test_sla_display.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tickets.models import Ticket
from tickets.states import DONE_STATUSES, PENDING_SLA_STATES, SlaState, TicketStatus


def duration_label(seconds: float) -> str:
    """Compact signed duration: ``45m``, ``3h 05m``, ``2d 4h``, ``-20m`` (overdue)."""
    sign = "-" if seconds < 0 else ""
    minutes = int(abs(seconds) // 60)
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{sign}{days}d {hours}h"
    if hours:
        return f"{sign}{hours}h {mins:02d}m"
    return f"{sign}{mins}m"


def live_state(stored: str, due_at: datetime | None, at_risk_at: datetime | None, now: datetime) -> str:
    """The state a target is in *now*: the stored one, moved on if its due/at-risk instant passed
    since the last SLA scan (the scan will log it; the page should not wait for it)."""
    if stored in PENDING_SLA_STATES:
        if due_at is not None and due_at <= now:
            return SlaState.BREACHED
        if stored == SlaState.ON_TRACK and at_risk_at is not None and at_risk_at <= now:
            return SlaState.AT_RISK
    return stored


@dataclass(frozen=True)
class SlaTargetView:
    """One SLA target of a ticket as the page shows it."""

    key: str  # "response" | "resolution"
    label: str
    target_minutes: int | None
    state: str
    due_at: datetime | None
    done_at: datetime | None
    seconds_left: float | None  # to the due instant (negative: overdue); None when paused or done
    paused_minutes_left: float | None  # business minutes left on a paused clock

    @property
    def left_label(self) -> str:
        if self.seconds_left is not None:
            return duration_label(self.seconds_left)
        if self.paused_minutes_left is not None:
            return duration_label(self.paused_minutes_left * 60)
        return ""

    @property
    def state_label(self) -> str:
        return SlaState(self.state).label

    @property
    def target_label(self) -> str:
        return duration_label((self.target_minutes or 0) * 60) if self.target_minutes else "—"


def sla_targets(ticket: Ticket, now: datetime) -> list[SlaTargetView]:
    """First response and resolution targets with their live state and time left."""
    response_state = live_state(ticket.response_state, ticket.response_due_at, ticket.response_at_risk_at, now)
    resolution_state = live_state(
        ticket.resolution_state, ticket.resolution_due_at, ticket.resolution_at_risk_at, now
    )
    paused_left = None
    if resolution_state == SlaState.PAUSED:
        paused_left = max(0.0, (ticket.resolution_target_minutes or 0) - ticket.resolution_elapsed_minutes)

    def left(state: str, due: datetime | None) -> float | None:
        if due is None or state in (SlaState.MET, SlaState.PAUSED):
            return None
        if state == SlaState.BREACHED and ticket.status in DONE_STATUSES:
            return None
        return (due - now).total_seconds()

    return [
        SlaTargetView(
            "response", "First response", ticket.response_target_minutes, response_state, ticket.response_due_at,
            ticket.first_response_at, left(response_state, ticket.response_due_at) if not ticket.first_response_at
            else None, None,
        ),
        SlaTargetView(
            "resolution", "Resolution", ticket.resolution_target_minutes, resolution_state, ticket.resolution_due_at,
            ticket.resolved_at, left(resolution_state, ticket.resolution_due_at), paused_left,
        ),
    ]


def overall_state(targets: list[SlaTargetView], ticket: Ticket) -> str:
    states = {t.state for t in targets}
    if SlaState.BREACHED in states:
        return SlaState.BREACHED
    if ticket.status in DONE_STATUSES:
        return SlaState.MET
    if ticket.status == TicketStatus.PENDING_CUSTOMER:
        return SlaState.PAUSED
    return SlaState.AT_RISK if SlaState.AT_RISK in states else SlaState.ON_TRACK



def health_label(status: str | None) -> str:
    """``at_risk`` -> ``At risk`` (band keys are tenant data; this is only their display)."""
    return (status or "").replace("_", " ").capitalize()
