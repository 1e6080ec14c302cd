"""A plan's progress: ticking tasks (roll-up to phases and the plan), the milestones they reach (kickoff,
first value with time to value, go-live with the post-launch check-ins), and finishing the plan
(completed, or cancelled).

Locking: every write here locks the plan first (`plan_lock`), so concurrent ticks on one plan roll up
one after another."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from accounts import services as account_services
from accounts.models import LifecycleStage, Task, TaskPriority, TaskSource
from base.errors import DomainError
from core.registries.events import publish
from onboarding import selectors
from onboarding.gantt import check_in_dates, days_between, phase_status, progress_percent
from onboarding.models import (
    DEFAULT_CHECK_IN_DAYS,
    Milestone,
    OnboardingPlan,
    PlanPhase,
    PlanStatus,
    PlanTask,
    WorkStatus,
)
from onboarding.services.common import assignable, plan_event_record, plan_lock
from tenancy.context import get_current_tenant
from tenancy.models import User

CHECK_IN_DESCRIPTION = (
    "Post-launch review: adoption and usage, success metrics against the documented criteria, issues, "
    "training needs, optimisation and expansion opportunities, next steps."
)

# --------------------------------------------------------------------------- tasks


@transaction.atomic
def plan_task_set_status(*, task: PlanTask, status: str, actor: User | None = None) -> PlanTask:
    """Tick a task off (or block, start, reopen it). Rolls up its phase and the plan's progress, reaches
    its milestone, and completes the plan when its last task is done."""
    if status not in WorkStatus.values:
        raise DomainError(f"Unknown status {status!r}; use {', '.join(WorkStatus.values)}.", field="status")
    plan = plan_lock(task.plan)
    if plan.status != PlanStatus.ACTIVE:
        raise DomainError(f"The plan is {plan.status}; reopen is not possible.", field="status", status_code=409)
    task.refresh_from_db(fields=["status", "completed_at", "completed_by", "overdue"])
    if task.status == status:
        return task
    previous = task.status
    task.status = status
    if status == WorkStatus.DONE:
        task.completed_at, task.completed_by, task.overdue = timezone.now(), actor, False
    else:
        task.completed_at, task.completed_by = None, None
    task.save(update_fields=["status", "completed_at", "completed_by", "overdue"])
    counts = _roll_up(plan, [task.phase_id])
    _record_task_change(plan, task, previous=previous, actor=actor)
    if counts["overdue"] == 0 and (plan.go_live_date or plan.target_go_live_date >= selectors.tenant_today()):
        account_services.tasks_close_by_key(dedupe_keys=[plan.late_dedupe_key])
    if counts["total"] and counts["done"] == counts["total"] and plan.status == PlanStatus.ACTIVE:
        plan_complete(plan=plan, actor=actor)
    return task


def _record_task_change(plan: OnboardingPlan, task: PlanTask, *, previous: str, actor: User | None) -> None:
    """The task's new status on the timeline; a task done reaches its milestone."""
    if task.status == WorkStatus.DONE:
        plan_event_record(plan, f"Onboarding task done: {task.title}", actor=actor, task=task.pk)
        _reach_milestone(plan, task, actor=actor)
    elif task.status == WorkStatus.BLOCKED:
        plan_event_record(plan, f"Onboarding task blocked: {task.title}", actor=actor, task=task.pk)
    elif previous == WorkStatus.DONE:
        plan_event_record(plan, f"Onboarding task reopened: {task.title}", actor=actor, task=task.pk)


def _roll_up(plan: OnboardingPlan, phase_ids: Iterable[int]) -> dict:
    """Recompute the given phases' statuses and the plan's progress; return the plan's task counts."""
    today = selectors.tenant_today()
    for phase_id in set(phase_ids):
        status = phase_status(PlanTask.objects.filter(phase_id=phase_id).values_list("status", flat=True))
        changes = {"status": status, "overdue": False} if status == WorkStatus.DONE else {"status": status}
        PlanPhase.objects.filter(pk=phase_id).exclude(status=status).update(**changes)
    counts = PlanTask.objects.filter(plan=plan).aggregate(
        total=Count("id"),
        done=Count("id", filter=Q(status=WorkStatus.DONE)),
        overdue=Count("id", filter=~Q(status=WorkStatus.DONE) & Q(due_date__lt=today)),
    )
    progress = progress_percent(counts["done"], counts["total"])
    if progress != plan.progress:
        plan.progress = progress
        OnboardingPlan.objects.filter(pk=plan.pk).update(progress=progress, updated_at=timezone.now())
    return counts


@transaction.atomic
def plan_task_update(*, task: PlanTask, actor: User | None = None, **data: Any) -> PlanTask:
    """Change a task's owner, due date or checklist; ``status`` goes through `plan_task_set_status`."""
    fields = []
    if "owner" in data and task.owner != data["owner"]:
        task.owner = assignable(data["owner"], "owner")
        fields.append("owner")
    if "due_date" in data and data["due_date"] and task.due_date != data["due_date"]:
        task.due_date = data["due_date"]
        fields.append("due_date")
    if "checklist" in data:
        task.checklist = _clean_checklist(data["checklist"])
        fields.append("checklist")
    if fields:
        task.save(update_fields=fields)
    if data.get("status"):
        plan_task_set_status(task=task, status=data["status"], actor=actor)
    return task


def _clean_checklist(items: Any) -> list[dict]:
    if not isinstance(items, list):
        raise DomainError("The checklist must be a list.", field="checklist")
    cleaned = []
    for item in items:
        if isinstance(item, str):
            item = {"text": item, "done": False}
        if not isinstance(item, dict) or not str(item.get("text") or "").strip():
            raise DomainError("Each checklist item needs a text.", field="checklist")
        cleaned.append({"text": str(item["text"]).strip()[:300], "done": bool(item.get("done"))})
    return cleaned


@transaction.atomic
def plan_task_check_item(*, task: PlanTask, index: int, done: bool, actor: User | None = None) -> PlanTask:
    """Tick (or untick) one checklist item of a task; a task with items ticked is in progress."""
    task = PlanTask.objects.select_for_update().select_related("plan").get(pk=task.pk)
    if not 0 <= index < len(task.checklist):
        raise DomainError("No such checklist item.", field="checklist")
    task.checklist[index]["done"] = bool(done)
    task.save(update_fields=["checklist"])
    if done and task.status == WorkStatus.NOT_STARTED and task.plan.status == PlanStatus.ACTIVE:
        plan_task_set_status(task=task, status=WorkStatus.IN_PROGRESS, actor=actor)
    return task


# --------------------------------------------------------------------------- milestones


def _reach_milestone(plan: OnboardingPlan, task: PlanTask, *, actor: User | None) -> None:
    today = selectors.tenant_today()
    if task.milestone == Milestone.KICKOFF and plan.kickoff_date is None:
        plan.kickoff_date = today
        OnboardingPlan.objects.filter(pk=plan.pk).update(kickoff_date=today)
        plan_event_record(plan, "Onboarding milestone: kickoff held", actor=actor, milestone=Milestone.KICKOFF)
    elif task.milestone == Milestone.FIRST_VALUE and plan.first_value_at is None:
        _first_value(plan, at=timezone.now(), actor=actor)
    elif task.milestone == Milestone.GO_LIVE and plan.go_live_date is None:
        _go_live(plan, day=today, actor=actor)


def _first_value(plan: OnboardingPlan, *, at: datetime, actor: User | None) -> None:
    """Time to value on the plan (once) and on its account (through accounts' services)."""
    day = timezone.localtime(at, get_current_tenant().tzinfo).date()
    days = days_between(plan.start_date, day)
    updated = OnboardingPlan.objects.filter(pk=plan.pk, first_value_at__isnull=True).update(
        first_value_at=at, time_to_value_days=days
    )
    if not updated:
        return
    plan.first_value_at, plan.time_to_value_days = at, days
    account_services.account_record_first_value(account=plan.account, at=at, time_to_value_days=days, actor=actor)
    plan_event_record(
        plan, f"First value reached after {days} day{'s' if days != 1 else ''}", actor=actor,
        milestone=Milestone.FIRST_VALUE, time_to_value_days=days,
    )


def _go_live(plan: OnboardingPlan, *, day: date, actor: User | None) -> None:
    if not OnboardingPlan.objects.filter(pk=plan.pk, go_live_date__isnull=True).update(go_live_date=day):
        return
    plan.go_live_date = day
    plan_event_record(plan, "Onboarding milestone: go-live", actor=actor, milestone=Milestone.GO_LIVE,
                      days_from_start=days_between(plan.start_date, day))
    _schedule_check_ins(plan, actor=actor)
    # Other apps hear of it (advocacy's post-implementation surveys), in this transaction, via the outbox.
    publish("onboarding.went_live", tenant_id=plan.tenant_id,
            payload={"plan_id": plan.pk, "account_id": plan.account_id, "went_live_on": day.isoformat()})


def _schedule_check_ins(plan: OnboardingPlan, *, actor: User | None) -> list[Task]:
    """Open the 30/60/90-day (the plan's check-in days) check-in CTAs for the CSM, once per plan."""
    now = timezone.now()
    if not OnboardingPlan.objects.filter(pk=plan.pk, check_ins_scheduled_at__isnull=True).update(
        check_ins_scheduled_at=now
    ):
        return []
    plan.check_ins_scheduled_at = now
    owner = plan.account.csm or plan.owner
    days = check_in_dates(plan.go_live_date, plan.check_in_days or DEFAULT_CHECK_IN_DAYS)
    created = [
        account_services.task_create(
            account=plan.account, title=f"{day}-day onboarding check-in", owner=owner, due_date=due,
            priority=TaskPriority.MEDIUM, source=TaskSource.ONBOARDING, description=CHECK_IN_DESCRIPTION,
            dedupe_key=plan.check_in_dedupe_key(day),
        )
        for day, due in days
    ]
    if created:
        plan_event_record(
            plan, f"Check-ins scheduled: {', '.join(f'{d}-day' for d, _ in check_in_dates(plan.go_live_date, plan.check_in_days))}",
            body=", ".join(f"{t.title} on {t.due_date:%Y-%m-%d}" for t in created), actor=actor,
        )
    return created


def _tick_milestone_task(plan: OnboardingPlan, milestone: str, *, actor: User | None) -> None:
    """Tick the plan's task of ``milestone`` (an active plan's, when not done yet)."""
    milestone_task = PlanTask.objects.filter(plan=plan, milestone=milestone).exclude(status=WorkStatus.DONE).first()
    if milestone_task is not None and plan.status == PlanStatus.ACTIVE:
        plan_task_set_status(task=milestone_task, status=WorkStatus.DONE, actor=actor)


@transaction.atomic
def plan_record_first_value(*, plan: OnboardingPlan, at: datetime | None = None, actor: User | None = None) -> OnboardingPlan:
    """Record first value (e.g. from product analytics): time to value on the plan and the account;
    ticks the plan's first-value milestone task. Recording it again changes nothing."""
    plan = plan_lock(plan)
    at = at or timezone.now()
    if timezone.is_naive(at):
        raise DomainError("Give the time with its offset.", field="at")
    if at > timezone.now():
        raise DomainError("First value cannot be in the future.", field="at")
    if plan.first_value_at is not None:
        return plan
    _first_value(plan, at=at, actor=actor)
    _tick_milestone_task(plan, Milestone.FIRST_VALUE, actor=actor)
    return plan


@transaction.atomic
def plan_record_go_live(
    *, plan: OnboardingPlan, day: date | None = None, actor: User | None = None
) -> OnboardingPlan:
    """Record that the account went live on ``day`` (default: the tenant's today): the go-live date, the
    plan's go-live milestone task ticked (an active plan), the 30/60/90-day check-ins scheduled. A plan
    completed without going live may record it later. Recording it again changes nothing."""
    plan = plan_lock(plan)
    today = selectors.tenant_today()
    day = day or today
    if plan.status == PlanStatus.CANCELLED:
        raise DomainError("The plan was cancelled.", field="status", status_code=409)
    if day > today:
        raise DomainError("Go-live cannot be in the future.", field="date")
    if day < plan.start_date:
        raise DomainError(f"Go-live cannot be before the plan's start ({plan.start_date:%Y-%m-%d}).", field="date")
    if plan.go_live_date is not None:
        return plan
    _go_live(plan, day=day, actor=actor)
    _tick_milestone_task(plan, Milestone.GO_LIVE, actor=actor)
    return plan


# --------------------------------------------------------------------------- finishing


@transaction.atomic
def plan_complete(*, plan: OnboardingPlan, actor: User | None = None) -> OnboardingPlan:
    """Finish onboarding: the plan is completed, first value (time to value on the account) recorded if it
    was not, the late alert closed and the account moved from onboarding to adoption.

    Completing is not going live: go-live (and the check-ins that follow it) is its own milestone, recorded
    by the go-live task or `plan_record_go_live`, so "operational by week 8" counts only real go-lives."""
    now = timezone.now()
    if not OnboardingPlan.objects.filter(pk=plan.pk, status=PlanStatus.ACTIVE).update(
        status=PlanStatus.COMPLETED, completed_at=now
    ):
        return plan
    plan.status, plan.completed_at = PlanStatus.COMPLETED, now
    if plan.first_value_at is None:
        _first_value(plan, at=now, actor=actor)
    account_services.tasks_close_by_key(dedupe_keys=[plan.late_dedupe_key])
    plan_event_record(plan, f"Onboarding completed: {plan.name}", actor=actor,
                      days=days_between(plan.start_date, selectors.tenant_today()))
    account = account_services.account_advance_lifecycle(
        account=plan.account, from_stage=LifecycleStage.ONBOARDING, to_stage=LifecycleStage.ADOPTION, actor=actor
    )
    plan.account.lifecycle_stage = account.lifecycle_stage
    return plan


@transaction.atomic
def plan_cancel(*, plan: OnboardingPlan, actor: User | None = None) -> OnboardingPlan:
    if OnboardingPlan.objects.filter(pk=plan.pk, status=PlanStatus.ACTIVE).update(status=PlanStatus.CANCELLED):
        plan.status = PlanStatus.CANCELLED
        account_services.tasks_close_by_key(dedupe_keys=[plan.late_dedupe_key])
        plan_event_record(plan, f"Onboarding cancelled: {plan.name}", actor=actor)
    return plan
