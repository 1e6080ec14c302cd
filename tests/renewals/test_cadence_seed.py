"""The handbook tenants' touchpoint cadences (002: Enterprise quarterly QBR, Mid-Market semi-annual, SMB none;
004: Enterprise monthly check-ins, Pro quarterly, Starter automated), and prepare CTAs due on first run."""

import random
from datetime import date, timedelta

import pytest

from accounts.models import Task
from core.seeding import SeedContext
from ops.demo.accounts import seed_accounts
from ops.demo.handbooks import HANDBOOKS
from renewals import seed
from renewals.models import TouchpointCadence
from tenancy.context import tenant_context
from tests.factories.tenancy import MembershipFactory, TenantFactory, UserFactory

pytestmark = pytest.mark.django_db
TODAY = date(2026, 5, 20)


def seeded(slug: str) -> list[tuple]:
    profile = HANDBOOKS[slug]
    tenant = TenantFactory(slug=slug, name=profile["name"], timezone=profile["timezone"],
                           segment_thresholds=profile["segments"] or [])
    users = {}
    for role, people in profile["people"].items():
        users[role] = []
        for name, local in people:
            user = UserFactory(email=f"{local}@{profile['domain']}", full_name=name)
            MembershipFactory(tenant=tenant, user=user, role=role)
            users[role].append(user)
    ctx = SeedContext(tenant=tenant, slug=slug, profile=profile, accounts=[], users=users,
                      rng=random.Random(f"test-{slug}"), today=TODAY, progress=lambda msg: None)
    with tenant_context(tenant):
        ctx.accounts = seed_accounts(ctx, 40)
        seed.seed_tenant(ctx)
        rows = sorted(TouchpointCadence.objects.values_list("match", "kind", "interval_count", "interval_unit",
                                                            "automated"))
        assert all(c.steps for c in TouchpointCadence.objects.all())
        prepare = Task.objects.filter(dedupe_key__startswith="cadence:")
        assert all(t.title.startswith("Prepare ") for t in prepare)
        assert prepare.exists() == bool(rows)
    return rows


def test_techcorp_quarterly_enterprise_semi_annual_mid_market_no_smb():
    assert seeded("techcorp") == [
        ("enterprise", "qbr", 3, "months", False), ("mid_market", "qbr", 6, "months", False),
    ]


def test_agent_factory_by_tier():
    assert seeded("agent-factory") == [
        ("Enterprise", "check_in", 1, "months", False), ("Pro", "check_in", 3, "months", False),
        ("Starter", "check_in", 1, "months", True),
    ]


def test_other_handbooks_have_none():
    assert seeded("rag-fortress") == []


def test_the_seed_writes_the_arr_ledger_of_every_demo_account():
    """Demo accounts are bulk-written: the seed gives each one its history (an opening movement two years back
    or at customer_since, then expansions, contractions, churns), so an account's ARR is the signed sum of its
    movements (API.md) from the first run; a second run writes nothing."""
    from django.db.models import Case, DecimalField, F, Sum, When

    from accounts.models import Account
    from renewals.ledger_services import ledger_open_missing
    from renewals.models import ArrMovement

    seeded("techcorp")
    tenant = Account.all_tenants.first().tenant
    signed = Case(When(kind__in=["new", "expansion", "reactivation"], then=F("amount")), default=-F("amount"),
                  output_field=DecimalField())
    with tenant_context(tenant):
        ledger = dict(ArrMovement.objects.values("account_id").annotate(total=Sum(signed))
                      .values_list("account_id", "total"))
        arrs = dict(Account.objects.values_list("id", "arr"))
        assert arrs and {pk: ledger.get(pk) for pk in arrs} == arrs
        assert Account.objects.filter(status="churned", arr=0).exists()
        openings = ArrMovement.objects.filter(kind="new")
        assert openings.count() == len(arrs) and set(openings.values_list("source", flat=True)) == {"seed"}
        assert min(openings.values_list("date", flat=True)) == TODAY - timedelta(days=730)
        assert ledger_open_missing(tenant=tenant) == 0


def test_the_seed_opens_the_renewals_in_the_window_as_the_daily_job_would():
    from accounts.models import Account
    from renewals.models import Renewal

    seeded("rag-fortress")
    tenant = Account.all_tenants.first().tenant
    with tenant_context(tenant):
        due = set(Account.objects.filter(status="active", renewal_date__range=(TODAY, TODAY + timedelta(days=120)))
                  .values_list("id", flat=True))
        assert due and set(Renewal.objects.filter(outcome__isnull=True).values_list("account_id", flat=True)) == due
        assert Task.objects.filter(dedupe_key__startswith="renewal:").exists()  # the 90/60/30 motions
        assert Renewal.objects.filter(outcome__isnull=False, contract_end__lt=TODAY).exists()  # and the past ones
        falcon = Account.objects.get(name="Falcon Networks")  # the story account renews tomorrow
        assert falcon.renewal_date == TODAY + timedelta(days=1)
