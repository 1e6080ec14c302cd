"""Onboarding factories. Templates and plans are built through the services (the structure is
validated and plans are instantiated exactly as in production)."""

from __future__ import annotations

import copy
from datetime import date

import factory

from onboarding import services
from onboarding.models import OnboardingTemplate, SuccessCriterion, TemplatePhase, TemplateTask
from tenancy.context import tenant_context
from tests.factories.accounts import AccountFactory, TenantOwnedFactory
from tests.factories.tenancy import TenantFactory

__all__ = [
    "STANDARD_PHASES", "OnboardingTemplateFactory", "TemplatePhaseFactory", "TemplateTaskFactory", "SuccessCriterionFactory",
    "make_template", "make_plan",
]

# Three weeks, six tasks, every milestone: the structure most tests instantiate.
STANDARD_PHASES = [
    {"name": "Kickoff", "start_day": 0, "end_day": 6, "tasks": [
        {"title": "Kickoff meeting", "due_day": 2, "owner_role": "onboarding_specialist", "milestone": "kickoff"},
        {"title": "Document success criteria", "due_day": 6, "owner_role": "csm"},
    ]},
    {"name": "Setup", "start_day": 7, "end_day": 13, "tasks": [
        {"title": "Configure integrations", "due_day": 10, "owner_role": "support_engineer", "checklist": ["SSO", "API"]},
        {"title": "First value", "due_day": 13, "owner_role": "csm", "milestone": "first_value"},
    ]},
    {"name": "Go-live", "start_day": 14, "end_day": 20, "tasks": [
        {"title": "Go live", "due_day": 14, "owner_role": "onboarding_specialist", "milestone": "go_live"},
        {"title": "Hypercare review", "due_day": 20, "owner_role": "vp"},
    ]},
]


class OnboardingTemplateFactory(TenantOwnedFactory):
    """A bare template row (no phases); use `make_template` for a complete one."""

    class Meta:
        model = OnboardingTemplate

    tenant = factory.SubFactory(TenantFactory)
    name = factory.Sequence(lambda n: f"Template {n}")


class TemplatePhaseFactory(TenantOwnedFactory):
    class Meta:
        model = TemplatePhase

    template = factory.SubFactory(OnboardingTemplateFactory)
    tenant = factory.LazyAttribute(lambda o: o.template.tenant)
    name = factory.Sequence(lambda n: f"Phase {n}")
    start_day = 0
    end_day = 6


class TemplateTaskFactory(TenantOwnedFactory):
    class Meta:
        model = TemplateTask

    phase = factory.SubFactory(TemplatePhaseFactory)
    tenant = factory.LazyAttribute(lambda o: o.phase.tenant)
    title = factory.Sequence(lambda n: f"Task {n}")
    due_day = 0
    owner_role = "csm"


class SuccessCriterionFactory(TenantOwnedFactory):
    """A criterion of an existing plan: ``SuccessCriterionFactory(plan=make_plan(...))``."""

    class Meta:
        model = SuccessCriterion

    plan = None
    tenant = factory.LazyAttribute(lambda o: o.plan.tenant)
    text = factory.Sequence(lambda n: f"Criterion {n}")


def make_template(tenant, *, name: str = "Standard onboarding", phases: list[dict] | None = None, **kwargs):
    """A template with phases and tasks through `services.template_create` (STANDARD_PHASES by default)."""
    with tenant_context(tenant):
        return services.template_create(name=name, phases=copy.deepcopy(phases or STANDARD_PHASES), **kwargs)


def make_plan(account=None, *, tenant=None, template=None, start_date: date | None = None, **kwargs):
    """A plan through `services.plan_create` (the tenant's default template unless one is given)."""
    account = account or AccountFactory(tenant=tenant or TenantFactory())
    with tenant_context(account.tenant):
        return services.plan_create(
            account=account, start_date=start_date or date(2026, 3, 2), template=template, **kwargs
        )
