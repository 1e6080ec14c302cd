"""Materialising the one KPI input the other aggregates do not hold: feature adoption over the last 90 days
(``FeatureAdoptionDay``, one row per tenant and UTC day). A scan of the tenant's 90 days of usage, so it runs
once a day (the first refresh of the day, or on demand), not every 5 minutes and never on a page request: one
``INSERT ... SELECT ... GROUP BY`` statement, idempotent (a second run of the day rewrites the same row)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from django.db import connection, transaction
from django.utils import timezone

from accounts.models import Account, AccountStatus
from dashboards.models import FeatureAdoptionDay
from health.models import UsageRecord
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
