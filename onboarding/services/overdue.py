"""The daily overdue job: flag late tasks and phases, open one CTA per late plan for its owner and close
the CTAs of plans no longer late, and note newly late tasks on the timeline.

Compare-and-set updates and dedupe keys: running it twice changes nothing the second time. Set-based: a
fixed number of queries whatever the number of plans."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from accounts import services as account_services
from accounts.models import Activity, ActivityKind, Task, TaskPriority, TaskSource, TaskStatus
from onboarding import selectors
from onboarding.models import OnboardingPlan, PlanPhase, PlanStatus, PlanTask, WorkStatus
from onboarding.services.common import SOURCE

LATE_KEY_PREFIX = "onboarding-late:"
MAX_REASONS = 10


@transaction.atomic
def plans_mark_overdue(*, today: date | None = None) -> dict:
    """Run the job for the current tenant on ``today`` (default: the tenant's today); returns counts."""
    today = today or selectors.tenant_today()
    late_task = Q(plan__status=PlanStatus.ACTIVE) & ~Q(status=WorkStatus.DONE) & Q(due_date__lt=today)
    newly_late, tasks_marked, phases_marked = _flag_late_work(late_task, today)
    late_plans = _late_plans(today)
    late_keys = {plan.late_dedupe_key: plan for plan in late_plans}
    open_keys = set(
        Task.objects.filter(
            source=TaskSource.ONBOARDING, status=TaskStatus.OPEN, dedupe_key__startswith=LATE_KEY_PREFIX
        ).values_list("dedupe_key", flat=True)
    )
    to_open = [plan for key, plan in late_keys.items() if key not in open_keys]
    opened = _open_late_alerts(to_open, late_task, today)
    closed = account_services.tasks_close_by_key(dedupe_keys=sorted(open_keys - set(late_keys)))
    _record_newly_late(newly_late)
    return {
        "tasks_marked": tasks_marked, "phases_marked": phases_marked, "late_plans": len(late_plans),
        "alerts_opened": opened, "alerts_closed": closed,
    }


def _flag_late_work(late_task: Q, today: date) -> tuple[list[tuple], int, int]:
    """Set ``overdue`` on late tasks and phases, clear it on those done or no longer late. Returns the
    newly late tasks as ``(id, plan_id, title, due_date)`` rows and how many tasks and phases it flagged."""
    candidates = list(
        PlanTask.objects.filter(late_task, overdue=False).values_list("id", "plan_id", "title", "due_date")
    )
    tasks_marked = PlanTask.objects.filter(id__in=[row[0] for row in candidates], overdue=False).update(overdue=True)
    PlanTask.objects.filter(overdue=True).filter(Q(status=WorkStatus.DONE) | Q(due_date__gte=today)).update(
        overdue=False
    )
    phases_marked = PlanPhase.objects.filter(late_task, overdue=False).update(overdue=True)
    PlanPhase.objects.filter(overdue=True).filter(Q(status=WorkStatus.DONE) | Q(due_date__gte=today)).update(
        overdue=False
    )
    return candidates, tasks_marked, phases_marked


def _late_plans(today: date) -> list[OnboardingPlan]:
    """Active plans with an unfinished task past due, or past their target go-live without going live."""
    overdue_tasks = PlanTask.objects.filter(plan=OuterRef("pk")).filter(~Q(status=WorkStatus.DONE), due_date__lt=today)
    return list(
        OnboardingPlan.objects.filter(status=PlanStatus.ACTIVE)
        .filter(Exists(overdue_tasks) | Q(go_live_date__isnull=True, target_go_live_date__lt=today))
        .select_related("account", "account__csm", "owner")
    )


def _open_late_alerts(plans: list[OnboardingPlan], late_task: Q, today: date) -> int:
    """One "Onboarding late" CTA per plan, for its owner, listing what is late (one bulk open)."""
    if not plans:
        return 0
    late_titles: dict[int, list[str]] = defaultdict(list)
    for title, plan_id, due in PlanTask.objects.filter(
        late_task, plan_id__in=[p.pk for p in plans]
    ).values_list("title", "plan_id", "due_date").order_by("due_date", "id"):
        late_titles[plan_id].append(f"{title} (due {due:%Y-%m-%d})")
    ctas = []
    for plan in plans:
        reasons = late_titles.get(plan.pk) or [f"go-live was due {plan.target_go_live_date:%Y-%m-%d}"]
        ctas.append(
            Task(
                account_id=plan.account_id, dedupe_key=plan.late_dedupe_key,
                title=f"Onboarding late: {plan.account.name}"[:200], owner=plan.owner or plan.account.csm,
                due_date=today, priority=TaskPriority.HIGH, source=TaskSource.ONBOARDING,
                description="Late: " + "; ".join(reasons[:MAX_REASONS]),
            )
        )
    return len(account_services.cta_open_bulk(ctas=ctas))


def _record_newly_late(newly_late: list[tuple]) -> None:
    """One timeline entry per plan listing the tasks this run found late (one INSERT)."""
    by_plan: dict[int, list[str]] = defaultdict(list)
    for _, plan_id, title, due in newly_late:
        by_plan[plan_id].append(f"{title} (due {due:%Y-%m-%d})")
    if not by_plan:
        return
    accounts = dict(OnboardingPlan.objects.filter(pk__in=by_plan).values_list("pk", "account_id"))
    now = timezone.now()
    account_services.activities_record_bulk(
        [
            Activity(
                account_id=accounts[plan_id], kind=ActivityKind.SYSTEM, source=SOURCE, ref_type="onboarding_plan",
                ref_id=plan_id, subject=f"{len(titles)} onboarding task{'s' if len(titles) != 1 else ''} overdue",
                body="\n".join(titles), occurred_at=now,
            )
            for plan_id, titles in by_plan.items()
        ]
    )
