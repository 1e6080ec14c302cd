"""The handbook tenants' onboarding seed: their templates as default, plans in every state, fast."""

import random
from datetime import date

import pytest

from accounts.models import Account, Task
from core.demo.accounts import seed_accounts
from core.demo.context import SeedContext
from core.demo.handbooks import HANDBOOKS
from onboarding import seed, selectors
from onboarding.models import OnboardingPlan, OnboardingTemplate, PlanTask
from tenancy.context import tenant_context
from tests.factories.tenancy import MembershipFactory, TenantFactory, UserFactory

pytestmark = pytest.mark.django_db
TODAY = date(2026, 5, 20)


def context_for(slug: str) -> SeedContext:
    profile = HANDBOOKS[slug]
    tenant = TenantFactory(slug=slug, name=profile["name"], timezone=profile["timezone"])
    users = {}
    for role, people in profile["people"].items():
        users[role] = []
        for name, local in people:
            user = UserFactory(email=f"{local}@{profile['domain']}", full_name=name)
            MembershipFactory(tenant=tenant, user=user, role=role)
            users[role].append(user)
    return SeedContext(tenant=tenant, slug=slug, profile=profile, accounts=[], users=users,
                       rng=random.Random(f"test-{slug}"), today=TODAY, progress=lambda msg: None)


@pytest.mark.parametrize("slug", list(HANDBOOKS))
def test_seed_tenant(slug):
    ctx = context_for(slug)
    with tenant_context(ctx.tenant):
        ctx.accounts = seed_accounts(ctx, 60)
        seed.seed_tenant(ctx)
        template = selectors.default_template()
        assert template is not None and template.name == seed.TEMPLATES[slug][0]["name"]
        assert OnboardingTemplate.objects.count() == len(seed.TEMPLATES[slug])
        plans = list(OnboardingPlan.objects.all())
        assert plans
        statuses = {p.status for p in plans}
        assert "completed" in statuses
        completed = [p for p in plans if p.status == "completed"]
        assert all(p.progress == 100 and p.go_live_date for p in completed)
        with_value = [p for p in plans if p.first_value_at]
        assert with_value and all(p.time_to_value_days is not None for p in with_value)
        account_ttv = dict(Account.objects.filter(time_to_value_days__isnull=False).values_list("pk", "time_to_value_days"))
        assert all(account_ttv[p.account_id] == p.time_to_value_days for p in with_value)
        active = [p for p in plans if p.status == "active"]
        assert not Account.objects.filter(pk__in=[p.account_id for p in completed], lifecycle_stage="onboarding").exists()
        assert all(p.progress < 100 for p in active)
        metrics = selectors.board_metrics()
        assert metrics["time_to_value"]["count"] >= 1
        assert metrics["operational_by_week_8"]["eligible"] >= 1
        assert Task.objects.filter(source="onboarding", dedupe_key__startswith="onboarding-checkin:").exists()
        assert PlanTask.objects.exclude(owner__isnull=False).count() == 0  # every task has an owner


def test_seed_has_late_and_on_track_plans_across_tenants():
    schedules = set()
    for slug in ("rag-fortress", "modular-cs"):
        ctx = context_for(slug)
        with tenant_context(ctx.tenant):
            ctx.accounts = seed_accounts(ctx, 60)
            seed.seed_tenant(ctx)
            plans = selectors.plan_list(today=TODAY, filters=selectors.BoardFilters(status="active"))
            schedules |= {p.schedule for p in selectors.annotate_schedule(plans, TODAY)}
    assert "late" in schedules and schedules & {"on_track", "at_risk"}


def test_every_seed_template_is_valid():
    from onboarding.services import clean_structure

    for slug, templates in seed.TEMPLATES.items():
        for spec in templates:
            assert clean_structure(spec["phases"]), slug
