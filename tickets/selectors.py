"""Read queries of the ticket app (pages, API, dashboards): tenant-scoped, annotated, no N+1.

For the pages:

* ``QueueFilters`` (mine, unassigned, severity, status, level, breaching, search, view, account, tag; and the
  lists behind the dashboards' figures: assignee, max_severity, segment, age, opened / resolved UTC days, the response and
  resolution targets' states and the days their outcome was decided) and ``QUEUE_VIEWS`` (view key -> label:
  open, active, pending, done, all); ``TICKET_AGES`` (the age filter's buckets).
* ``ticket_queue(*, filters, user) -> QuerySet[Ticket]``: ordered by next breach (the earliest pending
  due: response until the first response, then resolution; paused and done last); account, assignee,
  contact joined; ``comment_count`` annotated. A page of 50 costs one query (+ one COUNT to paginate).
* ``queue_counts(*, user) -> dict``: counts for the queue tabs (one query).
* ``ticket_detail_queryset()`` (``access.access_ticket`` fetches one), ``queue_ticket(pk, *, user)``,
  ``ticket_comment(ticket, pk)``, ``ticket_by_number(number)``, ``queue_views(*, user)`` (saved views).
* ``ticket_comments(ticket, *, include_internal=True)`` (authors, contacts and attachments loaded).
* ``ticket_attachments(ticket)``.
* ``ticket_events(ticket) -> list[TicketEvent]``: the SLA event log and the change log, merged by time.
* ``account_ticket_summary(account) -> dict``: open / breached / Sev1-2 counts and recent tickets.
* ``sla_policies_effective() -> list[dict]``, ``business_hours_get() -> dict``, ``support_settings_get()``.
* ``triage_emails()``: unknown senders waiting for triage; ``assignable_users()`` for pickers.
* ``sla_compliance(*, start, end) -> dict``: share of tickets resolved in [start, end) without a breach.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.db import connection
from django.db.models import Count, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import Account, Contact
from tenancy.context import get_current_tenant
from tenancy.models import Role, User
from tenancy.permissions import TICKETS_WRITE, role_can
from tenancy.selectors import tenant_users
from tickets.models import (
    DONE_STATUSES,
    RUNNING_STATUSES,
    SEVERITY_CHOICES,
    UNRESOLVED_STATUSES,
    Channel,
    InboundEmail,
    InboundEmailOutcome,
    QueueView,
    SlaClock,
    SlaPolicy,
    SlaState,
    Ticket,
    TicketAttachment,
    TicketChange,
    TicketComment,
    TicketNumberSequence,
    TicketSlaEvent,
    TicketStatus,
)
from tickets.sla_engine import DEFAULT_TARGETS, support_settings_get
from tickets.states import BREACHING_STATES, RESOLUTION_DECIDED_AT, RESPONSE_DECIDED_AT

SEVERITY_LABELS = dict(SEVERITY_CHOICES)

QUEUE_VIEWS: dict[str, str] = {
    "open": "Open queue",  # new, open, pending customer
    "active": "Clock running",  # new, open
    "pending": "Pending customer",
    "done": "Resolved and closed",
    "all": "All tickets",
}
_VIEW_STATUSES: dict[str, tuple[str, ...] | None] = {
    "open": tuple(UNRESOLVED_STATUSES),
    "active": tuple(RUNNING_STATUSES),
    "pending": (TicketStatus.PENDING_CUSTOMER,),
    "done": tuple(DONE_STATUSES),
    "all": None,
}


@dataclass(frozen=True)
class QueueFilters:
    """What the queue shows. ``status`` (one status) narrows ``view``; ``search`` matches the subject,
    a ticket number ("123" or "#123") or the account name."""

    mine: bool = False
    unassigned: bool = False
    severity: int | None = None
    status: str | None = None
    level: int | None = None
    breaching: bool = False
    search: str = ""
    view: str = "open"
    account: int | None = None
    tag: str | None = None
    # The lists behind the dashboards' figures (issue 13), persisted in the URL like the rest:
    assignee: int | None = None  # one member's tickets (``unassigned`` for nobody's)
    max_severity: int | None = None  # this severity or a more urgent one (2: Sev1 and Sev2)
    segment: str | None = None  # the account's segment key
    age: str | None = None  # a key of ``TICKET_AGES``: how long ago the ticket was opened (now)
    opened_from: date | None = None  # UTC days, both ends included
    opened_to: date | None = None
    resolved_from: date | None = None
    resolved_to: date | None = None
    response: str | None = None  # the first-response target's state (``SlaState``): met, breached...
    resolution: str | None = None  # the resolution target's state
    decided_from: date | None = None  # the outcome of the ``response`` / ``resolution`` target filtered on was
    decided_to: date | None = None  # decided in these UTC days (see ``tickets.states.RESPONSE_DECIDED_AT``)


# Ages of a ticket (now - opened_at): key -> (label, more than N days, at most M days); the support dashboard's
# backlog buckets.
TICKET_AGES: dict[str, tuple[str, int | None, int | None]] = {
    "lt1": ("Under 1 day", None, 1),
    "1to3": ("1-3 days", 1, 3),
    "3to7": ("3-7 days", 3, 7),
    "gt7": ("Over 7 days", 7, None),
}


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _day_range_q(field: str, first: date | None, last: date | None) -> Q:
    query = Q()
    if first:
        query &= Q(**{f"{field}__gte": _day_start(first)})
    if last:
        query &= Q(**{f"{field}__lt": _day_start(last + timedelta(days=1))})
    return query


def _age_q(age: str, now: datetime) -> Q:
    _, older_than, at_most = TICKET_AGES[age]
    query = Q()
    if older_than is not None:  # opened at least N days ago
        query &= Q(opened_at__lte=now - timedelta(days=older_than))
    if at_most is not None:
        query &= Q(opened_at__gt=now - timedelta(days=at_most))
    return query


def _dashboard_filters(queryset: QuerySet[Ticket], filters: QueueFilters) -> QuerySet[Ticket]:
    """The filters the dashboards link with (segment, assignee, age, date ranges, SLA outcomes)."""
    if filters.assignee:
        queryset = queryset.filter(assignee_id=filters.assignee)
    if filters.max_severity:
        queryset = queryset.filter(severity__lte=filters.max_severity)
    if filters.segment:
        queryset = queryset.filter(account__segment=filters.segment)
    if filters.age in TICKET_AGES:
        queryset = queryset.filter(_age_q(filters.age, timezone.now()))
    if filters.opened_from or filters.opened_to:
        queryset = queryset.filter(_day_range_q("opened_at", filters.opened_from, filters.opened_to))
    if filters.resolved_from or filters.resolved_to:
        queryset = queryset.filter(_day_range_q("resolved_at", filters.resolved_from, filters.resolved_to))
    decided = filters.decided_from or filters.decided_to
    if filters.response:
        queryset = queryset.filter(response_state=filters.response)
        if decided:
            queryset = queryset.alias(response_decided_at=RESPONSE_DECIDED_AT).filter(
                _day_range_q("response_decided_at", filters.decided_from, filters.decided_to))
    if filters.resolution:
        queryset = queryset.filter(resolution_state=filters.resolution)
        if decided:
            queryset = queryset.alias(resolution_decided_at=RESOLUTION_DECIDED_AT).filter(
                _day_range_q("resolution_decided_at", filters.decided_from, filters.decided_to))
    return queryset


def _comment_count() -> Subquery:
    counted = (
        TicketComment.objects.filter(ticket=OuterRef("pk")).order_by().values("ticket")
        .annotate(n=Count("pk")).values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def ticket_queue(*, filters: QueueFilters, user: User | None) -> QuerySet[Ticket]:
    """The support queue: filtered, ordered by next breach (paused and done last), a constant number of queries."""
    statuses = _VIEW_STATUSES.get(filters.view, _VIEW_STATUSES["open"])
    queryset = Ticket.objects.select_related("account", "assignee", "contact")
    if statuses is not None:
        queryset = queryset.filter(status__in=statuses)
    if filters.status:
        queryset = queryset.filter(status=filters.status)
    if filters.mine and user is not None:
        queryset = queryset.filter(assignee=user)
    if filters.unassigned:
        queryset = queryset.filter(assignee__isnull=True)
    if filters.severity:
        queryset = queryset.filter(severity=filters.severity)
    if filters.level:
        queryset = queryset.filter(support_level=filters.level)
    if filters.breaching:
        queryset = queryset.filter(sla_state__in=BREACHING_STATES)
    if filters.account:
        queryset = queryset.filter(account_id=filters.account)
    if filters.tag:
        queryset = queryset.filter(tags__contains=[filters.tag.strip().lower()])
    if filters.search.strip():
        queryset = queryset.filter(search_q(filters.search.strip()))
    queryset = _dashboard_filters(queryset, filters)
    queryset = queryset.annotate(comment_count=_comment_count())
    if statuses is not None and set(statuses) <= set(UNRESOLVED_STATUSES):
        return queryset.order_by(F("sla_next_due_at").asc(nulls_last=True), "id")
    return queryset.order_by("-number")


def search_q(term: str) -> Q:
    """Subject, account name or ticket number ("123" / "#123") matches ``term`` (queue and API search)."""
    accounts = Account.objects.filter(name__icontains=term).values("pk")
    query = Q(subject__icontains=term) | Q(account_id__in=accounts)
    digits = term.lstrip("#")
    if digits.isdigit() and len(digits) < 10:
        query |= Q(number=int(digits))
    return query


_QUEUE_COUNTS_SQL = """
SELECT status, sla_state, assignee_id, COUNT(*) FROM {ticket}
 WHERE tenant_id = %(tenant)s AND status = ANY(%(open)s)
 GROUP BY status, sla_state, assignee_id
UNION ALL
SELECT NULL, NULL, NULL, COALESCE((SELECT last_number FROM {sequence} WHERE tenant_id = %(tenant)s), 0)
"""


def queue_counts(*, user: User | None) -> dict[str, int]:
    """Counts for the queue tabs in one cheap query, whatever the history's size: exact counts over the
    unresolved tickets (per view, mine, unassigned, breaching); ``all`` is the tenant's ticket sequence
    (tickets ever opened) and ``done`` = all - open.

    The unresolved tickets are grouped by (status, SLA state, assignee) in the order of
    ``ticket_open_counts_idx`` (tenant, status, sla_state, assignee): an index-only scan streamed into a
    group aggregate with one COUNT per row, cheaper in PostgreSQL than five filtered COUNTs per row; the
    few dozen groups are summed here. The tenant's ticket sequence rides along (``UNION ALL``, one round
    trip, also when nothing is open)."""
    tenant_id = get_current_tenant().pk  # raw SQL: the tenant is explicit, as in every raw query of ours
    sql = _QUEUE_COUNTS_SQL.format(ticket=Ticket._meta.db_table, sequence=TicketNumberSequence._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(sql, {"tenant": tenant_id, "open": list(UNRESOLVED_STATUSES)})
        rows = cursor.fetchall()
    me = user.pk if user else None
    counts = {"open": 0, "pending": 0, "mine": 0, "unassigned": 0, "breaching": 0}
    opened = 0
    for status, sla_state, assignee_id, n in rows:
        if status is None:
            opened = n
            continue
        counts["open"] += n
        counts["pending"] += n if status == TicketStatus.PENDING_CUSTOMER else 0
        counts["mine"] += n if me is not None and assignee_id == me else 0
        counts["unassigned"] += n if assignee_id is None else 0
        counts["breaching"] += n if sla_state in BREACHING_STATES else 0
    counts["active"] = counts["open"] - counts["pending"]
    counts["all"] = max(opened, counts["open"])
    counts["done"] = counts["all"] - counts["open"]
    return counts


def ticket_detail_queryset() -> QuerySet[Ticket]:
    """The tenant's tickets with what a ticket page shows joined in (``access.access_ticket`` fetches one)."""
    return Ticket.objects.select_related("account__csm", "contact", "assignee", "sla_policy", "created_by")


def queue_ticket(pk: int, *, user: User | None) -> Ticket | None:
    """One ticket as a queue row shows it (same joins and annotations as ``ticket_queue``)."""
    return ticket_queue(filters=QueueFilters(view="all"), user=user).filter(pk=pk).first()


def ticket_comment(ticket: Ticket, pk: int) -> TicketComment | None:
    """One comment of this ticket, or None."""
    return TicketComment.objects.filter(pk=pk, ticket=ticket).first()


def queue_views(*, user: User) -> QuerySet[QueueView]:
    """A member's saved queue views, by name."""
    return QueueView.objects.filter(user=user).order_by("name")


def ticket_list_queryset() -> QuerySet[Ticket]:
    """The tenant's tickets as the API lists them (newest first)."""
    return Ticket.objects.select_related("account", "contact", "assignee").order_by("-number")


def inbound_emails() -> QuerySet[InboundEmail]:
    """Every email the tenant received, newest first (the API's list; ``triage_emails`` for the triage list)."""
    return InboundEmail.objects.select_related("ticket").order_by("-received_at", "-id")


def ticket_by_number(number: int) -> Ticket | None:
    return Ticket.objects.select_related("account", "contact", "assignee").filter(number=number).first()


def ticket_comments(ticket: Ticket, *, include_internal: bool = True) -> QuerySet[TicketComment]:
    comments = (
        TicketComment.objects.filter(ticket=ticket).select_related("author", "contact")
        .prefetch_related("attachments").order_by("created_at", "id")
    )
    return comments if include_internal else comments.filter(public=True)


def ticket_attachments(ticket: Ticket) -> QuerySet[TicketAttachment]:
    return TicketAttachment.objects.filter(ticket=ticket).select_related("uploaded_by").order_by("created_at", "id")


@dataclass(frozen=True)
class TicketEvent:
    """One line of a ticket's history: an SLA event (``source`` "sla") or a change ("change")."""

    at: datetime
    source: str
    kind: str
    label: str
    who: str
    detail: dict
    metric: str = ""
    due_at: datetime | None = None
    note: str = ""


def ticket_events(ticket: Ticket) -> list[TicketEvent]:
    """The SLA event log and the change log, merged in time order (two queries, plus at most two to
    name the people the change log mentions)."""
    events = [
        TicketEvent(at=e.at, source="sla", kind=e.kind, metric=e.metric, due_at=e.due_at, detail=e.detail,
                    label=f"{e.get_metric_display() + ' ' if e.metric else 'SLA '}{e.get_kind_display().lower()}",
                    who="SLA engine")
        for e in TicketSlaEvent.objects.filter(ticket=ticket).order_by("at", "id")
    ]
    changes = list(TicketChange.objects.filter(ticket=ticket).select_related("actor").order_by("at", "id"))
    names = _people_names(changes)
    events += [
        TicketEvent(at=c.at, source="change", kind=c.action, label=change_label(c, names), who=c.who,
                    detail=c.changes, note=c.note)
        for c in changes
    ]
    return sorted(events, key=lambda e: (e.at, e.source != "change"))


# How the change log reads: what each action is called, and each field's name and values in words.
ACTION_LABELS = {
    "created": "Ticket opened", "first_response": "First response", "attachment": "Attachment added",
    "updated": "Updated", "severity": "Severity changed", "sla_policy": "SLA policy re-applied",
    "status": "Status changed", "reopened": "Reopened", "assigned": "Assigned", "support_level": "Support level changed",
    "escalated": "Escalated",
}
FIELD_LABELS = {
    "status": "Status", "severity": "Severity", "assignee": "Assignee", "contact": "Contact",
    "support_level": "Level", "response_target_minutes": "Response target",
    "resolution_target_minutes": "Resolution target", "sla_policy": "SLA policy", "sla_clock": "Clock",
    "channel": "Channel", "subject": "Subject", "tags": "Tags", "description": "Description",
}
_PERSON_FIELDS = ("assignee", "contact")


def minutes_label(minutes: Any) -> str:
    """A target in words: ``45m``, ``4h``, ``2h 30m``, ``1d``, ``5d 4h``."""
    if not isinstance(minutes, int | float) or isinstance(minutes, bool):
        return _fmt(minutes)
    days, rest = divmod(int(minutes), 1440)
    hours, mins = divmod(rest, 60)
    parts = [f"{days}d" if days else "", f"{hours}h" if hours else "", f"{mins}m" if mins else ""]
    return " ".join(p for p in parts if p) or "0m"


def _people_names(changes: list[TicketChange]) -> dict[str, str]:
    """Email -> name for the members and contacts the change log mentions (at most two queries)."""
    emails = {
        value.lower() for c in changes for field in _PERSON_FIELDS
        for value in (c.changes or {}).get(field, [None, None]) if isinstance(value, str) and "@" in value
    }
    if not emails:
        return {}
    names = {
        email.lower(): name for email, name in Contact.objects.filter(email__in=emails).values_list("email", "name")
        if name
    }
    for user in tenant_users().filter(email__in=emails):
        names[user.email.lower()] = user.display_name
    return names


def _value_label(field: str, value: Any, names: dict[str, str]) -> str:
    if value in (None, "", []):
        return {"assignee": "unassigned", "sla_policy": "built-in default"}.get(field, "—")
    if field == "status" and value in TicketStatus.values:
        return TicketStatus(value).label
    if field == "severity" and value in SEVERITY_LABELS:
        return SEVERITY_LABELS[value]
    if field == "support_level":
        return f"L{value}"
    if field in ("response_target_minutes", "resolution_target_minutes"):
        return minutes_label(value)
    if field == "sla_clock" and value in SlaClock.values:
        return "24x7" if value == SlaClock.ALWAYS else SlaClock(value).label.lower()
    if field == "channel" and value in Channel.values:
        return Channel(value).label
    if field == "sla_policy":
        return "policy table"
    if field == "tags" and isinstance(value, list):
        return ", ".join(value)
    if field in _PERSON_FIELDS and isinstance(value, str):
        return names.get(value.lower(), value)
    return _fmt(value)


def change_label(change: TicketChange, names: dict[str, str] | None = None) -> str:
    """One change-log line in words: "Severity changed — Severity: Sev3 - Medium → Sev1 - Critical;
    Response target: 8h → 1h", names for people, durations for targets, labels for statuses."""
    if change.action == "comment":
        return change.note or "Comment"
    label = ACTION_LABELS.get(change.action, change.action.replace("_", " ").capitalize())
    if change.action in ("created", "first_response", "attachment"):
        return label
    names = names or {}
    parts = []
    for field, pair in (change.changes or {}).items():
        old, new = (pair + [None, None])[:2] if isinstance(pair, list) else (None, pair)
        name = FIELD_LABELS.get(field, field.replace("_", " ").capitalize())
        if field == "description":
            parts.append(f"{name} edited")
        else:
            parts.append(f"{name}: {_value_label(field, old, names)} → {_value_label(field, new, names)}")
    if len(parts) == 1 and change.action in _SELF_EXPLAINING:  # "Status: New → Open", not "Status changed — Status: ..."
        return parts[0]
    return label + (" — " + "; ".join(parts) if parts else "")


_SELF_EXPLAINING = ("status", "assigned", "support_level")


def _fmt(value: Any) -> str:
    return "—" if value in (None, "") else str(value)


def account_ticket_summary(account: Account, *, recent: int = 5) -> dict[str, Any]:
    """For the account 360 panel: counts (one aggregate query) and the most recent tickets (one query)."""
    now = timezone.now()
    unresolved = Q(status__in=UNRESOLVED_STATUSES)
    counts = Ticket.objects.filter(account=account).aggregate(
        open=Count("pk", filter=unresolved),
        breaching=Count("pk", filter=unresolved & Q(sla_state__in=BREACHING_STATES)),
        sev12_30d=Count("pk", filter=Q(severity__lte=2, opened_at__gte=now - timedelta(days=30))),
        total_90d=Count("pk", filter=Q(opened_at__gte=now - timedelta(days=90))),
        breached_90d=Count("pk", filter=Q(opened_at__gte=now - timedelta(days=90), sla_state=SlaState.BREACHED)),
    )
    total = counts["total_90d"]
    counts["compliance_90d"] = round(100 * (total - counts["breached_90d"]) / total, 1) if total else None
    tickets = list(
        Ticket.objects.filter(account=account).select_related("assignee").order_by("-opened_at", "-id")[:recent]
    )
    return {**counts, "recent": tickets}


def account_tickets(account: Account) -> QuerySet[Ticket]:
    return Ticket.objects.filter(account=account).select_related("assignee", "contact").order_by("-opened_at", "-id")


def sla_policies_effective() -> list[dict[str, Any]]:
    """The tenant's policy table as the API shows it; the built-in defaults when none is stored."""
    rows = [
        {"severity": p.severity, "segment": p.segment, "response_minutes": p.response_minutes,
         "resolution_minutes": p.resolution_minutes, "clock": p.clock}
        for p in SlaPolicy.objects.order_by("severity", F("segment").asc(nulls_first=True))
    ]
    if rows:
        return rows
    return [
        {"severity": sev, "segment": None, "response_minutes": resp, "resolution_minutes": res, "clock": "24x7"}
        for sev, (resp, res) in DEFAULT_TARGETS.items()
    ]


def business_hours_get() -> dict[str, Any]:
    settings = support_settings_get()
    return {"timezone": settings.timezone, "intervals": settings.intervals, "holidays": settings.holidays}


def triage_emails(*, include_done: bool = False) -> QuerySet[InboundEmail]:
    outcomes = [InboundEmailOutcome.TRIAGE] + ([InboundEmailOutcome.TRIAGED] if include_done else [])
    return InboundEmail.objects.filter(outcome__in=outcomes).select_related("ticket").order_by("-received_at", "-id")


# Roles that may work tickets (``tickets.write`` in tenancy/permissions.py): the only ones offered as
# assignees and the only ones the services accept.
TICKET_WORKER_ROLES = tuple(role for role in Role.values if role_can(role, TICKETS_WRITE))


def assignable_users() -> QuerySet[User]:
    """Members whose role can work tickets, in name order: the one list behind every assignee picker
    (ticket page, new ticket, the queue's bulk assign). Viewers and other read-only roles are not offered."""
    return tenant_users(roles=list(TICKET_WORKER_ROLES))


def sla_compliance(*, start: datetime, end: datetime) -> dict[str, Any]:
    """Tickets resolved in [start, end): how many, how many breached, the % met (one query)."""
    counts = Ticket.objects.filter(resolved_at__gte=start, resolved_at__lt=end).aggregate(
        resolved=Count("pk"), breached=Count("pk", filter=Q(sla_state=SlaState.BREACHED)),
    )
    resolved = counts["resolved"]
    counts["compliance"] = round(100 * (resolved - counts["breached"]) / resolved, 1) if resolved else None
    return counts


__all__ = [
    "QUEUE_VIEWS", "QueueFilters", "TicketEvent", "account_ticket_summary", "account_tickets", "assignable_users",
    "business_hours_get", "queue_counts", "sla_compliance", "sla_policies_effective", "support_settings_get",
    "queue_ticket", "queue_views", "ticket_attachments", "ticket_by_number", "ticket_comment", "ticket_comments",
    "ticket_detail_queryset", "ticket_events", "ticket_queue",
    "triage_emails",
]
