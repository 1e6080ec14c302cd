"""Onboarding plans: instantiated from a template (built in memory, saved in bulk), edited (people,
handoff, notes, name, status), and their success criteria."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db import IntegrityError, transaction

from accounts.models import Account
from base.errors import DomainError
from onboarding import selectors
from onboarding.gantt import offset_date, phase_status, progress_percent
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
    WorkStatus,
)
from onboarding.services.common import TEXT_LIMIT, assignable, plan_event_record
from onboarding.services.milestones import plan_cancel, plan_complete
from tenancy.models import Role, User


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
    assignable(owner, "owner")
    assignable(specialist, "specialist")
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
    plan_event_record(
        plan, f"Onboarding started: {plan.name}", actor=actor,
        body=f"Start {plan.start_date:%Y-%m-%d}, target go-live {plan.target_go_live_date:%Y-%m-%d}, "
        f"{len(built.tasks)} tasks in {len(built.phases)} phases. Owner: {plan.owner or 'nobody'}.",
    )
    return plan


@transaction.atomic
def plan_update(*, plan: OnboardingPlan, actor: User | None = None, **data: Any) -> OnboardingPlan:
    """Edit a plan's people, handoff, notes or name; ``status`` completes or cancels it."""
    status = data.pop("status", None)
    changed = _apply_plan_fields(plan, data)
    if changed:
        plan.save()
    if "handoff" in changed:
        plan_event_record(plan, "Onboarding handoff updated", actor=actor)
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


def _apply_plan_fields(plan: OnboardingPlan, data: dict[str, Any]) -> list[str]:
    """Set the given handoff (merged), people, notes and name on ``plan``; the names of those changed."""
    changed = []
    if "handoff" in data:
        merged = dict(plan.handoff or {}) | dict(data["handoff"] or {})
        plan.handoff = _clean_handoff(merged)
        changed.append("handoff")
    for key in ("owner", "specialist"):
        if key in data and getattr(plan, key) != data[key]:
            setattr(plan, key, assignable(data[key], key))
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
    return changed


# --------------------------------------------------------------------------- success criteria


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
        plan_event_record(criterion.plan, f"Success criterion {criterion.get_status_display().lower()}: "
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
