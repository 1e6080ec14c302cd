"""Materialising the one KPI input the other aggregates do not hold: feature adoption over the last 90 days
(``FeatureAdoptionDay``, one row per tenant and UTC day). A scan of the tenant's 90 days of usage, so it runs
once a day (the first refresh of the day, or on demand), not every 5 minutes and never on a page request: one
``INSERT ... SELECT ... GROUP BY`` statement, idempotent (a second run of the day rewrites the same row).

Then, every refresh, the Targets panel's actuals (``KpiActuals``): each KPI the tenant has a target for,
computed once here so the portfolio and support pages read one row instead of computing them per view."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from accounts.models import Account, AccountStatus
from dashboards import kpi_selectors
from dashboards.models import FeatureAdoptionDay, KpiActuals
from health.models import UsageRecord
from tenancy.context import tenant_context
from tenancy.models import Tenant

WINDOW_DAYS = 90
KEEP_DAYS = 90  # rows older than this are dropped

# One scan of the window's usage of the active accounts (their ids a constant array: a hashed filter, no join
# for the planner to get wrong), hashed by (account, feature or NULL): each account that reported anything keeps
# a NULL row, each feature it used (value > 0) a row of its own.
_FEATURE_ADOPTION = """
WITH pairs AS (
    SELECT u.account_id, CASE WHEN u.metric LIKE 'feature:%%' AND u.value > 0 THEN u.metric END AS feature
    FROM {usage} u
    WHERE u.tenant_id = %(tenant)s AND u.date > %(start)s AND u.date <= %(day)s AND u.account_id = ANY(%(accounts)s)
    GROUP BY 1, 2
)
INSERT INTO {table} (tenant_id, day, window_days, accounts, features, used)
SELECT %(tenant)s, %(day)s, %(window)s, count(DISTINCT account_id), count(DISTINCT feature), count(feature)
FROM pairs
ON CONFLICT (tenant_id, day) DO UPDATE SET window_days = EXCLUDED.window_days, accounts = EXCLUDED.accounts,
    features = EXCLUDED.features, used = EXCLUDED.used
"""


def refresh_feature_adoption(*, tenant: Tenant, now: datetime | None = None, force: bool = False) -> dict:
    """Write today's (UTC) ``FeatureAdoptionDay`` unless it exists (``force``: rewrite it). A constant number
    of statements; returns ``{"kind", "rows", "seconds"}`` (``rows`` 0 when today's row was already there)."""
    started = time.perf_counter()
    day = (now or timezone.now()).astimezone(UTC).date()
    if not force and FeatureAdoptionDay.all_tenants.filter(tenant=tenant, day=day).exists():
        return {"kind": "feature_adoption", "rows": 0, "seconds": round(time.perf_counter() - started, 3)}
    sql = _FEATURE_ADOPTION.format(usage=UsageRecord._meta.db_table, table=FeatureAdoptionDay._meta.db_table)
    active = list(Account.all_tenants.filter(tenant=tenant, status=AccountStatus.ACTIVE).values_list("pk", flat=True))
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL work_mem = '64MB'; SET LOCAL jit = off")
        cursor.execute(sql, {"tenant": tenant.pk, "accounts": active, "day": day, "window": WINDOW_DAYS,
                             "start": day - timedelta(days=WINDOW_DAYS)})
        FeatureAdoptionDay.all_tenants.filter(tenant=tenant, day__lt=day - timedelta(days=KEEP_DAYS)).delete()
    return {"kind": "feature_adoption", "rows": 1, "seconds": round(time.perf_counter() - started, 3)}


# --------------------------------------------------------------------------- the Targets panel's actuals

# One row per tenant; a run that finished computing before the stored row's (two runs racing) leaves it alone.
_ACTUALS_UPSERT = """
INSERT INTO {table} (tenant_id, day, computed_at, "values") VALUES (%(tenant)s, %(day)s, %(at)s, %(values)s::jsonb)
ON CONFLICT (tenant_id) DO UPDATE SET day = EXCLUDED.day, computed_at = EXCLUDED.computed_at, "values" = EXCLUDED."values"
WHERE {table}.computed_at <= EXCLUDED.computed_at
"""


def encode_actuals(values: dict[str, object]) -> dict[str, object]:
    """JSON-safe actuals: a Decimal as its string (exact), a float or int as a number, None as null (read back
    by ``kpi_selectors.decode_actuals``)."""
    return {metric: str(value) if isinstance(value, Decimal) else value for metric, value in values.items()}


def refresh_kpi_actuals(*, tenant: Tenant, now: datetime | None = None) -> dict:
    """Compute the actual of every KPI the tenant has a target for (``kpi_selectors.actuals``, as of the tenant's
    today) and store them (``KpiActuals``, one upsert): run after the aggregates and feature adoption, whose
    rows the actuals read. Idempotent; returns ``{"kind", "rows", "seconds"}`` (``rows``: the actuals stored)."""
    started = time.perf_counter()
    now = now or timezone.now()
    day = timezone.localdate(now, timezone=tenant.tzinfo)
    with tenant_context(tenant):
        values = kpi_selectors.actuals(metrics=[t.metric for t in kpi_selectors.target_list()], today=day)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_ACTUALS_UPSERT.format(table=KpiActuals._meta.db_table),
                       {"tenant": tenant.pk, "day": day, "at": now, "values": json.dumps(encode_actuals(values))})
    return {"kind": "kpi_actuals", "rows": len(values), "seconds": round(time.perf_counter() - started, 3)}
