"""The SLA engine on the database: which policy applies, the tenant's clocks, and the time-driven
state transitions (at risk, breached) shared by the services and the periodic scan.

Pure business-time arithmetic lives in ``tickets/sla.py``; this module turns it into ticket
fields. Every time-driven transition is a compare-and-set ``UPDATE ... WHERE <state> = old ...
RETURNING``, so however many scans overlap (and whatever the services do meanwhile), each
transition is applied and logged exactly once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.utils import timezone

from tenancy.context import get_current_tenant
from tickets import escalation, sla
from tickets import events as ticket_events
from tickets.models import SlaClock, SlaPolicy, SupportSettings, Ticket, TicketSlaEvent
from tickets.states import ESCALATION_WHERE_SQL, SCAN_STEPS, SlaEventKind, SlaMetric, SlaState

# API.md defaults: severity -> (response minutes, resolution minutes), every segment, 24x7 clock.
DEFAULT_TARGETS: dict[int, tuple[int, int]] = {1: (60, 240), 2: (240, 480), 3: (480, 1440), 4: (1440, 7200)}
DEFAULT_BUSINESS_INTERVALS = [{"weekday": day, "start": "09:00", "end": "17:00"} for day in range(5)]
SCAN_BATCH = 5000


@dataclass(frozen=True)
class Target:
    """The targets that apply to one ticket: a policy row, or the built-in default (``policy`` None)."""

    severity: int
    response_minutes: int
    resolution_minutes: int
    clock: str = SlaClock.ALWAYS
    policy: SlaPolicy | None = None
    segment: str | None = None

    @property
    def policy_id(self) -> int | None:
        return self.policy.pk if self.policy else None


@dataclass
class SlaConfig:
    """A tenant's SLA configuration, loaded once per operation (two queries)."""

    settings: SupportSettings
    policies: dict[tuple[int, str | None], SlaPolicy]
    _calendars: dict[str, sla.BusinessCalendar] = field(default_factory=dict)

    @property
    def ratio(self) -> float:
        return self.settings.at_risk_percent / 100

    def calendar(self, clock: str) -> sla.BusinessCalendar:
        if clock not in self._calendars:
            self._calendars[clock] = calendar_from_settings(self.settings, clock)
        return self._calendars[clock]

    def target_for(self, severity: int, segment: str | None) -> Target:
        """(severity, segment) first, then (severity, any segment), then the built-in default."""
        for key in ((severity, segment), (severity, None)):
            policy = self.policies.get(key)
            if policy is not None:
                return Target(severity, policy.response_minutes, policy.resolution_minutes, policy.clock, policy,
                              policy.segment)
        response, resolution = DEFAULT_TARGETS[severity]
        return Target(severity, response, resolution)

    def escalate_at(self, opened_at: datetime) -> datetime | None:
        minutes = self.settings.escalate_after_minutes
        return opened_at + timedelta(minutes=minutes) if minutes else None


def calendar_from_settings(settings: SupportSettings, clock: str) -> sla.BusinessCalendar:
    if clock == SlaClock.ALWAYS:
        return sla.BusinessCalendar.always(settings.timezone)
    return sla.BusinessCalendar.from_config(
        settings.timezone, settings.intervals or DEFAULT_BUSINESS_INTERVALS, settings.holidays or ()
    )


def support_settings_get() -> SupportSettings:
    """The tenant's support settings, or unsaved defaults (tenant time zone, Mon-Fri 09:00-17:00)."""
    existing = SupportSettings.objects.first()
    if existing is not None:
        return existing
    tenant = get_current_tenant()
    return SupportSettings(tenant=tenant, timezone=tenant.timezone, intervals=list(DEFAULT_BUSINESS_INTERVALS))


def load_config() -> SlaConfig:
    policies = {(p.severity, p.segment): p for p in SlaPolicy.objects.all()}
    return SlaConfig(settings=support_settings_get(), policies=policies)


# --------------------------------------------------------------------------- computing due instants


def _add(start: datetime, minutes: float, calendar: sla.BusinessCalendar) -> datetime:
    return sla.add_business_minutes(start, max(0.0, minutes), calendar)


def apply_target(ticket: Ticket, target: Target, config: SlaConfig, *, now: datetime) -> None:
    """Set the ticket's targets and due instants from ``target`` (new ticket or severity/policy change).

    Both metrics are counted from ``opened_at`` and their due instants always follow the target, also
    when the old one already passed; the resolution clock keeps its paused time out. The state follows
    the new due instant: a metric already completed (responded, resolved) is met or breached by the new
    due; a running one is breached while its new due has passed and otherwise back on track, and the
    scan step that follows (``apply_transitions``) logs any new at-risk or breach exactly once. A breach
    logged under the old target stays in the SLA log as history.
    """
    calendar = config.calendar(target.clock)
    clock_changed = ticket.sla_clock != target.clock and ticket.pk is not None
    ticket.sla_policy = target.policy
    ticket.sla_clock = target.clock
    ticket.response_target_minutes = target.response_minutes
    ticket.resolution_target_minutes = target.resolution_minutes
    ticket.escalate_at = config.escalate_at(ticket.opened_at)

    ticket.response_due_at = _add(ticket.opened_at, target.response_minutes, calendar)
    ticket.response_at_risk_at = _add(ticket.opened_at, config.ratio * target.response_minutes, calendar)
    responded_at = ticket.first_response_at or (ticket.resolved_at if ticket.response_state == SlaState.MET else None)
    if responded_at is not None:
        ticket.response_state = SlaState.MET if responded_at <= ticket.response_due_at else SlaState.BREACHED
    else:
        ticket.response_state = _follow(ticket.response_state, ticket.response_due_at, ticket.response_at_risk_at, now)

    if clock_changed and ticket.resolution_state != SlaState.BREACHED:
        # Banked minutes were counted on the old clock: recount them on the new one (the log of a
        # breached clock is not complete enough to replay: it keeps its count).
        ticket.resolution_elapsed_minutes = banked_minutes_from_log(ticket, calendar)
    if ticket.resolution_clock_started_at is not None:
        _set_resolution_due(ticket, config, calendar, now=now)
    else:
        _set_stopped_resolution(ticket, config, calendar)


def _follow(old: str, due_at: datetime, at_risk_at: datetime, now: datetime) -> str:
    """A running metric's state after its due instant moved: a breach stands while the new due has
    passed; otherwise on track (or still at risk), and the scan step logs what is now due."""
    if old == SlaState.BREACHED and due_at < now:
        return SlaState.BREACHED
    return _reset_state(old, at_risk_at, now)


def _reset_state(old: str, at_risk_at: datetime, now: datetime) -> str:
    return SlaState.AT_RISK if old == SlaState.AT_RISK and at_risk_at <= now else SlaState.ON_TRACK


def _set_resolution_due(ticket: Ticket, config: SlaConfig, calendar: sla.BusinessCalendar, *, now: datetime) -> None:
    """Running resolution clock: due = running_since + remaining; at risk = running_since + (ratio*target - banked).
    (When the banked minutes already exceed the target, the due instant is found in the clock's log.)"""
    started = ticket.resolution_clock_started_at
    target = ticket.resolution_target_minutes or 0
    banked = ticket.resolution_elapsed_minutes
    if banked > target and ticket.pk is not None:
        ticket.resolution_due_at = resolution_due_from_log(ticket, calendar) or started
    else:
        ticket.resolution_due_at = sla.due_after_resume(started, target, banked, calendar)
    ticket.resolution_at_risk_at = _add(started, config.ratio * target - banked, calendar)
    ticket.resolution_state = _follow(ticket.resolution_state, ticket.resolution_due_at, ticket.resolution_at_risk_at,
                                      now)


def _set_stopped_resolution(ticket: Ticket, config: SlaConfig, calendar: sla.BusinessCalendar) -> None:
    """A stopped resolution clock (paused, or resolved): its outcome follows the new target."""
    target = ticket.resolution_target_minutes or 0
    banked = ticket.resolution_elapsed_minutes
    used_up = banked > target
    if ticket.resolution_state in (SlaState.MET, SlaState.BREACHED) and ticket.resolved_at is not None:
        ticket.resolution_state = SlaState.BREACHED if used_up else SlaState.MET
        ticket.resolution_due_at = (
            resolution_due_from_log(ticket, calendar) if used_up
            else _add(ticket.resolved_at, target - banked, calendar)
        )
        ticket.resolution_at_risk_at = None
    elif ticket.resolution_state in (SlaState.PAUSED, SlaState.BREACHED):
        if used_up:
            ticket.resolution_state = SlaState.BREACHED
            ticket.resolution_due_at = resolution_due_from_log(ticket, calendar)
        else:
            ticket.resolution_state = SlaState.PAUSED
            ticket.resolution_due_at = None
        ticket.resolution_at_risk_at = None


def start_ticket_clocks(ticket: Ticket, target: Target, config: SlaConfig, *, now: datetime) -> None:
    """A new ticket: both clocks start at ``opened_at``."""
    ticket.response_state = SlaState.ON_TRACK
    ticket.resolution_state = SlaState.ON_TRACK
    ticket.resolution_elapsed_minutes = 0.0
    ticket.resolution_clock_started_at = ticket.opened_at
    apply_target(ticket, target, config, now=now)


def pause_resolution(ticket: Ticket, config: SlaConfig, *, at: datetime) -> float | None:
    """Stop the resolution clock, banking its business minutes; returns them (None if nothing ran)."""
    if ticket.resolution_clock_started_at is None:
        return None
    calendar = config.calendar(ticket.sla_clock)
    elapsed = ticket.resolution_elapsed_minutes + sla.business_minutes_between(
        ticket.resolution_clock_started_at, at, calendar
    )
    ticket.resolution_elapsed_minutes = elapsed
    ticket.resolution_clock_started_at = None
    return elapsed


def resume_resolution(ticket: Ticket, config: SlaConfig, *, at: datetime) -> datetime | None:
    """Restart the resolution clock at ``at``: due = at + the minutes left. Returns the new due instant."""
    if ticket.resolution_clock_started_at is not None:
        return ticket.resolution_due_at
    ticket.resolution_clock_started_at = at
    if ticket.resolution_state == SlaState.BREACHED:
        return ticket.resolution_due_at
    calendar = config.calendar(ticket.sla_clock)
    # Already past the at-risk share before the pause (and logged then): it resumes at risk, no new warning.
    banked_at_risk = ticket.resolution_elapsed_minutes >= config.ratio * (ticket.resolution_target_minutes or 0)
    ticket.resolution_state = SlaState.AT_RISK if banked_at_risk else SlaState.ON_TRACK
    _set_resolution_due(ticket, config, calendar, now=at)
    return ticket.resolution_due_at


def banked_minutes_from_log(ticket: Ticket, calendar: sla.BusinessCalendar) -> float:
    """Business minutes of the resolution clock's finished segments (opened -> paused/met, resumed ->
    paused/met ...), rebuilt from the SLA log on ``calendar``: used when a policy change switches the
    clock. A segment still running is left out: it counts from ``resolution_clock_started_at``."""
    stops = (SlaEventKind.PAUSED, SlaEventKind.MET)
    running_since: datetime | None = ticket.opened_at
    total = 0.0
    events = TicketSlaEvent.objects.filter(ticket=ticket, metric=SlaMetric.RESOLUTION).order_by("at", "id")
    for event in events.only("kind", "at"):
        if event.kind in stops and running_since is not None:
            total += sla.business_minutes_between(running_since, event.at, calendar)
            running_since = None
        elif event.kind == SlaEventKind.RESUMED and running_since is None:
            running_since = event.at
    return total


def resolution_due_from_log(ticket: Ticket, calendar: sla.BusinessCalendar) -> datetime | None:
    """The instant the resolution clock used up its target, replaying its segments from the SLA log on
    ``calendar`` (the running one last); None if the clock stopped before the target was used up."""
    target = float(ticket.resolution_target_minutes or 0)
    stops = (SlaEventKind.PAUSED, SlaEventKind.MET)
    segments: list[tuple[datetime, datetime | None]] = []
    running_since: datetime | None = ticket.opened_at
    events = TicketSlaEvent.objects.filter(ticket=ticket, metric=SlaMetric.RESOLUTION).order_by("at", "id")
    for event in events.only("kind", "at"):
        if event.kind in stops and running_since is not None:
            segments.append((running_since, event.at))
            running_since = None
        elif event.kind == SlaEventKind.RESUMED and running_since is None:
            running_since = event.at
    if ticket.resolution_clock_started_at is not None:
        segments.append((ticket.resolution_clock_started_at, None))
    elif running_since is not None and ticket.resolved_at is not None:  # resolved after a breach: no "met" entry
        segments.append((running_since, ticket.resolved_at))
    used = 0.0
    for start, end in segments:
        minutes = sla.business_minutes_between(start, end, calendar) if end is not None else None
        if minutes is None or used + minutes >= target:
            return sla.add_business_minutes(start, max(0.0, target - used), calendar)
        used += minutes
    return None


# --------------------------------------------------------------------------- time-driven transitions

@dataclass
class TransitionResult:
    warned: int = 0
    breached: int = 0
    escalated: int = 0
    event_ids: list[int] = field(default_factory=list)

    def add(self, other: TransitionResult) -> None:
        self.warned += other.warned
        self.breached += other.breached
        self.escalated += other.escalated
        self.event_ids += other.event_ids


def apply_transitions(ticket_ids: Sequence[int], *, now: datetime | None = None) -> TransitionResult:
    """Apply every time-driven transition due at ``now`` to these tickets and log each one once.

    Compare-and-set: each UPDATE re-checks the old state under the row lock, so a concurrent run
    (or a service holding the row) makes the second UPDATE match nothing. Then escalates the
    tickets that became due for it (unresolved too long, or breached).
    """
    result = TransitionResult()
    if not ticket_ids:
        return result
    now = now or timezone.now()
    tenant_id = get_current_tenant().pk
    params = {"now": now, "tenant": tenant_id, "ids": list(ticket_ids)}
    events: list[TicketSlaEvent] = []
    with transaction.atomic(), connection.cursor() as cursor:
        for step in SCAN_STEPS:
            cursor.execute(
                f"UPDATE tickets_ticket SET {step.set_sql} "  # noqa: S608 - fixed SQL fragments, values are params
                f"WHERE tenant_id = %(tenant)s AND id = ANY(%(ids)s) AND {step.where_sql} "
                f"RETURNING id, {step.due_column}",
                params,
            )
            rows = cursor.fetchall()
            if step.kind == SlaEventKind.WARNED:
                result.warned += len(rows)
            else:
                result.breached += len(rows)
            events += [
                TicketSlaEvent(tenant_id=tenant_id, ticket_id=pk, kind=step.kind, metric=step.metric, at=now, due_at=due)
                for pk, due in rows
            ]
        if events:
            result.event_ids = [e.pk for e in TicketSlaEvent.objects.bulk_create(events)]
            ticket_events.publish_breaches(
                tenant_id=tenant_id, at=now, new_event_ids=result.event_ids,
                breaches=[(e.ticket_id, e.metric, e.due_at) for e in events if e.kind == SlaEventKind.BREACHED],
            )
        cursor.execute(
            f"SELECT id, support_level FROM tickets_ticket WHERE tenant_id = %(tenant)s AND id = ANY(%(ids)s) "
            f"AND {ESCALATION_WHERE_SQL} ORDER BY id FOR UPDATE",
            params,
        )
        due_for_escalation = cursor.fetchall()
        if due_for_escalation:
            result.escalated = escalation.escalate_automatically(dict(due_for_escalation), now=now)
    return result


@dataclass
class ScanResult:
    candidates: int = 0
    transitions: TransitionResult = field(default_factory=TransitionResult)
    skipped: bool = False


def scan(*, now: datetime | None = None, batch_size: int = SCAN_BATCH) -> ScanResult:
    """The periodic scan for the tenant in context: only tickets whose next boundary has passed
    (the partial index on ``sla_next_check_at``), in batches, each batch one transaction.

    A scan already running for the tenant makes this one return at once (advisory lock); the
    compare-and-set updates would make it harmless anyway.
    """
    now = now or timezone.now()
    tenant_id = get_current_tenant().pk
    result = ScanResult()
    last_id = 0
    while True:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_xact_lock(%s, %s)", [_SCAN_LOCK_KEY, tenant_id % 2**31])
            if not cursor.fetchone()[0]:
                result.skipped = True
                return result
            cursor.execute(
                "SELECT id FROM tickets_ticket WHERE tenant_id = %s AND sla_next_check_at <= %s AND id > %s "
                "ORDER BY id LIMIT %s",
                [tenant_id, now, last_id, batch_size],
            )
            ids = [row[0] for row in cursor.fetchall()]
            result.candidates += len(ids)
            result.transitions.add(apply_transitions(ids, now=now))
        if len(ids) < batch_size:
            return result
        last_id = ids[-1]


_SCAN_LOCK_KEY = 7_351_001  # namespaces the per-tenant advisory lock of the SLA scan


def log_sla_events(
    ticket: Ticket, entries: Iterable[tuple[str, str, datetime | None, dict]], *, at: datetime
) -> list[TicketSlaEvent]:
    """Append (kind, metric, due_at, detail) entries to the ticket's SLA log; returns the rows written."""
    rows = [
        TicketSlaEvent(tenant_id=ticket.tenant_id, ticket=ticket, kind=kind, metric=metric, at=at, due_at=due, detail=detail)
        for kind, metric, due, detail in entries
    ]
    return TicketSlaEvent.objects.bulk_create(rows) if rows else []
