"""Every onboarding write: templates, plans (instantiated from templates), tasks, milestones, the overdue job.

Plan events go on the account timeline (source "onboarding"); the late-plan alert is a CTA opened once
per plan (dedupe key ``onboarding-late:<plan_id>``); 30/60/90-day check-ins are CTAs for the CSM.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone

from accounts import services as account_services
from accounts.models import (
    Account,
    Activity,
    ActivityKind,
    LifecycleStage,
    Task,
    TaskPriority,
    TaskSource,
    TaskStatus,
)
from base.errors import DomainError
from onboarding import defaults, selectors
from onboarding.models import (
    DEFAULT_CHECK_IN_DAYS,
    HANDOFF_FIELDS,
    CriterionStatus,
    Milestone,
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
from onboarding.timeline import check_in_dates, days_between, offset_date, phase_status, progress_percent
from tenancy.context import get_current_tenant, tenant_context
from tenancy.models import Role, Tenant, User
from tenancy.permissions import work_owner_roles
from tenancy.selectors import can_own_work

SOURCE = "onboarding"
OWNER_ROLES = work_owner_roles()  # a template task's owner_role: a role that can do the work (never a viewer)
MAX_DAY = 3650
MAX_CHECK_IN_DAY = 730
TEXT_LIMIT = 5000
LATE_KEY_PREFIX = "onboarding-late:"
CHECK_IN_DESCRIPTION = (
    "Post-launch review: adoption and usage, success metrics against the documented criteria, issues, "
    "training needs, optimisation and expansion opportunities, next steps."
)


def _record(plan: OnboardingPlan, subject: str, *, body: str = "", actor: User | None = None, **metadata) -> Activity:
    return account_services.activity_record(
        account=plan.account, kind=ActivityKind.SYSTEM, subject=subject, body=body, actor=actor, source=SOURCE,
        ref_type="onboarding_plan", ref_id=plan.pk, metadata=metadata,
    )


def _assignable(user: User | None, field: str) -> User | None:
    """``user`` when they may own onboarding work; a viewer (or a non-member) is refused."""
    if user is not None and not can_own_work(user):
        raise DomainError(f"{user} cannot own onboarding work: their role only reads.", field=field)
    return user


# --------------------------------------------------------------------------- templates


def _int(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        try:
            value = int(str(value).strip())
        except (TypeError, ValueError):
            raise DomainError(f"{what} must be a whole number of days.", field="phases") from None
    return value


def clean_structure(phases: Any) -> list[dict]:
    """Validate a template's phases (API body or editor form) and return them normalised.

    Rules: at least one phase; each phase has a name, ``0 <= start_day <= end_day`` and at least one
    task; each task has a title, a ``due_day`` inside its phase and an ``owner_role`` that is a tenancy
    role able to do work (omitted: ``csm``, the account's CSM); a milestone appears at most once per template. Raises DomainError(field="phases").
    """
    if not isinstance(phases, list) or not phases:
        raise DomainError("A template needs at least one phase.", field="phases")
    cleaned, milestones = [], set()
    for p_index, phase in enumerate(phases, 1):
        if not isinstance(phase, dict):
            raise DomainError(f"Phase {p_index} must be an object.", field="phases")
        name = str(phase.get("name") or "").strip()
        label = f"Phase {p_index}" + (f" ({name})" if name else "")
        if not name:
            raise DomainError(f"{label} needs a name.", field="phases")
        start_day = _int(phase.get("start_day"), f"{label}: start_day")
        end_day = _int(phase.get("end_day"), f"{label}: end_day")
        if start_day < 0 or end_day > MAX_DAY:
            raise DomainError(f"{label}: days must be between 0 and {MAX_DAY}.", field="phases")
        if end_day < start_day:
            raise DomainError(f"{label}: end_day ({end_day}) is before start_day ({start_day}).", field="phases")
        tasks = phase.get("tasks") or []
        if not isinstance(tasks, list) or not tasks:
            raise DomainError(f"{label} needs at least one task.", field="phases")
        cleaned_tasks = []
        for t_index, task in enumerate(tasks, 1):
            if not isinstance(task, dict):
                raise DomainError(f"{label}, task {t_index} must be an object.", field="phases")
            title = str(task.get("title") or "").strip()
            t_label = f"{label}, task {t_index}" + (f" ({title})" if title else "")
            if not title:
                raise DomainError(f"{t_label} needs a title.", field="phases")
            due_day = _int(task.get("due_day"), f"{t_label}: due_day")
            if not start_day <= due_day <= end_day:
                raise DomainError(
                    f"{t_label}: due_day {due_day} is outside its phase (days {start_day}-{end_day}).", field="phases"
                )
            owner_role = str(task.get("owner_role") or "").strip() or Role.CSM
            if owner_role not in OWNER_ROLES:
                raise DomainError(
                    f"{t_label}: owner_role {owner_role!r} is not one of {', '.join(OWNER_ROLES)}.", field="phases"
                )
            milestone = str(task.get("milestone") or "").strip()
            if milestone and milestone not in Milestone.values:
                raise DomainError(
                    f"{t_label}: milestone {milestone!r} is not one of {', '.join(Milestone.values)}.", field="phases"
                )
            if milestone and milestone in milestones:
                raise DomainError(f"{t_label}: the {milestone} milestone appears twice.", field="phases")
            milestones.add(milestone)
            checklist = task.get("checklist") or []
            if not isinstance(checklist, list):
                raise DomainError(f"{t_label}: checklist must be a list of items.", field="phases")
            items = [str(item).strip()[:300] for item in checklist if str(item).strip()]
            cleaned_tasks.append(
                {"title": title[:200], "due_day": due_day, "owner_role": owner_role, "milestone": milestone,
                 "checklist": items}
            )
        cleaned.append({"name": name[:200], "start_day": start_day, "end_day": end_day, "tasks": cleaned_tasks})
    return cleaned


def _clean_prompts(prompts: Any) -> list[str]:
    if prompts is None:
        return []
    if not isinstance(prompts, list):
        raise DomainError("Success criteria must be a list of prompts.", field="success_criteria")
    return [str(p).strip()[:300] for p in prompts if str(p).strip()]


def _clean_check_in_days(days: Any) -> list[int]:
    if days is None:
        return list(DEFAULT_CHECK_IN_DAYS)
    if not isinstance(days, list):
        raise DomainError("Check-in days must be a list of whole numbers.", field="check_in_days")
    cleaned = set()
    for day in days:
        if isinstance(day, bool):
            raise DomainError("Check-in days must be whole numbers.", field="check_in_days")
        try:
            value = int(day)
        except (TypeError, ValueError):
            raise DomainError("Check-in days must be whole numbers.", field="check_in_days") from None
        if not 1 <= value <= MAX_CHECK_IN_DAY:
            raise DomainError(f"Check-in days must be between 1 and {MAX_CHECK_IN_DAY}.", field="check_in_days")
        cleaned.add(value)
    return sorted(cleaned)


def _clean_name(name: Any, *, exclude_pk: int | None = None) -> str:
    name = str(name or "").strip()
    if not name:
        raise DomainError("A template needs a name.", field="name")
    clash = OnboardingTemplate.objects.filter(name__iexact=name)
    if exclude_pk is not None:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        raise DomainError(f"Another template is already named {name!r}.", field="name")
    return name[:200]


def _save_structure(template: OnboardingTemplate, phases: list[dict]) -> None:
    """Write cleaned phases and tasks under a template (two bulk INSERTs)."""
    tenant_id = template.tenant_id
    phase_rows = TemplatePhase.objects.bulk_create(
        [
            TemplatePhase(tenant_id=tenant_id, template=template, position=i, name=p["name"], start_day=p["start_day"],
                          end_day=p["end_day"])
            for i, p in enumerate(phases)
        ]
    )
    TemplateTask.objects.bulk_create(
        [
            TemplateTask(tenant_id=tenant_id, phase=phase_row, position=j, title=t["title"], due_day=t["due_day"],
                         owner_role=t["owner_role"], milestone=t["milestone"], checklist=t["checklist"])
            for phase_row, p in zip(phase_rows, phases, strict=True)
            for j, t in enumerate(p["tasks"])
        ]
    )


def _make_default(template: OnboardingTemplate) -> None:
    OnboardingTemplate.objects.filter(is_default=True).exclude(pk=template.pk).update(is_default=False)
    if not template.is_default:
        template.is_default = True
        OnboardingTemplate.objects.filter(pk=template.pk).update(is_default=True)


@transaction.atomic
def template_create(
    *,
    name: str,
    phases: list[dict],
    description: str = "",
    success_criteria: list[str] | None = None,
    check_in_days: list[int] | None = None,
    is_default: bool | None = None,
    actor: User | None = None,
) -> OnboardingTemplate:
    """Create a template with its phases and tasks. The tenant's first template always becomes its
    default (a tenant with templates always has exactly one default)."""
    cleaned = clean_structure(phases)
    template = OnboardingTemplate(
        tenant=get_current_tenant(), name=_clean_name(name), description=str(description or "")[:TEXT_LIMIT],
        success_criteria=_clean_prompts(success_criteria), check_in_days=_clean_check_in_days(check_in_days),
    )
    make_default = bool(is_default) or not OnboardingTemplate.objects.exists()
    template.save()
    _save_structure(template, cleaned)
    if make_default:
        _make_default(template)
    return template


@transaction.atomic
def template_create_default(*, tenant: Tenant) -> OnboardingTemplate | None:
    """Give ``tenant`` (a new one: `tenant_create` calls this) the generic default template, unless it
    already has templates."""
    with tenant_context(tenant):
        if OnboardingTemplate.objects.exists():
            return None
        return template_create(**defaults.default_template(), is_default=True)


@transaction.atomic
def template_update(*, template: OnboardingTemplate, actor: User | None = None, **data: Any) -> OnboardingTemplate:
    """Change a template. ``phases``, when given, replaces the whole structure (running plans keep theirs)."""
    cleaned = clean_structure(data["phases"]) if "phases" in data else None
    if "name" in data:
        template.name = _clean_name(data["name"], exclude_pk=template.pk)
    if "description" in data:
        template.description = str(data["description"] or "")[:TEXT_LIMIT]
    if "success_criteria" in data:
        template.success_criteria = _clean_prompts(data["success_criteria"])
    if "check_in_days" in data:
        template.check_in_days = _clean_check_in_days(data["check_in_days"])
    if data.get("is_default") is False and template.is_default:
        raise DomainError("Make another template the default instead.", field="is_default")
    template.save()
    if cleaned is not None:
        TemplatePhase.objects.filter(template=template).delete()
        _save_structure(template, cleaned)
    if data.get("is_default"):
        _make_default(template)
    return template


@transaction.atomic
def template_set_default(*, template: OnboardingTemplate) -> OnboardingTemplate:
    _make_default(template)
    return template


@transaction.atomic
def template_delete(*, template: OnboardingTemplate) -> None:
    """Delete a template (plans made from it keep their phases and tasks). Deleting the default makes
    the next template (by name) the default, so new plans still have one."""
    was_default = template.is_default
    template.delete()
    if was_default:
        successor = OnboardingTemplate.objects.order_by("name", "pk").first()
        if successor is not None:
            _make_default(successor)


# --------------------------------------------------------------------------- plans


@dataclass
class BuiltPlan:
    """A plan and its rows built in memory from a template, saved by `plans_save_built`."""

    plan: OnboardingPlan
    phases: list[tuple[PlanPhase, list[PlanTask]]] = field(default_factory=list)
    criteria: list[SuccessCriterion] = field(default_factory=list)

    @property
    def tasks(self) -> list[PlanTask]:
        return [task for _, tasks in self.phases for task in tasks]


def _clean_handoff(handoff: Any) -> dict[str, str]:
    if handoff in (None, ""):
        return {}
    if not isinstance(handoff, dict):
        raise DomainError("The handoff must be an object.", field="handoff")
    unknown = sorted(set(handoff) - set(HANDOFF_FIELDS))
    if unknown:
        raise DomainError(
            f"Unknown handoff field(s) {', '.join(unknown)}; use {', '.join(HANDOFF_FIELDS)}.", field="handoff"
        )
    cleaned = {}
    for key, value in handoff.items():
        if value is None:
            value = ""
        if not isinstance(value, str):
            raise DomainError(f"Handoff {key} must be text.", field="handoff")
        if len(value) > TEXT_LIMIT:
            raise DomainError(f"Handoff {key} is longer than {TEXT_LIMIT} characters.", field="handoff")
        if value.strip():
            cleaned[key] = value.strip()
    return cleaned


def _task_owner(role: str, *, account: Account, plan: OnboardingPlan, directory: dict[str, User]) -> User | None:
    """Who does a task of ``role``: the account's CSM for "csm", the plan's specialist for
    "onboarding_specialist", else the tenant's first member of that role; the plan owner otherwise."""
    if role == Role.CSM:
        person = account.csm
    elif role == Role.ONBOARDING_SPECIALIST:
        person = plan.specialist or directory.get(Role.ONBOARDING_SPECIALIST)
    else:
        person = directory.get(role)
    return person or plan.owner


def plan_build(
    *,
    account: Account,
    template: OnboardingTemplate,
    start_date: date,
    directory: dict[str, User],
    owner: User | None = None,
    specialist: User | None = None,
    handoff: dict | None = None,
    notes: str = "",
    actor: User | None = None,
) -> BuiltPlan:
    """Instantiate ``template`` (phases and tasks prefetched) for ``account`` in memory: dates from offsets,
    owners from roles. Nothing is written."""
    specialist = specialist or directory.get(Role.ONBOARDING_SPECIALIST)
    phases = list(template.phases.all())
    go_live_days = [t.due_day for p in phases for t in p.tasks.all() if t.milestone == Milestone.GO_LIVE]
    last_day = max((p.end_day for p in phases), default=0)
    plan = OnboardingPlan(
        tenant_id=account.tenant_id, account=account, template=template, name=template.name,
        owner=owner or specialist or account.csm or actor, specialist=specialist, start_date=start_date,
        target_go_live_date=offset_date(start_date, go_live_days[0] if go_live_days else last_day),
        check_in_days=list(template.check_in_days or DEFAULT_CHECK_IN_DAYS), handoff=_clean_handoff(handoff),
        notes=str(notes or "")[:TEXT_LIMIT], created_by=actor,
    )
    built = BuiltPlan(plan=plan)
    for position, phase in enumerate(phases):
        plan_phase = PlanPhase(
            tenant_id=account.tenant_id, position=position, name=phase.name,
            start_date=offset_date(start_date, phase.start_day), due_date=offset_date(start_date, phase.end_day),
        )
        tasks = [
            PlanTask(
                tenant_id=account.tenant_id, position=j, title=task.title, due_date=offset_date(start_date, task.due_day),
                owner_role=task.owner_role, owner=_task_owner(task.owner_role, account=account, plan=plan, directory=directory),
                milestone=task.milestone, checklist=[{"text": item, "done": False} for item in task.checklist],
            )
            for j, task in enumerate(phase.tasks.all())
        ]
        built.phases.append((plan_phase, tasks))
    built.criteria = [
        SuccessCriterion(tenant_id=account.tenant_id, position=i, prompt=prompt)
        for i, prompt in enumerate(template.success_criteria or [])
    ]
    return built


@transaction.atomic
def plans_save_built(built_plans: list[BuiltPlan]) -> list[OnboardingPlan]:
    """Save built plans in bulk (one INSERT per table, all or nothing), with phase statuses and progress rolled up."""
    for built in built_plans:
        tasks = built.tasks
        built.plan.progress = progress_percent(sum(t.status == WorkStatus.DONE for t in tasks), len(tasks))
        for plan_phase, phase_tasks in built.phases:
            plan_phase.status = phase_status(t.status for t in phase_tasks)
    plans = OnboardingPlan.objects.bulk_create([b.plan for b in built_plans])
    phases = []
    for built in built_plans:
        for plan_phase, _ in built.phases:
            plan_phase.plan = built.plan
            phases.append(plan_phase)
    PlanPhase.objects.bulk_create(phases, batch_size=2000)
    tasks, criteria = [], []
    for built in built_plans:
        for plan_phase, phase_tasks in built.phases:
            for task in phase_tasks:
                task.plan, task.phase = built.plan, plan_phase
                tasks.append(task)
        for criterion in built.criteria:
            criterion.plan = built.plan
            criteria.append(criterion)
    PlanTask.objects.bulk_create(tasks, batch_size=2000)
    SuccessCriterion.objects.bulk_create(criteria, batch_size=2000)
    return plans


@transaction.atomic
def plan_create(
    *,
    account: Account,
    start_date: date,
    template: OnboardingTemplate | None = None,
    owner: User | None = None,
    specialist: User | None = None,
    handoff: dict | None = None,
    notes: str = "",
    actor: User | None = None,
) -> OnboardingPlan:
    """Start onboarding ``account`` from ``template`` (the tenant's default when None) on ``start_date``."""
    if start_date is None:
        raise DomainError("A plan needs a start date.", field="start_date")
    _assignable(owner, "owner")
    _assignable(specialist, "specialist")
    if template is None:
        template = selectors.default_template()
        if template is None:
            raise DomainError("There is no default onboarding template; name one.", field="template")
    else:
        template = selectors.template_get(pk=template.pk)
    if OnboardingPlan.objects.filter(account=account, status=PlanStatus.ACTIVE).exists():
        raise DomainError(f"{account.name} already has an active onboarding plan.", field="account")
    built = plan_build(
        account=account, template=template, start_date=start_date, directory=selectors.role_directory(),
        owner=owner, specialist=specialist, handoff=handoff, notes=notes, actor=actor,
    )
    try:
        with transaction.atomic():
            (plan,) = plans_save_built([built])
    except IntegrityError:
        raise DomainError(f"{account.name} already has an active onboarding plan.", field="account") from None
    _record(
        plan, f"Onboarding started: {plan.name}", actor=actor,
        body=f"Start {plan.start_date:%Y-%m-%d}, target go-live {plan.target_go_live_date:%Y-%m-%d}, "
        f"{len(built.tasks)} tasks in {len(built.phases)} phases. Owner: {plan.owner or 'nobody'}.",
    )
    return plan


@transaction.atomic
def plan_update(*, plan: OnboardingPlan, actor: User | None = None, **data: Any) -> OnboardingPlan:
    """Edit a plan's people, handoff, notes or name; ``status`` completes or cancels it."""
    status = data.pop("status", None)
    changed = []
    if "handoff" in data:
        merged = dict(plan.handoff or {}) | dict(data["handoff"] or {})
        plan.handoff = _clean_handoff(merged)
        changed.append("handoff")
    for key in ("owner", "specialist"):
        if key in data and getattr(plan, key) != data[key]:
            setattr(plan, key, _assignable(data[key], key))
            changed.append(key)
    if "notes" in data:
        plan.notes = str(data["notes"] or "")[:TEXT_LIMIT]
        changed.append("notes")
    if "name" in data:
        name = str(data["name"] or "").strip()
        if not name:
            raise DomainError("A plan needs a name.", field="name")
        plan.name = name[:200]
        changed.append("name")
    if changed:
        plan.save()
    if "handoff" in changed:
        _record(plan, "Onboarding handoff updated", actor=actor)
    if status and status != plan.status:
        if plan.status != PlanStatus.ACTIVE:
            raise DomainError(f"The plan is already {plan.status}.", field="status", status_code=409)
        if status == PlanStatus.COMPLETED:
            plan_complete(plan=plan, actor=actor)
        elif status == PlanStatus.CANCELLED:
            plan_cancel(plan=plan, actor=actor)
        else:
            raise DomainError(f"Unknown plan status {status!r}.", field="status")
    return plan


def _lock(plan: OnboardingPlan) -> OnboardingPlan:
    """The plan re-read FOR UPDATE, so concurrent task ticks roll up one after another."""
    return (
        OnboardingPlan.objects.select_for_update(of=("self",))
        .select_related("account", "account__csm", "owner", "specialist")
        .get(pk=plan.pk)
    )


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
def plan_task_set_status(*, task: PlanTask, status: str, actor: User | None = None) -> PlanTask:
    """Tick a task off (or block, start, reopen it). Rolls up its phase and the plan's progress, reaches
    its milestone, and completes the plan when its last task is done."""
    if status not in WorkStatus.values:
        raise DomainError(f"Unknown status {status!r}; use {', '.join(WorkStatus.values)}.", field="status")
    plan = _lock(task.plan)
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
    if status == WorkStatus.DONE:
        _record(plan, f"Onboarding task done: {task.title}", actor=actor, task=task.pk)
        _reach_milestone(plan, task, actor=actor)
    elif status == WorkStatus.BLOCKED:
        _record(plan, f"Onboarding task blocked: {task.title}", actor=actor, task=task.pk)
    elif previous == WorkStatus.DONE:
        _record(plan, f"Onboarding task reopened: {task.title}", actor=actor, task=task.pk)
    if counts["overdue"] == 0 and (plan.go_live_date or plan.target_go_live_date >= selectors.tenant_today()):
        account_services.tasks_close_by_key(dedupe_keys=[plan.late_dedupe_key])
    if counts["total"] and counts["done"] == counts["total"] and plan.status == PlanStatus.ACTIVE:
        plan_complete(plan=plan, actor=actor)
    return task


def _reach_milestone(plan: OnboardingPlan, task: PlanTask, *, actor: User | None) -> None:
    today = selectors.tenant_today()
    if task.milestone == Milestone.KICKOFF and plan.kickoff_date is None:
        plan.kickoff_date = today
        OnboardingPlan.objects.filter(pk=plan.pk).update(kickoff_date=today)
        _record(plan, "Onboarding milestone: kickoff held", actor=actor, milestone=Milestone.KICKOFF)
    elif task.milestone == Milestone.FIRST_VALUE and plan.first_value_at is None:
        _first_value(plan, at=timezone.now(), actor=actor)
    elif task.milestone == Milestone.GO_LIVE and plan.go_live_date is None:
        _go_live(plan, day=today, actor=actor)


def _first_value(plan: OnboardingPlan, *, at: datetime, actor: User | None) -> None:
    day = timezone.localtime(at, get_current_tenant().tzinfo).date()
    days = days_between(plan.start_date, day)
    updated = OnboardingPlan.objects.filter(pk=plan.pk, first_value_at__isnull=True).update(
        first_value_at=at, time_to_value_days=days
    )
    if not updated:
        return
    plan.first_value_at, plan.time_to_value_days = at, days
    Account.objects.filter(pk=plan.account_id).update(first_value_at=at, time_to_value_days=days)
    plan.account.first_value_at, plan.account.time_to_value_days = at, days
    _record(
        plan, f"First value reached after {days} day{'s' if days != 1 else ''}", actor=actor,
        milestone=Milestone.FIRST_VALUE, time_to_value_days=days,
    )


def _go_live(plan: OnboardingPlan, *, day: date, actor: User | None) -> None:
    if not OnboardingPlan.objects.filter(pk=plan.pk, go_live_date__isnull=True).update(go_live_date=day):
        return
    plan.go_live_date = day
    _record(plan, "Onboarding milestone: go-live", actor=actor, milestone=Milestone.GO_LIVE,
            days_from_start=days_between(plan.start_date, day))
    _schedule_check_ins(plan, actor=actor)


def _schedule_check_ins(plan: OnboardingPlan, *, actor: User | None) -> list[Task]:
    """Open the 30/60/90-day (the plan's check-in days) check-in CTAs for the CSM, once per plan."""
    now = timezone.now()
    if not OnboardingPlan.objects.filter(pk=plan.pk, check_ins_scheduled_at__isnull=True).update(
        check_ins_scheduled_at=now
    ):
        return []
    plan.check_ins_scheduled_at = now
    owner = plan.account.csm or plan.owner
    created = []
    for day, due in check_in_dates(plan.go_live_date, plan.check_in_days or DEFAULT_CHECK_IN_DAYS):
        created.append(
            account_services.task_create(
                account=plan.account, title=f"{day}-day onboarding check-in", owner=owner, due_date=due,
                priority=TaskPriority.MEDIUM, source=TaskSource.ONBOARDING, description=CHECK_IN_DESCRIPTION,
                dedupe_key=plan.check_in_dedupe_key(day),
            )
        )
    if created:
        _record(
            plan, f"Check-ins scheduled: {', '.join(f'{d}-day' for d, _ in check_in_dates(plan.go_live_date, plan.check_in_days))}",
            body=", ".join(f"{t.title} on {t.due_date:%Y-%m-%d}" for t in created), actor=actor,
        )
    return created


@transaction.atomic
def plan_record_first_value(*, plan: OnboardingPlan, at: datetime | None = None, actor: User | None = None) -> OnboardingPlan:
    """Record first value (e.g. from product analytics): time to value on the plan and the account;
    ticks the plan's first-value milestone task. Recording it again changes nothing."""
    plan = _lock(plan)
    at = at or timezone.now()
    if timezone.is_naive(at):
        raise DomainError("Give the time with its offset.", field="at")
    if at > timezone.now():
        raise DomainError("First value cannot be in the future.", field="at")
    if plan.first_value_at is not None:
        return plan
    _first_value(plan, at=at, actor=actor)
    milestone_task = PlanTask.objects.filter(plan=plan, milestone=Milestone.FIRST_VALUE).exclude(
        status=WorkStatus.DONE
    ).first()
    if milestone_task is not None and plan.status == PlanStatus.ACTIVE:
        plan_task_set_status(task=milestone_task, status=WorkStatus.DONE, actor=actor)
    return plan


@transaction.atomic
def plan_record_go_live(
    *, plan: OnboardingPlan, day: date | None = None, actor: User | None = None
) -> OnboardingPlan:
    """Record that the account went live on ``day`` (default: the tenant's today): the go-live date, the
    plan's go-live milestone task ticked (an active plan), the 30/60/90-day check-ins scheduled. A plan
    completed without going live may record it later. Recording it again changes nothing."""
    plan = _lock(plan)
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
    milestone_task = PlanTask.objects.filter(plan=plan, milestone=Milestone.GO_LIVE).exclude(
        status=WorkStatus.DONE
    ).first()
    if milestone_task is not None and plan.status == PlanStatus.ACTIVE:
        plan_task_set_status(task=milestone_task, status=WorkStatus.DONE, actor=actor)
    return plan


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
    _record(plan, f"Onboarding completed: {plan.name}", actor=actor,
            days=days_between(plan.start_date, selectors.tenant_today()))
    account = Account.objects.get(pk=plan.account_id)
    if account.lifecycle_stage == LifecycleStage.ONBOARDING:
        account_services.account_update(account=account, actor=actor, lifecycle_stage=LifecycleStage.ADOPTION)
        plan.account.lifecycle_stage = LifecycleStage.ADOPTION
    return plan


@transaction.atomic
def plan_cancel(*, plan: OnboardingPlan, actor: User | None = None) -> OnboardingPlan:
    if OnboardingPlan.objects.filter(pk=plan.pk, status=PlanStatus.ACTIVE).update(status=PlanStatus.CANCELLED):
        plan.status = PlanStatus.CANCELLED
        account_services.tasks_close_by_key(dedupe_keys=[plan.late_dedupe_key])
        _record(plan, f"Onboarding cancelled: {plan.name}", actor=actor)
    return plan


@transaction.atomic
def plan_task_update(*, task: PlanTask, actor: User | None = None, **data: Any) -> PlanTask:
    """Change a task's owner, due date or checklist; ``status`` goes through `plan_task_set_status`."""
    fields = []
    if "owner" in data and task.owner != data["owner"]:
        task.owner = _assignable(data["owner"], "owner")
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


@transaction.atomic
def criterion_update(
    *, criterion: SuccessCriterion, text: str | None = None, status: str | None = None, actor: User | None = None
) -> SuccessCriterion:
    if status is not None and status not in CriterionStatus.values:
        raise DomainError(f"Unknown status {status!r}.", field="status")
    previous = criterion.status
    if text is not None:
        criterion.text = str(text).strip()[:TEXT_LIMIT]
    if status is not None:
        criterion.status = status
    criterion.save()
    if status is not None and status != previous and status != CriterionStatus.PENDING:
        _record(criterion.plan, f"Success criterion {criterion.get_status_display().lower()}: "
                f"{(criterion.text or criterion.prompt)[:120]}", actor=actor)
    return criterion


@transaction.atomic
def criterion_add(*, plan: OnboardingPlan, text: str, actor: User | None = None) -> SuccessCriterion:
    text = str(text or "").strip()
    if not text:
        raise DomainError("Write the criterion first.", field="text")
    position = SuccessCriterion.objects.filter(plan=plan).count()
    return SuccessCriterion.objects.create(tenant_id=plan.tenant_id, plan=plan, position=position, text=text[:TEXT_LIMIT])


@transaction.atomic
def plan_set_success_criteria(*, plan: OnboardingPlan, items: list[dict], actor: User | None = None) -> None:
    """Replace a plan's success criteria (API): each ``{"text", "status", "prompt"?}``."""
    rows = []
    for i, item in enumerate(items):
        text = str(item.get("text") or "").strip()
        prompt = str(item.get("prompt") or "").strip()
        status = item.get("status") or CriterionStatus.PENDING
        if not (text or prompt):
            raise DomainError(f"Criterion {i + 1} needs a text.", field="success_criteria")
        if status not in CriterionStatus.values:
            raise DomainError(f"Criterion {i + 1}: unknown status {status!r}.", field="success_criteria")
        rows.append(SuccessCriterion(tenant_id=plan.tenant_id, plan=plan, position=i, prompt=prompt[:300],
                                     text=text[:TEXT_LIMIT], status=status))
    SuccessCriterion.objects.filter(plan=plan).delete()
    SuccessCriterion.objects.bulk_create(rows)


# --------------------------------------------------------------------------- the daily job


@transaction.atomic
def plans_mark_overdue(*, today: date | None = None) -> dict:
    """Mark overdue tasks and phases of active plans, open one CTA per late plan for its owner and close
    the CTAs of plans no longer late. Compare-and-set updates and dedupe keys: running it twice changes
    nothing the second time. Set-based: a fixed number of queries plus one alert per newly late plan."""
    today = today or selectors.tenant_today()
    active = Q(plan__status=PlanStatus.ACTIVE)
    late_task = active & ~Q(status=WorkStatus.DONE) & Q(due_date__lt=today)
    newly_late = list(
        PlanTask.objects.filter(late_task, overdue=False).values_list("id", "plan_id", "title", "due_date")
    )
    tasks_marked = PlanTask.objects.filter(id__in=[row[0] for row in newly_late], overdue=False).update(overdue=True)
    PlanTask.objects.filter(overdue=True).filter(Q(status=WorkStatus.DONE) | Q(due_date__gte=today)).update(
        overdue=False
    )
    phases_marked = PlanPhase.objects.filter(late_task, overdue=False).update(overdue=True)
    PlanPhase.objects.filter(overdue=True).filter(Q(status=WorkStatus.DONE) | Q(due_date__gte=today)).update(
        overdue=False
    )
    overdue_tasks = PlanTask.objects.filter(plan=OuterRef("pk")).filter(~Q(status=WorkStatus.DONE), due_date__lt=today)
    late_plans = list(
        OnboardingPlan.objects.filter(status=PlanStatus.ACTIVE)
        .filter(Exists(overdue_tasks) | Q(go_live_date__isnull=True, target_go_live_date__lt=today))
        .select_related("account", "account__csm", "owner")
    )
    late_keys = {plan.late_dedupe_key: plan for plan in late_plans}
    open_keys = set(
        Task.objects.filter(
            source=TaskSource.ONBOARDING, status=TaskStatus.OPEN, dedupe_key__startswith=LATE_KEY_PREFIX
        ).values_list("dedupe_key", flat=True)
    )
    late_titles: dict[int, list[str]] = defaultdict(list)
    for title, plan_id, due in PlanTask.objects.filter(
        late_task, plan_id__in=[p.pk for p in late_plans if p.late_dedupe_key not in open_keys]
    ).values_list("title", "plan_id", "due_date").order_by("due_date", "id"):
        late_titles[plan_id].append(f"{title} (due {due:%Y-%m-%d})")
    opened = 0
    for key, plan in late_keys.items():
        if key in open_keys:
            continue
        reasons = late_titles.get(plan.pk) or [f"go-live was due {plan.target_go_live_date:%Y-%m-%d}"]
        _, created = account_services.task_open_once(
            account=plan.account, dedupe_key=key, title=f"Onboarding late: {plan.account.name}",
            owner=plan.owner or plan.account.csm, due_date=today, priority=TaskPriority.HIGH,
            source=TaskSource.ONBOARDING, description="Late: " + "; ".join(reasons[:10]),
        )
        opened += created
    closed = account_services.tasks_close_by_key(dedupe_keys=sorted(open_keys - set(late_keys)))
    by_plan: dict[int, list] = defaultdict(list)
    for _, plan_id, title, due in newly_late:
        by_plan[plan_id].append(f"{title} (due {due:%Y-%m-%d})")
    if by_plan:
        accounts = dict(OnboardingPlan.objects.filter(pk__in=by_plan).values_list("pk", "account_id"))
        account_services.activities_record_bulk(
            [
                Activity(
                    account_id=accounts[plan_id], kind=ActivityKind.SYSTEM, source=SOURCE, ref_type="onboarding_plan",
                    ref_id=plan_id, subject=f"{len(titles)} onboarding task{'s' if len(titles) != 1 else ''} overdue",
                    body="\n".join(titles), occurred_at=timezone.now(),
                )
                for plan_id, titles in by_plan.items()
            ]
        )
    return {
        "tasks_marked": tasks_marked, "phases_marked": phases_marked, "late_plans": len(late_plans),
        "alerts_opened": opened, "alerts_closed": closed,
    }
