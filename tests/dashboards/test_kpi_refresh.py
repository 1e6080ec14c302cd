"""Feature adoption materialised once a day (dashboards.kpi_refresh): the figures, idempotent, forced on demand,
old rows dropped, a constant number of queries, and run by the tenant's refresh task."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dashboards import tasks
from dashboards.kpi_refresh import KEEP_DAYS, refresh_feature_adoption
from dashboards.models import FeatureAdoptionDay
from tests.factories import AccountFactory, usage_series

pytestmark = pytest.mark.django_db
TODAY = date(2026, 3, 10)


def _row(tenant):
    return FeatureAdoptionDay.all_tenants.filter(tenant=tenant).values_list("day", "accounts", "features", "used").get()


def test_once_a_day_unless_forced(tenant, frozen):
    a, b = AccountFactory(tenant=tenant), AccountFactory(tenant=tenant)
    usage_series(a, "feature:x", [1, 1], end=TODAY)
    usage_series(b, "feature:y", [3], end=TODAY)
    assert refresh_feature_adoption(tenant=tenant)["rows"] == 1
    assert _row(tenant) == (TODAY, 2, 2, 2)
    usage_series(b, "feature:x", [1], end=TODAY - timedelta(days=1))
    assert refresh_feature_adoption(tenant=tenant)["rows"] == 0  # today's row exists: left as it is
    assert _row(tenant) == (TODAY, 2, 2, 2)
    assert refresh_feature_adoption(tenant=tenant, force=True)["rows"] == 1
    assert _row(tenant) == (TODAY, 2, 2, 3)  # rewritten, not duplicated


def test_old_rows_are_dropped_and_queries_are_constant(tenant, frozen):
    FeatureAdoptionDay.all_tenants.create(tenant=tenant, day=TODAY - timedelta(days=KEEP_DAYS + 1), window_days=90)
    FeatureAdoptionDay.all_tenants.create(tenant=tenant, day=TODAY - timedelta(days=KEEP_DAYS), window_days=90)
    with CaptureQueriesContext(connection) as small:
        refresh_feature_adoption(tenant=tenant, force=True)
    assert sorted(FeatureAdoptionDay.all_tenants.values_list("day", flat=True)) == [
        TODAY - timedelta(days=KEEP_DAYS), TODAY]
    for n in range(20):
        usage_series(AccountFactory(tenant=tenant), f"feature:f{n % 4}", [1] * 5, end=TODAY)
    with CaptureQueriesContext(connection) as large:
        refresh_feature_adoption(tenant=tenant, force=True)
    assert len(large) == len(small) <= 6


def test_the_refresh_task_runs_it(tenant, other_tenant):
    now = datetime(2026, 3, 10, 12, tzinfo=UTC)
    with time_machine.travel(now, tick=False):
        usage_series(AccountFactory(tenant=tenant), "feature:x", [1], end=TODAY)
        tasks.refresh_tenant.apply(args=[tenant.pk]).get()
        assert _row(tenant) == (TODAY, 1, 1, 1)
        assert not FeatureAdoptionDay.all_tenants.filter(tenant=other_tenant).exists()


def test_the_refresh_task_stores_the_targets_actuals_idempotently(tenant, other_tenant):
    from dashboards.kpi_refresh import refresh_kpi_actuals
    from dashboards.models import KpiActuals
    from tests.factories import KpiTargetFactory

    now = datetime(2026, 3, 10, 12, tzinfo=UTC)
    KpiTargetFactory(tenant=tenant, metric="feature_adoption_90d", comparator="at_least", target=50)
    KpiTargetFactory(tenant=tenant, metric="nps", comparator="at_least", target=20)
    with time_machine.travel(now, tick=False):
        usage_series(AccountFactory(tenant=tenant), "feature:x", [1], end=TODAY)
        result = tasks.refresh_tenant.apply(args=[tenant.pk]).get()
        assert result["kpi_actuals"]["rows"] == 2
        row = KpiActuals.all_tenants.get(tenant=tenant)
        # feature adoption read off the row the same refresh wrote just before; no survey answer: no NPS
        assert (row.day, row.computed_at, row.values) == (TODAY, now, {"feature_adoption_90d": "100.0", "nps": None})
        tasks.refresh_tenant.apply(args=[tenant.pk]).get()
    assert KpiActuals.all_tenants.filter(tenant=tenant).count() == 1  # rewritten, not duplicated
    assert not KpiActuals.all_tenants.filter(tenant=other_tenant).exists()
    refresh_kpi_actuals(tenant=tenant, now=now - timedelta(minutes=5))  # a run that finished computing earlier
    assert KpiActuals.all_tenants.get(tenant=tenant).computed_at == now  # does not overwrite the newer row
