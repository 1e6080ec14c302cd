"""Materialising the score validation's observations (``OutcomeObservation``): the observations query
(``validation_selectors``: one index probe into the snapshot history per renewal outcome) run once by the
daily and on-demand full refresh (and the run after a tenant's first), so the page reads rows. One
transaction: delete the tenant's rows, insert them again (idempotent); a renewal closed since shows after
the next full refresh."""

from __future__ import annotations

import time
from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone

from dashboards.models import DashboardRefresh, RefreshKind
from dashboards.validation_selectors import LEAD_DAYS, OBSERVATION_COLUMNS, OBSERVATIONS_PLAIN, STALE_DAYS
from tenancy.models import Tenant

_LOCK_NAMESPACE = 0x0DA6
_INSERT = f"""
INSERT INTO dashboards_outcomeobservation (tenant_id, account_id, account_name, outcome, outcome_on, score, band)
SELECT %(tenant)s, account_id, account_name, outcome, outcome_on, score, band
FROM ({OBSERVATIONS_PLAIN}) AS o({OBSERVATION_COLUMNS})
"""


_RECORD = """
INSERT INTO dashboards_dashboardrefresh (tenant_id, kind, refreshed_at, seconds, rows) VALUES (%s, %s, %s, %s, %s)
ON CONFLICT (tenant_id, kind) DO UPDATE
SET refreshed_at = EXCLUDED.refreshed_at, seconds = EXCLUDED.seconds, rows = EXCLUDED.rows
"""


def observations_due(*, tenant: Tenant) -> bool:
    """Whether the tenant's observations were never written (then the next refresh writes them, full or not)."""
    return not DashboardRefresh.all_tenants.filter(tenant=tenant, kind=RefreshKind.VALIDATION).exists()


def refresh_observations(*, tenant: Tenant, now: datetime | None = None) -> dict:
    """Rewrite the tenant's observations and record it (``DashboardRefresh`` of kind ``validation``)."""
    now = now or timezone.now()
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [(_LOCK_NAMESPACE << 32) + tenant.pk])  # one run at a time
        cursor.execute("DELETE FROM dashboards_outcomeobservation WHERE tenant_id = %s", [tenant.pk])
        cursor.execute(_INSERT, {"tenant": tenant.pk, "lead": LEAD_DAYS, "stale": STALE_DAYS})
        rows = cursor.rowcount
        seconds = time.perf_counter() - started
        cursor.execute(_RECORD, [tenant.pk, RefreshKind.VALIDATION, now, seconds, rows])
    return {"rows": rows, "seconds": round(seconds, 3)}
