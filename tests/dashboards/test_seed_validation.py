"""seed_demo's health history makes score validation meaningful: outcomes follow health 90 days before,
imperfectly (a score that predicts, with lost accounts that looked healthy)."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
import time_machine
from django.core.management import call_command

from dashboards.validation_selectors import score_validation
from health.models import HealthSnapshot
from tenancy.context import tenant_context
from tenancy.models import Tenant

pytestmark = pytest.mark.django_db


def test_seeded_outcomes_correlate_with_health_imperfectly():
    with time_machine.travel(datetime(2026, 11, 20, 12, 0, tzinfo=UTC), tick=False):
        call_command("seed_demo", "--only", "techcorp", stdout=io.StringIO())
        tenant = Tenant.objects.get(slug="techcorp")
        with tenant_context(tenant):
            v = score_validation()
            oldest = HealthSnapshot.objects.order_by("computed_at").values_list("computed_at", flat=True).first()
    assert (datetime(2026, 11, 20, tzinfo=UTC) - oldest).days >= 390  # about 400 days of history
    scored = [band for band in v.bands if band.key]
    assert v.scored >= 30 and v.lost_scored >= 5
    assert 0.6 <= v.auc <= 0.9
    assert scored[-1].rate > scored[0].rate  # the bottom band loses more than the top
    assert v.lift is not None and v.lift > 1
    assert 0 < len(v.churned_while_top) < v.lost_scored  # imperfect: some lost while in the top band
