"""Reads behind the onboarding pages, API, metrics and health source: filtered, annotated, no N+1."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Case, Count, Prefetch, Q, QuerySet, Value, When
from django.utils import timezone

from accounts.models import Account, Task, TaskSource
from onboarding import metrics
from onboarding.gantt import is_overdue
from onboarding.models import (
    OnboardingPlan,
    OnboardingTemplate,
    PlanPhase,
    PlanStatus,
    PlanTask,
    SuccessCriterion,
    TemplatePhase,
    TemplateTask,
    WorkStatus,
)
from tenancy.context import get_current_tenant
from tenancy.models import Membership, User

MY_TASKS_LIMIT = 50
CHECK_IN_KEY_PREFIX = "onboarding-checkin:"


def tenant_today() -> date:
    """Today in the current tenant's time zone (what "due", "late" and "time to value" count in)."""
    return timezone.localdate(timezone=get_current_tenant().tzinfo)


# --- templates


def template_list() -> QuerySet[OnboardingTemplate]:
    return OnboardingTemplate.objects.annotate(
        phase_count=Count("phases", distinct=True), task_count=Count("phases__tasks", distinct=True)
    ).order_by("-is_default", "name", "pk")


def template_with_structure() -> QuerySet[OnboardingTemplate]:
    """Templates with their phases and tasks prefetched in order (3 queries for any number)."""
    return OnboardingTemplate.objects.prefetch_related(
        Prefetch(
            "phases",
            queryset=TemplatePhase.objects.order_by("position", "id").prefetch_related(
                Prefetch("tasks", queryset=TemplateTask.objects.order_by("position", "id"))
            ),
        )
    ).order_by("-is_default", "name", "pk")


def template_get(*, pk: int) -> OnboardingTemplate:
    """One template with its structure (raises DoesNotExist, i.e. 404, for another tenant's id)."""
    return template_with_structure().get(pk=pk)


def template_find(*, pk: int) -> OnboardingTemplate | None:
    """A template picked from a list (None when it was deleted meanwhile)."""
    return OnboardingTemplate.objects.filter(pk=pk).first()


def default_template() -> OnboardingTemplate | None:
    return template_with_structure().filter(is_default=True).first()


def template_choices() -> list[tuple[int, str]]:
    return list(OnboardingTemplate.objects.order_by("-is_default", "name").values_list("pk", "name"))


def role_directory() -> dict[str, User]:
    """The first member of each role in the tenant (how owner roles resolve to people): one query."""
    directory: dict[str, User] = {}
    for membership in Membership.objects.select_related("user").order_by("created_at", "id"):
        directory.setdefault(membership.role, membership.user)
    return directory


# --- plans


def _task_counts(today: date) -> dict:
    """Per-plan task aggregates (one join on tasks; nothing else may be joined alongside)."""
    unfinished = ~Q(tasks__status=WorkStatus.DONE)
    return {
        "task_total": Count("tasks"),
        "task_done": Count("tasks", filter=Q(tasks__status=WorkStatus.DONE)),
        "task_overdue": Count("tasks", filter=unfinished & Q(tasks__due_date__lt=today)),
        "task_blocked": Count("tasks", filter=Q(tasks__status=WorkStatus.BLOCKED)),
        "task_due_soon_unstarted": Count(
            "tasks",
            filter=Q(tasks__status=WorkStatus.NOT_STARTED)
            & Q(tasks__due_date__gte=today, tasks__due_date__lte=today + timedelta(days=metrics.AT_RISK_HORIZON_DAYS)),
        ),
    }


def facts_of(plan) -> metrics.PlanFacts:
    """PlanFacts from a plan (model or values() dict) annotated with `_task_counts`."""
    get = plan.get if isinstance(plan, dict) else lambda key: getattr(plan, key)
    return metrics.PlanFacts(
        status=get("status"),
        start_date=get("start_date"),
        target_go_live_date=get("target_go_live_date"),
        go_live_date=get("go_live_date"),
        time_to_value_days=get("time_to_value_days"),
        overdue_tasks=get("task_overdue"),
        blocked_tasks=get("task_blocked"),
        due_soon_unstarted_tasks=get("task_due_soon_unstarted"),
    )


def annotate_schedule(plans, today: date) -> list:
    """Set `schedule` (on_track/at_risk/late/done) on annotated plans; returns them as a list."""
    plans = list(plans)
    for plan in plans:
        plan.schedule = metrics.schedule_status(facts_of(plan), today)
    return plans


@dataclass(frozen=True)
class BoardFilters:
    owner: str = ""  # user id or "me"
    segment: str = ""
    status: str = PlanStatus.ACTIVE  # active | completed | cancelled | "" (all)
    schedule: str = ""  # on_track | at_risk | late


def plan_list(*, today: date, filters: BoardFilters | None = None, user: User | None = None) -> QuerySet[OnboardingPlan]:
    """Plans for the board and the API: account, owner, counts annotated; phases prefetched in order."""
    filters = filters or BoardFilters()
    qs = (
        OnboardingPlan.objects.select_related("account", "account__csm", "owner", "specialist", "template")
        .annotate(**_task_counts(today))
        .prefetch_related(Prefetch("phases", queryset=PlanPhase.objects.order_by("position", "id")))
    )
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.owner == "me" and user is not None:
        qs = qs.filter(owner=user)
    elif filters.owner.isdigit():
        qs = qs.filter(owner_id=int(filters.owner))
    if filters.segment:
        qs = qs.filter(account__segment=filters.segment)
    return qs.order_by("start_date", "account__name", "pk")


def plan_detail_queryset(today: date) -> QuerySet[OnboardingPlan]:
    """Plans with everything the plan page and API show: phases -> tasks -> owners, criteria, check-ins."""
    return (
        OnboardingPlan.objects.select_related("account", "account__csm", "owner", "specialist", "template")
        .annotate(**_task_counts(today))
        .prefetch_related(
            Prefetch(
                "phases",
                queryset=PlanPhase.objects.order_by("position", "id").prefetch_related(
                    Prefetch("tasks", queryset=PlanTask.objects.select_related("owner").order_by("position", "id"))
                ),
            ),
            Prefetch("success_criteria", queryset=SuccessCriterion.objects.order_by("position", "id")),
            Prefetch(
                "account__tasks",
                queryset=Task.objects.filter(
                    source=TaskSource.ONBOARDING, dedupe_key__startswith=CHECK_IN_KEY_PREFIX
                ).select_related("owner").order_by("due_date", "id"),
                to_attr="onboarding_check_in_tasks",
            ),
        )
    )


def plan_api_queryset(*, schema_only: bool = False) -> QuerySet[OnboardingPlan]:
    """The API's plans, newest first (none while the schema is generated: no tenant, no "today")."""
    if schema_only:
        return OnboardingPlan.objects.none()
    return plan_detail_queryset(tenant_today()).order_by("-created_at", "-pk")


def plan_for_write_queryset() -> QuerySet[OnboardingPlan]:
    """Plans as the services change them: with account, CSM, owner and specialist."""
    return OnboardingPlan.objects.select_related("account", "account__csm", "owner", "specialist")


def plan_get(*, pk: int, today: date) -> OnboardingPlan:
    """One plan for its page (raises DoesNotExist, i.e. 404, for another tenant's id)."""
    plan = plan_detail_queryset(today).get(pk=pk)
    decorate_plan(plan, today)
    return plan


def decorate_plan(plan: OnboardingPlan, today: date) -> OnboardingPlan:
    """Attach what templates and serializers read: schedule, check-ins, live overdue flags."""
    plan.schedule = metrics.schedule_status(facts_of(plan), today)
    prefix = f"{CHECK_IN_KEY_PREFIX}{plan.pk}:"
    plan.check_ins = [t for t in getattr(plan.account, "onboarding_check_in_tasks", []) if t.dedupe_key.startswith(prefix)]
    for phase in plan.phases.all():
        phase.is_late = is_overdue(phase.due_date, phase.status, today)
        for task in phase.tasks.all():
            task.is_late = is_overdue(task.due_date, task.status, today)
    return plan


def plan_for_account(*, account_id: int) -> OnboardingPlan | None:
    """The account's active plan, else its most recent one, with task counts: one query."""
    today = tenant_today()
    return (
        OnboardingPlan.objects.filter(account_id=account_id)
        .select_related("owner")
        .annotate(**_task_counts(today))
        .order_by(Case(When(status=PlanStatus.ACTIVE, then=Value(0)), default=Value(1)), "-created_at", "-pk")
        .first()
    )


def plan_task_queryset() -> QuerySet[PlanTask]:
    return PlanTask.objects.select_related("plan", "plan__account", "phase", "owner")


def plan_task_get(*, pk: int) -> PlanTask:
    return plan_task_queryset().get(pk=pk)


def my_task_row(*, pk: int) -> PlanTask:
    """One row of "My onboarding tasks" after a change (late flag in the tenant's today)."""
    task = plan_task_get(pk=pk)
    task.is_late = is_overdue(task.due_date, task.status, tenant_today())
    return task


def plan_task_list() -> QuerySet[PlanTask]:
    return PlanTask.objects.select_related("owner", "phase").order_by("plan_id", "position", "id")


def criterion_queryset() -> QuerySet[SuccessCriterion]:
    return SuccessCriterion.objects.select_related("plan", "plan__account")


def account_to_onboard_queryset() -> QuerySet[Account]:
    """Accounts a plan may be started for, with the CSM who owns the plan's "csm" tasks."""
    return Account.objects.select_related("csm")


def plan_facts_all() -> list[metrics.PlanFacts]:
    """Facts of every non-cancelled plan of the tenant for the board's metrics: one aggregate query."""
    today = tenant_today()
    rows = (
        OnboardingPlan.objects.exclude(status=PlanStatus.CANCELLED)
        .annotate(**_task_counts(today))
        .values(
            "status", "start_date", "target_go_live_date", "go_live_date", "time_to_value_days", "task_overdue",
            "task_blocked", "task_due_soon_unstarted",
        )
    )
    return [facts_of(row) for row in rows]


def board_metrics() -> dict:
    return metrics.board_metrics(plan_facts_all(), tenant_today())


def plan_owner_choices() -> QuerySet[User]:
    """People who own at least one plan (the board's owner filter)."""
    return User.objects.filter(
        pk__in=OnboardingPlan.objects.filter(owner__isnull=False).values("owner_id")
    ).order_by("full_name", "email")


# --- my tasks


def my_open_tasks(*, user: User, limit: int = MY_TASKS_LIMIT) -> list[PlanTask]:
    today = tenant_today()
    tasks = list(
        PlanTask.objects.filter(owner=user, plan__status=PlanStatus.ACTIVE)
        .exclude(status=WorkStatus.DONE)
        .select_related("plan", "plan__account", "phase")
        .order_by("due_date", "plan_id", "position", "id")[:limit]
    )
    for task in tasks:
        task.is_late = is_overdue(task.due_date, task.status, today)
    return tasks


def my_task_section(*, user: User) -> dict | None:
    """The "My onboarding tasks" section of the accounts "My tasks" page, or None when there is nothing."""
    if user is None or not user.is_authenticated:
        return None
    tasks = my_open_tasks(user=user)
    if not tasks:
        return None
    return {"title": "My onboarding tasks", "template": "onboarding/_my_tasks_section.html", "tasks": tasks}


# --- health source


def plans_for_health(*, account_ids: list[int] | None, today: date) -> dict[int, dict]:
    """{account_id: {"progress", "schedule", "on_track"}} of each account's active plan: one query.
    Accounts without an active plan are left out (no data: the health measure renormalises)."""
    qs = OnboardingPlan.objects.filter(status=PlanStatus.ACTIVE).annotate(**_task_counts(today))
    if account_ids is not None:
        qs = qs.filter(account_id__in=account_ids)
    rows = qs.values(
        "account_id", "status", "progress", "start_date", "target_go_live_date", "go_live_date", "time_to_value_days",
        "task_overdue", "task_blocked", "task_due_soon_unstarted",
    )
    result: dict[int, dict] = {}
    for row in rows:
        schedule = metrics.schedule_status(facts_of(row), today)
        result[row["account_id"]] = {
            "progress": row["progress"], "schedule": schedule, "on_track": metrics.schedule_score(schedule),
        }
    return result
