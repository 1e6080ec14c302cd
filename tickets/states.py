"""Ticket and SLA state, defined once: statuses, SLA states, which status may follow which, and the
SQL built from these enums (the generated columns of ``Ticket`` and the compare-and-set UPDATEs of the
SLA scan in ``tickets.sla_engine``). Nothing here touches the database.

* ``TicketStatus``, ``UNRESOLVED_STATUSES`` (the clocks can breach), ``RUNNING_STATUSES`` (the
  resolution clock runs), ``DONE_STATUSES``; ``ALLOWED_TRANSITIONS`` and ``allowed_transitions(status)``.
* ``SlaState`` (per target: on track, at risk, paused, breached, met), ``PENDING_SLA_STATES``,
  ``BREACHING_STATES``; ``SlaEventKind`` and ``SlaMetric`` (the SLA log).
* ``SLA_STATE_EXPRESSION``, ``SLA_NEXT_CHECK_EXPRESSION``, ``SLA_NEXT_DUE_EXPRESSION``: the generated columns.
* ``SCAN_STEPS`` and ``ESCALATION_WHERE_SQL``: the scan's SQL, with the same values.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models
from django.db.models import Case, F, Q, Value, When
from django.db.models.functions import Coalesce, Least


class TicketStatus(models.TextChoices):
    NEW = "new", "New"
    OPEN = "open", "Open"
    PENDING_CUSTOMER = "pending_customer", "Pending customer"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"


UNRESOLVED_STATUSES = (TicketStatus.NEW, TicketStatus.OPEN, TicketStatus.PENDING_CUSTOMER)
RUNNING_STATUSES = (TicketStatus.NEW, TicketStatus.OPEN)  # the resolution clock runs
DONE_STATUSES = (TicketStatus.RESOLVED, TicketStatus.CLOSED)

ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    TicketStatus.NEW: frozenset({TicketStatus.OPEN, TicketStatus.PENDING_CUSTOMER, TicketStatus.RESOLVED}),
    TicketStatus.OPEN: frozenset({TicketStatus.PENDING_CUSTOMER, TicketStatus.RESOLVED}),
    TicketStatus.PENDING_CUSTOMER: frozenset({TicketStatus.OPEN, TicketStatus.RESOLVED}),
    TicketStatus.RESOLVED: frozenset({TicketStatus.CLOSED, TicketStatus.OPEN}),
    TicketStatus.CLOSED: frozenset(),
}


def allowed_transitions(status: str) -> list[str]:
    """Statuses a ticket in ``status`` may move to, in lifecycle order (for buttons)."""
    allowed = ALLOWED_TRANSITIONS.get(status, frozenset())
    return [value for value in TicketStatus.values if value in allowed]


class SlaState(models.TextChoices):
    ON_TRACK = "on_track", "On track"
    AT_RISK = "at_risk", "At risk"
    PAUSED = "paused", "Paused"
    BREACHED = "breached", "Breached"
    MET = "met", "Met"


PENDING_SLA_STATES = (SlaState.ON_TRACK, SlaState.AT_RISK)
BREACHING_STATES = (SlaState.AT_RISK, SlaState.BREACHED)

# When a target's outcome (met / breached) was decided: the first response (else the resolution, else the due
# instant it breached at); the resolution (else its due instant). The support dashboard dates its SLA counts by
# these (``dashboards.refresh``: the same COALESCE in SQL) and the queue's ``decided_from/decided_to`` filter too.
RESPONSE_DECIDED_AT = Coalesce(F("first_response_at"), F("resolved_at"), F("response_due_at"), F("opened_at"))
RESOLUTION_DECIDED_AT = Coalesce(F("resolved_at"), F("resolution_due_at"), F("opened_at"))


class SlaEventKind(models.TextChoices):
    APPLIED = "applied", "Policy applied"
    PAUSED = "paused", "Paused"
    RESUMED = "resumed", "Resumed"
    WARNED = "warned", "At risk"
    BREACHED = "breached", "Breached"
    MET = "met", "Met"


class SlaMetric(models.TextChoices):
    RESPONSE = "response", "First response"
    RESOLUTION = "resolution", "Resolution"
    BOTH = "", "Both"


# --------------------------------------------------------------------------- generated columns of Ticket

_UNRESOLVED = Q(status__in=[s.value for s in UNRESOLVED_STATUSES])
_RUNNING = Q(status__in=[s.value for s in RUNNING_STATUSES])
_PENDING = [s.value for s in PENDING_SLA_STATES]


def _when(condition: Q, field: str) -> Case:
    return Case(When(condition, then=F(field)), default=Value(None), output_field=models.DateTimeField())


SLA_STATE_EXPRESSION = Case(
    When(Q(response_state=SlaState.BREACHED) | Q(resolution_state=SlaState.BREACHED), then=Value(SlaState.BREACHED.value)),
    When(~_UNRESOLVED, then=Value(SlaState.MET.value)),
    When(status=TicketStatus.PENDING_CUSTOMER, then=Value(SlaState.PAUSED.value)),
    When(Q(response_state=SlaState.AT_RISK) | Q(resolution_state=SlaState.AT_RISK), then=Value(SlaState.AT_RISK.value)),
    default=Value(SlaState.ON_TRACK.value),
    output_field=models.CharField(max_length=16),
)

# The next instant the scan has work on this ticket: a pending at-risk or due instant, or escalation.
SLA_NEXT_CHECK_EXPRESSION = Least(
    _when(_UNRESOLVED & Q(response_state=SlaState.ON_TRACK), "response_at_risk_at"),
    _when(_UNRESOLVED & Q(response_state__in=_PENDING), "response_due_at"),
    _when(_RUNNING & Q(resolution_state=SlaState.ON_TRACK), "resolution_at_risk_at"),
    _when(_RUNNING & Q(resolution_state__in=_PENDING), "resolution_due_at"),
    _when(_RUNNING & Q(escalated_at__isnull=True), "escalate_at"),
)

# Queue order: response due until the first response, then resolution due; NULL (last) while paused or done.
SLA_NEXT_DUE_EXPRESSION = Case(
    When(_RUNNING & Q(first_response_at__isnull=True), then=F("response_due_at")),
    When(_RUNNING, then=F("resolution_due_at")),
    default=Value(None),
    output_field=models.DateTimeField(),
)


# --------------------------------------------------------------------------- the SLA scan's SQL


def _sql_in(values) -> str:
    return "(" + ", ".join(f"'{value}'" for value in values) + ")"


UNRESOLVED_SQL = f"status IN {_sql_in(UNRESOLVED_STATUSES)}"
RUNNING_SQL = f"status IN {_sql_in(RUNNING_STATUSES)}"
PENDING_SQL = _sql_in(PENDING_SLA_STATES)


@dataclass(frozen=True)
class ScanStep:
    """One time-driven transition: ``UPDATE ... SET <set_sql> WHERE <where_sql> RETURNING id, <due_column>``."""

    metric: str
    kind: str
    set_sql: str
    where_sql: str
    due_column: str


def _warn(metric: str, clock_sql: str) -> ScanStep:
    return ScanStep(
        metric, SlaEventKind.WARNED, f"{metric}_state = '{SlaState.AT_RISK}'",
        f"{metric}_state = '{SlaState.ON_TRACK}' AND {clock_sql} AND {metric}_at_risk_at <= %(now)s "
        f"AND {metric}_due_at >= %(now)s",
        f"{metric}_due_at",
    )


def _breach(metric: str, clock_sql: str) -> ScanStep:
    return ScanStep(
        metric, SlaEventKind.BREACHED, f"{metric}_state = '{SlaState.BREACHED}'",
        f"{metric}_state IN {PENDING_SQL} AND {clock_sql} AND {metric}_due_at < %(now)s",
        f"{metric}_due_at",
    )


# The response clock runs while the ticket is unresolved; the resolution clock only while it runs (not paused).
SCAN_STEPS: tuple[ScanStep, ...] = (
    _warn(SlaMetric.RESPONSE, UNRESOLVED_SQL),
    _breach(SlaMetric.RESPONSE, UNRESOLVED_SQL),
    _warn(SlaMetric.RESOLUTION, RUNNING_SQL),
    _breach(SlaMetric.RESOLUTION, RUNNING_SQL),
)

ESCALATION_WHERE_SQL = (
    f"escalated_at IS NULL AND {RUNNING_SQL} AND (escalate_at <= %(now)s "
    f"OR response_state = '{SlaState.BREACHED}' OR resolution_state = '{SlaState.BREACHED}')"
)
