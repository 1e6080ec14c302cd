"""The handbook tenants' onboarding seed: their templates as default, plans in every state, fast."""

import random
from datetime import date

import pytest

from accounts.models import Account, Task
from core.seeding import SeedContext
from onboarding import seed, selectors
from onboarding.models import OnboardingPlan, OnboardingTemplate, PlanTask
from onboarding.structure import clean_structure
from ops.demo.accounts import seed_accounts
from ops.demo.handbooks import HANDBOOKS
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


# What each handbook says, as (phase, start_day, end_day) with 0-based offsets ("day 1" is day 0,
# "week 2" is days 7-13), and (task title fragment, due_day, milestone) the plan must carry.
HANDBOOK_PHASES = {
    "rag-fortress": [("Kickoff", 0, 6), ("Technical setup", 7, 13), ("Data ingestion", 7, 27),
                     ("User training", 14, 34), ("Testing and optimization", 28, 34),
                     ("Go-live preparation", 35, 41), ("Go-live", 42, 48)],
    "techcorp": [("Day 1: welcome", 0, 0), ("Day 2: technical kickoff", 1, 1), ("Days 3-5: data sources", 2, 4),
                 ("Day 7: first dashboard", 6, 6), ("Weeks 2-4: implementation", 7, 27),
                 ("Months 2-3: adoption and optimization", 28, 89)],
    "marketingai-pro": [("Day 1: welcome and setup", 0, 0), ("Days 2-3: product tour and training", 1, 2),
                        ("Days 4-7: first success", 3, 6), ("Weeks 2-4: success planning", 7, 27)],
    "agent-factory": [("Day 1", 0, 0), ("Day 3", 1, 2), ("Day 7", 3, 6), ("Day 14", 7, 13), ("Day 30", 14, 29)],
}
HANDBOOK_TASKS = {
    "rag-fortress": [("Kickoff meeting held", 4, "kickoff"), ("Infrastructure provisioning", 8, ""),
                     ("Test migration in staging", 16, ""), ("Power user enablement", 29, ""),
                     ("User acceptance testing", 31, ""), ("Production cutover planning", 36, ""),
                     ("Go-live day", 42, "go_live")],
    "techcorp": [("Welcome call", 0, ""), ("Technical kickoff", 1, "kickoff"), ("Connect data sources", 3, ""),
                 ("First dashboard created", 6, "first_value"), ("Quarterly business review (QBR)", 89, "")],
    "marketingai-pro": [("Account setup checklist", 0, ""), ("First AI campaign created", 0, "first_value"),
                        ("Interactive product tour", 1, ""), ("First success goals reached", 5, "go_live"),
                        ("Success planning call", 10, "")],
    "agent-factory": [("Welcome email", 0, ""), ("Welcome call", 2, "kickoff"), ("First check-in", 6, ""),
                      ("First agent deployed", 13, "first_value"), ("Onboarding complete", 29, "")],
}
MARKETINGAI_SETUP_CHECKLIST = [
    "Email verification completed", "Profile information completed", "Payment method added",
    "Team members invited (if applicable)", "Initial preferences configured", "Security settings configured",
]


def assert_handbook_plan(slug: str, template) -> None:
    """The stored default template carries the handbook's phases (in order) and key tasks."""
    phases = list(template.phases.all())
    if slug in HANDBOOK_PHASES:
        assert [(p.name, p.start_day, p.end_day) for p in phases] == HANDBOOK_PHASES[slug]
    tasks = [t for p in phases for t in p.tasks.all()]
    for fragment, due_day, milestone in HANDBOOK_TASKS.get(slug, []):
        matches = [t for t in tasks if fragment in t.title]
        assert matches, f"{slug}: no task {fragment!r}"
        assert (matches[0].due_day, matches[0].milestone) == (due_day, milestone), fragment
    if slug == "marketingai-pro":
        setup = next(t for t in tasks if t.title == "Account setup checklist")
        assert setup.checklist == MARKETINGAI_SETUP_CHECKLIST
    if slug == "techcorp":  # the QBR falls in month 3 (days 60-89)
        qbr = next(t for t in tasks if "QBR" in t.title)
        assert 60 <= qbr.due_day <= 89


@pytest.mark.parametrize("slug", list(HANDBOOKS))
def test_seed_tenant(slug):
    ctx = context_for(slug)
    with tenant_context(ctx.tenant):
        ctx.accounts = seed_accounts(ctx, 60)
        seed.seed_tenant(ctx)
        template = selectors.default_template()
        assert template is not None and template.name == seed.TEMPLATES[slug][0]["name"]
        assert_handbook_plan(slug, template)
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
    for slug, templates in seed.TEMPLATES.items():
        for spec in templates:
            assert clean_structure(spec["phases"]), slug
