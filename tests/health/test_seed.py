"""health.seed for a handbook tenant: its scorecard, usage, history and risks, quickly."""

from __future__ import annotations

import random

import pytest
from django.utils import timezone

from accounts.models import Task
from core.seeding import SeedContext
from health import seed
from health.models import HealthSnapshot, Scorecard, UsageRecord
from ops.demo.accounts import seed_accounts
from ops.demo.handbooks import HANDBOOKS
from tenancy.context import tenant_context
from tenancy.models import Role
from tenancy.services import member_add, tenant_create

pytestmark = pytest.mark.django_db

EXPECTED = {
    "rag-fortress": ([("usage", 40), ("support", 20), ("engagement", 20), ("growth", 20)],
                     [("green", 80), ("yellow", 60), ("red", 0)]),
    "modular-cs": ([("usage", 40), ("engagement", 25), ("business_outcomes", 20), ("support", 15)],
                   [("green", 80), ("yellow", 60), ("red", 0)]),
    "techcorp": ([("usage", 40), ("feature_adoption", 30), ("support", 20), ("business_outcomes", 10)],
                 [("green", 70.1), ("yellow", 50), ("red", 0)]),
    "marketingai-pro": ([("usage", 40), ("support", 20), ("business", 20), ("relationship", 20)],
                        [("healthy", 80), ("at_risk", 60), ("critical", 40), ("churn_risk", 0)]),
    "agent-factory": ([("usage", 40), ("engagement", 30), ("outcomes", 20), ("relationship", 10)],
                      [("healthy", 80), ("at_risk", 60), ("critical", 0)]),
}


@pytest.mark.parametrize("slug", list(EXPECTED))
def test_handbook_scorecards_are_valid(slug):
    from health.scorecard import validate_scorecard

    card = validate_scorecard(seed.scorecard_for(slug))
    assert [(c["key"], c["weight"]) for c in card["components"]] == EXPECTED[slug][0]
    assert [(b["key"], b["min_score"]) for b in card["bands"]] == EXPECTED[slug][1]


def test_seed_a_handbook_tenant(db):
    slug = "techcorp"
    profile = HANDBOOKS[slug]
    tenant = tenant_create(slug=slug, name=profile["name"], admin_email="admin@techcorp.example", admin_password=None,
                           timezone_name=profile["timezone"], segment_thresholds=profile["segments"],
                           settings={"competitors": profile["competitors"]})
    with tenant_context(tenant):
        csm = member_add(tenant=tenant, email="csm@techcorp.example", role=Role.CSM).user
        ctx = SeedContext(tenant=tenant, slug=slug, profile=profile, accounts=[], users={"csm": [csm]},
                          rng=random.Random(7), today=timezone.localdate(), progress=lambda msg: None)
        ctx.accounts = seed_accounts(ctx, 60)
        seed.seed_tenant(ctx)
    card = Scorecard.all_tenants.get(tenant=tenant)
    assert [(c["key"], c["weight"]) for c in card.components] == EXPECTED[slug][0]
    assert UsageRecord.all_tenants.filter(tenant=tenant).count() > 60 * 80 * 4
    per_account = HealthSnapshot.all_tenants.filter(tenant=tenant).values("account_id").distinct().count()
    assert per_account == 60
    assert HealthSnapshot.all_tenants.filter(tenant=tenant).count() == 60 * (seed.BACKFILL_WEEKS + 1)
    statuses = set(tenant_accounts(tenant).values_list("health_status", flat=True))
    assert statuses <= {"green", "yellow", "red"} and len(statuses) >= 2
    risks = Task.all_tenants.filter(tenant=tenant, source="risk", status="open")
    assert risks.filter(dedupe_key__startswith="risk:usage_drop:").exists()
    assert risks.filter(dedupe_key__startswith="risk:competitor_mentioned:").exists()


def tenant_accounts(tenant):
    from accounts.models import Account

    return Account.all_tenants.filter(tenant=tenant)
