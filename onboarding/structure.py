"""The one validator of a template's JSON: its phases and tasks, success-criteria prompts and check-in days.

The API (which passes the body through unchecked, see ``api.TemplateStructureField``) and the editor page
(whose formsets only collect what was typed) both reach it through ``services.templates``, so a rule and
its message live here once. Pure: no database. Errors are ``DomainError`` naming the field.
"""

from __future__ import annotations

from typing import Any

from base.errors import DomainError
from onboarding.models import DEFAULT_CHECK_IN_DAYS, Milestone
from tenancy.models import Role
from tenancy.permissions import work_owner_roles

OWNER_ROLES = work_owner_roles()  # a template task's owner_role: a role that can do the work (never a viewer)
MAX_DAY = 3650
MAX_CHECK_IN_DAY = 730
TITLE_LIMIT = 200
ITEM_LIMIT = 300


def clean_structure(phases: Any) -> list[dict]:
    """Validate a template's phases (API body or editor form) and return them normalised.

    Rules: at least one phase; each phase has a name, ``0 <= start_day <= end_day`` and at least one
    task; each task has a title, a ``due_day`` inside its phase and an ``owner_role`` that is a tenancy
    role able to do work (omitted: ``csm``, the account's CSM); a milestone appears at most once per
    template. Raises DomainError(field="phases").
    """
    if not isinstance(phases, list) or not phases:
        raise DomainError("A template needs at least one phase.", field="phases")
    milestones: set[str] = set()
    return [clean_phase(phase, index, milestones=milestones) for index, phase in enumerate(phases, 1)]


def clean_phase(phase: Any, index: int, *, milestones: set[str]) -> dict:
    """Phase ``index`` (1-based) normalised; ``milestones`` collects the template's milestones so far."""
    if not isinstance(phase, dict):
        raise DomainError(f"Phase {index} must be an object.", field="phases")
    name = str(phase.get("name") or "").strip()
    label = f"Phase {index}" + (f" ({name})" if name else "")
    if not name:
        raise DomainError(f"{label} needs a name.", field="phases")
    start_day = _day(phase.get("start_day"), f"{label}: start_day")
    end_day = _day(phase.get("end_day"), f"{label}: end_day")
    if start_day < 0 or end_day > MAX_DAY:
        raise DomainError(f"{label}: days must be between 0 and {MAX_DAY}.", field="phases")
    if end_day < start_day:
        raise DomainError(f"{label}: end_day ({end_day}) is before start_day ({start_day}).", field="phases")
    tasks = phase.get("tasks") or []
    if not isinstance(tasks, list) or not tasks:
        raise DomainError(f"{label} needs at least one task.", field="phases")
    cleaned_tasks = [
        clean_task(task, f"{label}, task {t_index}", span=(start_day, end_day), milestones=milestones)
        for t_index, task in enumerate(tasks, 1)
    ]
    return {"name": name[:TITLE_LIMIT], "start_day": start_day, "end_day": end_day, "tasks": cleaned_tasks}


def clean_task(task: Any, label: str, *, span: tuple[int, int], milestones: set[str]) -> dict:
    """One task of a phase spanning days ``span`` (inclusive), normalised."""
    if not isinstance(task, dict):
        raise DomainError(f"{label} must be an object.", field="phases")
    title = str(task.get("title") or "").strip()
    label += f" ({title})" if title else ""
    if not title:
        raise DomainError(f"{label} needs a title.", field="phases")
    due_day = _day(task.get("due_day"), f"{label}: due_day")
    start_day, end_day = span
    if not start_day <= due_day <= end_day:
        raise DomainError(
            f"{label}: due_day {due_day} is outside its phase (days {start_day}-{end_day}).", field="phases"
        )
    owner_role = str(task.get("owner_role") or "").strip() or Role.CSM
    if owner_role not in OWNER_ROLES:
        raise DomainError(f"{label}: owner_role {owner_role!r} is not one of {', '.join(OWNER_ROLES)}.", field="phases")
    milestone = _milestone(task.get("milestone"), label, milestones=milestones)
    checklist = task.get("checklist") or []
    if not isinstance(checklist, list):
        raise DomainError(f"{label}: checklist must be a list of items.", field="phases")
    items = [str(item).strip()[:ITEM_LIMIT] for item in checklist if str(item).strip()]
    return {"title": title[:TITLE_LIMIT], "due_day": due_day, "owner_role": owner_role, "milestone": milestone,
            "checklist": items}


def _milestone(value: Any, label: str, *, milestones: set[str]) -> str:
    milestone = str(value or "").strip()
    if milestone and milestone not in Milestone.values:
        raise DomainError(
            f"{label}: milestone {milestone!r} is not one of {', '.join(Milestone.values)}.", field="phases"
        )
    if milestone and milestone in milestones:
        raise DomainError(f"{label}: the {milestone} milestone appears twice.", field="phases")
    milestones.add(milestone)
    return milestone


def _day(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        try:
            value = int(str(value).strip())
        except (TypeError, ValueError):
            raise DomainError(f"{what} must be a whole number of days.", field="phases") from None
    return value


def clean_prompts(prompts: Any) -> list[str]:
    """Success-criteria prompts: a list of non-blank texts."""
    if prompts is None:
        return []
    if not isinstance(prompts, list):
        raise DomainError("Success criteria must be a list of prompts.", field="success_criteria")
    return [str(p).strip()[:ITEM_LIMIT] for p in prompts if str(p).strip()]


def clean_check_in_days(days: Any) -> list[int]:
    """Check-in days after go-live: whole numbers 1..MAX_CHECK_IN_DAY, sorted, once each (None: 30/60/90)."""
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
