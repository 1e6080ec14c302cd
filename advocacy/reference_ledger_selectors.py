"""Reads of the rewards ledger and of the reviews and referrals: the lists (their related rows joined, so a
page is one query whatever its length) and their totals (one aggregate each)."""

from __future__ import annotations

from django.db.models import Avg, Count, QuerySet, Sum

from advocacy.models import AdvocacyActivity, AdvocacyActivityKind, AdvocacySource, ReferenceReward


def rewards_ledger(*, kind: str | None = None) -> QuerySet[ReferenceReward]:
    rows = ReferenceReward.objects.select_related("account", "contact", "request", "recorded_by")
    if kind:
        rows = rows.filter(kind=kind)
    return rows.order_by("-given_on", "-id")


def rewards_totals(*, kind: str | None = None) -> dict:
    """How many rewards and their total value (of ``kind`` when given)."""
    rows = ReferenceReward.objects.all()
    if kind:
        rows = rows.filter(kind=kind)
    return rows.aggregate(count=Count("id"), total=Sum("value"))


def advocacy_activities(*, kind: str | None = None, source: str | None = None) -> QuerySet[AdvocacyActivity]:
    rows = AdvocacyActivity.objects.select_related("account", "contact", "request")
    if kind:
        rows = rows.filter(kind=kind)
    if source:
        rows = rows.filter(source=source)
    return rows.order_by("-occurred_on", "-id")


def activity_counts() -> list[dict]:
    """Per kind and source: how many, and the reviews' average rating (one query), most first."""
    labels = dict(AdvocacySource.choices)
    kinds = dict(AdvocacyActivityKind.choices)
    rows = (AdvocacyActivity.objects.values("kind", "source").annotate(n=Count("id"), rating=Avg("rating"))
            .order_by("-n", "kind", "source"))
    return [{**row, "kind_label": kinds.get(row["kind"], row["kind"]),
             "source_label": labels.get(row["source"], row["source"])} for row in rows]
