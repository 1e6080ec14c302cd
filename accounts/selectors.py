"""Reads behind the account pages, API and exports: filtered, annotated, no N+1."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Case, Count, Exists, F, IntegerField, OuterRef, Q, QuerySet, Value, When

from accounts.models import Account, Activity, ActivityKind, Contact, Task, TaskPriority, TaskStatus
from tenancy.models import User

SORTABLE = {
    "name": "name",
    "arr": "arr",
    "segment": "segment",
    "health": "health_score",
    "renewal": "renewal_date",
    "csm": "csm__full_name",
    "lifecycle": "lifecycle_stage",
}


@dataclass(frozen=True)
class AccountFilters:
    search: str = ""
    segment: str = ""
    csm: str = ""  # user id, user email, or "me"/"none"
    lifecycle_stage: str = ""
    health_status: str = ""
    status: str = ""
    risk: str = ""  # "any" or a risk rule key: accounts with an open risk CTA
    sort: str = "name"


def account_list(*, filters: AccountFilters | None = None, user: User | None = None) -> QuerySet[Account]:
    filters = filters or AccountFilters()
    qs = Account.objects.select_related("csm")
    if filters.search:
        term = filters.search.strip()
        qs = qs.filter(Q(name__icontains=term) | Q(external_id__iexact=term) | Q(industry__icontains=term))
    if filters.segment:
        qs = qs.filter(segment=filters.segment)
    if filters.csm:
        if filters.csm == "me" and user is not None:
            qs = qs.filter(csm=user)
        elif filters.csm == "none":
            qs = qs.filter(csm__isnull=True)
        elif filters.csm.isdigit():
            qs = qs.filter(csm_id=int(filters.csm))
        else:
            qs = qs.filter(csm__email__iexact=filters.csm)
    if filters.lifecycle_stage:
        qs = qs.filter(lifecycle_stage=filters.lifecycle_stage)
    if filters.health_status:
        if filters.health_status == "none":
            qs = qs.filter(health_status__isnull=True)
        else:
            qs = qs.filter(health_status=filters.health_status)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.risk:
        risks = Task.objects.filter(account=OuterRef("pk"), status=TaskStatus.OPEN, source="risk")
        if filters.risk != "any":
            risks = risks.filter(dedupe_key__startswith=f"risk:{filters.risk}:")
        qs = qs.filter(Exists(risks))
    sort = filters.sort or "name"
    descending = sort.startswith("-")
    field = SORTABLE.get(sort.lstrip("-"), "name")
    order = f"-{field}" if descending else field
    if field == "health_score":
        order_expr = F(field).desc(nulls_last=True) if descending else F(field).asc(nulls_last=True)
        return qs.order_by(order_expr, "name", "pk")
    return qs.order_by(order, "pk")


def accounts_for_api() -> QuerySet[Account]:
    """The API's accounts (filtered and paged by the viewset)."""
    return Account.objects.select_related("csm").order_by("name", "pk")


def contacts_for_api() -> QuerySet[Contact]:
    """The API's contacts (filtered and paged by the viewset)."""
    return Contact.objects.select_related("account").order_by("name", "pk")


def account_open_risk_counts(account_ids: list[int]) -> dict[int, int]:
    rows = (
        Task.objects.filter(account_id__in=account_ids, status=TaskStatus.OPEN, source="risk")
        .values("account_id")
        .annotate(n=Count("id"))
    )
    return {row["account_id"]: row["n"] for row in rows}


def account_detail_queryset() -> QuerySet[Account]:
    """Accounts as the 360 page shows them: with the CSM and the open-task and contact counts
    (fetch one through ``accounts.access.access_account_360``)."""
    return Account.objects.select_related("csm").annotate(
        open_task_count=Count("tasks", filter=Q(tasks__status=TaskStatus.OPEN), distinct=True),
        contact_count=Count("contacts", distinct=True),
    )


def account_timeline(*, account: Account, kind: str = "", limit: int = 50, offset: int = 0) -> QuerySet[Activity]:
    """The account's timeline, newest first. `kind` is an activity kind, or "people" for everything
    but system events (what the team and the customer said and did)."""
    qs = Activity.objects.filter(account=account).select_related("author")
    if kind == "people":
        qs = qs.exclude(kind=ActivityKind.SYSTEM)
    elif kind:
        qs = qs.filter(kind=kind)
    return qs.order_by("-occurred_at", "-id")[offset:offset + limit]


GROUPED_REF_TYPES = ("ticket",)  # records whose many system events show as one timeline entry


def _timeline_rows(account: Account, kind: str) -> QuerySet[Activity]:
    qs = Activity.objects.filter(account=account)
    if kind == "people":
        qs = qs.exclude(kind=ActivityKind.SYSTEM)
    elif kind:
        qs = qs.filter(kind=kind)
    return qs


def account_timeline_grouped(*, account: Account, kind: str = "", limit: int = 50, offset: int = 0) -> list[Activity]:
    """The timeline with each ticket's events folded into one entry (two queries whatever the size).

    Page rows are notes, calls, other events and, per ticket, only its newest event (the entry sits where
    the ticket last moved); each such row carries ``history``: all of that ticket's events, newest first.
    """
    rows = _timeline_rows(account, kind)
    newer_of_same = rows.filter(ref_type=OuterRef("ref_type"), ref_id=OuterRef("ref_id")).filter(
        Q(occurred_at__gt=OuterRef("occurred_at")) | Q(occurred_at=OuterRef("occurred_at"), id__gt=OuterRef("id"))
    )
    heads = list(
        rows.filter(~Q(ref_type__in=GROUPED_REF_TYPES) | Q(ref_id__isnull=True) | ~Exists(newer_of_same))
        .select_related("author").order_by("-occurred_at", "-id")[offset:offset + limit]
    )
    grouped = [a for a in heads if a.ref_type in GROUPED_REF_TYPES and a.ref_id is not None]
    histories: dict[tuple[str, int], list[Activity]] = {}
    if grouped:
        refs = Q()
        for ref_type in {a.ref_type for a in grouped}:
            refs |= Q(ref_type=ref_type, ref_id__in=[a.ref_id for a in grouped if a.ref_type == ref_type])
        for event in rows.filter(refs).select_related("author").order_by("-occurred_at", "-id"):
            histories.setdefault((event.ref_type, event.ref_id), []).append(event)
    for activity in heads:
        activity.history = histories.get((activity.ref_type, activity.ref_id), []) if activity in grouped else []
    return heads


def account_contacts(*, account: Account) -> QuerySet[Contact]:
    return Contact.objects.filter(account=account).order_by("-is_executive_sponsor", "-is_champion", "name")


def account_tasks(*, account: Account, include_closed: bool = False) -> QuerySet[Task]:
    qs = Task.objects.filter(account=account).select_related("owner")
    if not include_closed:
        qs = qs.filter(status=TaskStatus.OPEN)
    return qs.order_by("status", "due_date", "-id")


def contact_list(*, account_id: int | None = None, search: str = "") -> QuerySet[Contact]:
    qs = Contact.objects.select_related("account")
    if account_id:
        qs = qs.filter(account_id=account_id)
    if search:
        qs = qs.filter(Q(name__icontains=search) | Q(email__icontains=search))
    return qs.order_by("name", "pk")


def my_tasks(*, user: User, status: str = TaskStatus.OPEN) -> QuerySet[Task]:
    qs = Task.objects.filter(owner=user).select_related("account")
    if status:
        qs = qs.filter(status=status)
    # Priorities are words: rank them (urgent first), not alphabetically.
    rank = Case(
        *(When(priority=p, then=Value(n)) for n, p in enumerate(reversed(TaskPriority.values))),
        default=Value(len(TaskPriority.values)), output_field=IntegerField(),
    )
    return qs.order_by(F("due_date").asc(nulls_last=True), rank, "-id")

