"""Read queries of a CSM's book: the accounts needing attention today (one query with one correlated subquery
per signal, whatever the size of the book), the open renewals of the next 90 days, the onboarding plans in
progress and the open tasks due soon (one query each): five queries with the bands."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from django.db.models import Count, Exists, IntegerField, Min, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce

from accounts.models import Account, AccountStatus, Task, TaskStatus
from advocacy import nps
from advocacy.models import SurveyKind, SurveyResponse
from dashboards import attention
from health.models import HealthSnapshot
from onboarding.models import OnboardingPlan, PlanStatus
from renewals.models import Forecast, Renewal, RenewalStage
from tickets.models import Ticket
from tickets.states import UNRESOLVED_STATUSES

HORIZON_DAYS = 90
TASKS_DUE_DAYS = 14
FALLING_LOOKBACK_DAYS = 30
DETRACTOR_DAYS = 90
URGENT_SEVERITIES = (1, 2)
LIST_LIMIT = 50


def _count(queryset) -> Subquery:
    """A correlated count (0 when none) of ``queryset``, already filtered on ``OuterRef("pk")``."""
    counted = queryset.order_by().values("account_id").annotate(n=Count("id")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def attention_rows(*, csm_id: int, today: date, bottom_band: str | None) -> list[attention.AttentionRow]:
    """The CSM's active accounts with at least one signal, ranked by ``attention.score`` (highest first, then ARR).
    One query: each signal is a correlated subquery on the account."""
    since = datetime.combine(today - timedelta(days=FALLING_LOOKBACK_DAYS), time.max, UTC)
    detractor_since = datetime.combine(today - timedelta(days=DETRACTOR_DAYS), time.min, UTC)
    open_renewals = Renewal.objects.filter(account_id=OuterRef("pk")).exclude(stage=RenewalStage.CLOSED)
    earlier_score = (HealthSnapshot.objects.filter(account_id=OuterRef("pk"), computed_at__lte=since)
                     .order_by("-computed_at", "-id").values("score")[:1])
    accounts = (
        Account.objects.filter(csm_id=csm_id, status=AccountStatus.ACTIVE)
        .annotate(
            earlier_score=Subquery(earlier_score),
            renewal_end=Subquery(open_renewals.filter(contract_end__lte=today + timedelta(days=HORIZON_DAYS))
                                 .order_by().values("account_id").annotate(d=Min("contract_end")).values("d")),
            renewal_at_risk=Exists(open_renewals.filter(forecast=Forecast.AT_RISK)),
            overdue=_count(Task.objects.filter(account_id=OuterRef("pk"), status=TaskStatus.OPEN, due_date__lt=today)),
            urgent_tickets=_count(Ticket.objects.filter(account_id=OuterRef("pk"), status__in=UNRESOLVED_STATUSES,
                                                        severity__in=URGENT_SEVERITIES)),
            detractor=Exists(SurveyResponse.objects.filter(account_id=OuterRef("pk"), kind=SurveyKind.NPS,
                                                           score__lt=nps.PASSIVE_MIN, responded_at__gte=detractor_since)),
        )
        .values("id", "name", "arr", "health_score", "health_status", "earlier_score", "renewal_end",
                "renewal_at_risk", "overdue", "urgent_tickets", "detractor")
    )
    rows = [attention.assess(row, today=today, bottom_band=bottom_band) for row in accounts]
    return attention.rank([row for row in rows if row.score])


def my_renewals(*, csm_id: int, today: date) -> list[Renewal]:
    return list(Renewal.objects.filter(account__csm_id=csm_id, contract_end__lte=today + timedelta(days=HORIZON_DAYS))
                .exclude(stage=RenewalStage.CLOSED).select_related("account")
                .order_by("contract_end", "account__name")[:LIST_LIMIT])


def my_plans(*, csm_id: int) -> list[OnboardingPlan]:
    return list(OnboardingPlan.objects.filter(Q(owner_id=csm_id) | Q(account__csm_id=csm_id), status=PlanStatus.ACTIVE)
                .select_related("account").order_by("target_go_live_date", "name")[:LIST_LIMIT])


def my_tasks(*, csm_id: int, today: date) -> list[Task]:
    return list(Task.objects.filter(owner_id=csm_id, status=TaskStatus.OPEN,
                                    due_date__lte=today + timedelta(days=TASKS_DUE_DAYS))
                .select_related("account").order_by("due_date", "id")[:LIST_LIMIT])
