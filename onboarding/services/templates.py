"""Onboarding templates: create, edit (the structure replaced whole), the tenant's one default, delete.

Every template body, from the API or the editor page, is validated by ``onboarding.structure``."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from base.errors import DomainError
from onboarding import defaults
from onboarding.models import OnboardingTemplate, TemplatePhase, TemplateTask
from onboarding.services.common import TEXT_LIMIT
from onboarding.structure import clean_check_in_days, clean_prompts, clean_structure
from tenancy.context import get_current_tenant, tenant_context
from tenancy.models import Tenant, User


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
        success_criteria=clean_prompts(success_criteria), check_in_days=clean_check_in_days(check_in_days),
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
        template.success_criteria = clean_prompts(data["success_criteria"])
    if "check_in_days" in data:
        template.check_in_days = clean_check_in_days(data["check_in_days"])
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
