"""Reads of the expansion pipeline: the API's queryset, the tenant's settings with their defaults, the
weighted pipeline by stage (one aggregate query) and one-time bookings (reported beside ARR)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Count, QuerySet, Sum

from accounts.models import Task, TaskStatus
from renewals.models import Opportunity, OpportunitySettings, OpportunityStage
from renewals.models.opportunities import DEFAULT_STAGE_PROBABILITIES, ONE_TIME_KINDS, OPEN_STAGES

CENT = Decimal("0.01")


def opportunities_for_api() -> QuerySet[Opportunity]:
    return Opportunity.objects.select_related("owner").order_by("close_date", "id")


def account_opportunities(*, account_id: int) -> QuerySet[Opportunity]:
    return Opportunity.objects.filter(account_id=account_id).select_related("owner").order_by("close_date", "id")


def open_trigger_keys(*, prefix: str) -> list[str]:
    """The dedupe keys of the open CTAs whose key starts with ``prefix`` (the expansion suggestions; one query)."""
    return list(
        Task.objects.filter(status=TaskStatus.OPEN, dedupe_key__startswith=prefix).values_list("dedupe_key", flat=True)
    )


def opportunity_settings() -> OpportunitySettings | None:
    return OpportunitySettings.objects.first()


def stage_probabilities() -> dict[str, int]:
    """Percent by stage: the tenant's values over the defaults."""
    row = opportunity_settings()
    stored = row.stage_probabilities if row else {}
    return {stage: int(stored.get(stage, default)) for stage, default in DEFAULT_STAGE_PROBABILITIES.items()}


def trigger_params() -> dict[str, dict]:
    """The tenant's stored trigger thresholds (``{key: {...}}``; the registry's defaults fill the gaps)."""
    row = opportunity_settings()
    return dict(row.trigger_params) if row else {}


@dataclass(frozen=True)
class PipelineStage:
    stage: str
    label: str
    count: int
    amount: Decimal
    probability: int
    weighted: Decimal


@dataclass(frozen=True)
class Pipeline:
    stages: list[PipelineStage]
    amount: Decimal
    weighted: Decimal
    count: int


def weighted_pipeline(*, account_id: int | None = None, owner_id: int | None = None) -> Pipeline:
    """The open pipeline by stage: count, sum of amounts, the stage's probability and amount x probability.
    One aggregate query (plus the settings row), whatever the number of opportunities."""
    queryset = Opportunity.objects.filter(stage__in=OPEN_STAGES)
    if account_id is not None:
        queryset = queryset.filter(account_id=account_id)
    if owner_id is not None:
        queryset = queryset.filter(owner_id=owner_id)
    totals = {row["stage"]: row for row in queryset.values("stage").annotate(count=Count("id"), amount=Sum("amount"))}
    probabilities = stage_probabilities()
    labels = dict(OpportunityStage.choices)
    stages = []
    for stage in OPEN_STAGES:
        row = totals.get(stage, {"count": 0, "amount": Decimal("0")})
        amount = row["amount"] or Decimal("0")
        weighted = (amount * probabilities[stage] / 100).quantize(CENT)
        stages.append(PipelineStage(stage, labels[stage], row["count"], amount, probabilities[stage], weighted))
    return Pipeline(
        stages=stages, amount=sum((s.amount for s in stages), Decimal("0")),
        weighted=sum((s.weighted for s in stages), Decimal("0")), count=sum(s.count for s in stages),
    )


def one_time_bookings(*, start: date, end: date) -> Decimal:
    """Won one-time opportunities (professional services) with ``won_at`` in [start, end]: reported beside
    ARR, never in it."""
    total = Opportunity.objects.filter(
        stage=OpportunityStage.WON, kind__in=ONE_TIME_KINDS, won_at__date__gte=start, won_at__date__lte=end,
    ).aggregate(total=Sum("amount"))["total"]
    return total or Decimal("0")


def pipeline_board(*, owner_id: int | None = None) -> dict[str, list[Opportunity]]:
    """The open opportunities by stage for the board (one query), soonest close first."""
    queryset = Opportunity.objects.filter(stage__in=OPEN_STAGES).select_related("account", "owner")
    if owner_id is not None:
        queryset = queryset.filter(owner_id=owner_id)
    board: dict[str, list[Opportunity]] = {stage: [] for stage in OPEN_STAGES}
    for opportunity in queryset.order_by("close_date", "id"):
        board[opportunity.stage].append(opportunity)
    return board
