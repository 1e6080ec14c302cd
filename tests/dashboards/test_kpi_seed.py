"""The handbook tenants' KPI targets (dashboards.seed), as each handbook's KPI section states them, seeded
idempotently; a tenant created otherwise starts with none."""

from __future__ import annotations

import random
from datetime import date
from decimal import Decimal

import pytest
from django.core.management import call_command

from core.seeding import SeedContext
from dashboards import seed
from dashboards.models import KpiTarget
from ops.demo.handbooks import HANDBOOKS
from ops.management.commands.seed_demo import APP_SEEDERS
from tenancy.context import tenant_context
from tenancy.models import Tenant
from tests.factories import TenantFactory

pytestmark = pytest.mark.django_db
D = Decimal

EXPECTED = {
    "rag-fortress": {"operational_by_week_8": (">=", "95"), "nrr": (">=", "110"), "grr": (">=", "95"),
                     "csat_satisfied": (">=", "90"), "nps": (">=", "50"), "time_to_value_days": ("<=", "28"),
                     "response_median_hours": ("<=", "4"), "resolution_median_hours": ("<=", "24")},
    "modular-cs": {"grr": (">=", "94"), "nrr": (">=", "118"), "share_green": (">=", "85"),
                   "share_at_risk": ("<=", "5"), "time_to_value_avg_days": ("<=", "45"),
                   "logo_retention": (">=", "89")},
    "techcorp": {"nrr": (">=", "115"), "grr": (">=", "95"), "avg_health": (">=", "70"),
                 "time_to_value_days": ("<=", "30"), "feature_adoption_90d": (">=", "60"), "csat": (">=", "4.5"),
                 "nps": (">=", "50")},
    "marketingai-pro": {"logo_retention": (">=", "95"), "nps": (">=", "70"), "csat": (">=", "4.5"),
                        "expansion_rate": (">=", "20"), "time_to_value_days": ("<=", "1"),
                        "share_green": (">=", "80"), "response_median_hours": ("<=", "2")},
    "agent-factory": {"logo_retention": (">=", "90"), "nrr": (">=", "100"), "nps": (">=", "50"),
                      "csat": (">=", "4.5"), "expansion_rate": (">=", "20")},
}
SYMBOL = {"at_least": ">=", "at_most": "<="}


def _seed(tenant, slug):
    ctx = SeedContext(tenant=tenant, slug=slug, profile=HANDBOOKS[slug], accounts=[], users={},
                      rng=random.Random(1), today=date(2026, 3, 10), progress=lambda msg: None)
    with tenant_context(tenant):
        seed.seed_tenant(ctx)


def _targets(tenant) -> dict:
    with tenant_context(tenant):
        return {t.metric: (SYMBOL[t.comparator], t.target) for t in KpiTarget.objects.all()}


@pytest.mark.parametrize("slug", sorted(HANDBOOKS))
def test_each_handbook_tenant_gets_its_handbooks_targets(slug):
    tenant = TenantFactory(slug=slug)
    _seed(tenant, slug)
    assert _targets(tenant) == {metric: (op, D(value)) for metric, (op, value) in EXPECTED[slug].items()}
    with tenant_context(tenant):
        assert all(t.note.startswith("Handbook") for t in KpiTarget.objects.all())


def test_seeding_again_adds_nothing_and_keeps_an_admins_change():
    tenant = TenantFactory(slug="techcorp")
    _seed(tenant, "techcorp")
    with tenant_context(tenant):
        KpiTarget.objects.filter(metric="nps").update(target=D("55"))
        KpiTarget.objects.filter(metric="csat").delete()
    _seed(tenant, "techcorp")
    _seed(tenant, "techcorp")
    targets = _targets(tenant)
    assert len(targets) == 7 and targets["nps"] == (">=", D("55.00")) and targets["csat"] == (">=", D("4.50"))
    assert KpiTarget.all_tenants.filter(tenant=tenant).count() == 7


def test_seed_demo_runs_the_targets_step_and_a_new_tenant_has_none():
    assert seed.seed_tenant in APP_SEEDERS
    call_command("create_tenant", "newco", "--name", "NewCo", "--admin-email", "admin@newco.example",
                 "--admin-password", "a-long-password-2026")
    assert not KpiTarget.all_tenants.filter(tenant=Tenant.objects.get(slug="newco")).exists()
