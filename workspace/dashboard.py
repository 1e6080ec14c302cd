"""The landing page's numbers: the signed-in user's book and the tenant's portfolio, in a few aggregate queries."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Count, Q, Sum
from django.utils import timezone

from accounts.models import Account, AccountStatus, Task, TaskStatus
from onboarding.models import PlanStatus, PlanTask, WorkStatus


def dashboard_summary(*, user) -> dict:
    today = timezone.localdate()
    active = Account.objects.filter(status=AccountStatus.ACTIVE)
    portfolio = active.aggregate(
        accounts=Count("id"),
        total_arr=Sum("arr"),
        mine=Count("id", filter=Q(csm=user)),
        my_arr=Sum("arr", filter=Q(csm=user)),
        renewals_90=Count("id", filter=Q(renewal_date__gte=today, renewal_date__lte=today + timedelta(days=90))),
    )
    by_health = list(
        active.values("health_status").annotate(accounts=Count("id"), total_arr=Sum("arr")).order_by("-total_arr")
    )
    tasks = Task.objects.filter(owner=user, status=TaskStatus.OPEN).aggregate(
        open=Count("id"), overdue=Count("id", filter=Q(due_date__lt=today)), due_today=Count("id", filter=Q(due_date=today))
    )
    onboarding = _onboarding_task_counts(user=user, today=today)
    tasks["onboarding_overdue"] = onboarding["overdue"]
    tasks["onboarding_open"] = onboarding["open"]
    tasks["overdue_total"] = tasks["overdue"] + onboarding["overdue"]
    return {"portfolio": portfolio, "by_health": by_health, "tasks": tasks, "today": today}


def _onboarding_task_counts(*, user, today) -> dict:
    """The user's own open and overdue onboarding plan tasks (active plans): one aggregate query."""
    return PlanTask.objects.filter(owner=user, plan__status=PlanStatus.ACTIVE).exclude(
        status=WorkStatus.DONE
    ).aggregate(open=Count("id"), overdue=Count("id", filter=Q(due_date__lt=today)))
