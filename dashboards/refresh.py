"""Refreshing the dashboard aggregates of one tenant: set-based, one transaction per kind, idempotent.

Each refresh takes a transaction-level advisory lock (tenant x kind, so two runs never interleave their
DELETE and INSERT), deletes its window, inserts it again with one ``INSERT ... SELECT ... GROUP BY`` and
records its freshness (``DashboardRefresh``): a constant number of queries whatever the number of accounts
or tickets, and a second run writes identical rows. Days are UTC days.

* :func:`refresh_support`: the last ``SUPPORT_WINDOW_DAYS`` days of ``SupportDay`` from the tickets, and the
  top accounts by tickets (``SupportTopAccount``).
* :func:`refresh_portfolio`: today's ``PortfolioDay`` rows from the accounts as they are now, and any day of
  the last ``PORTFOLIO_HISTORY_DAYS`` with no rows yet from the health snapshot history (each account's
  latest snapshot by the end of that day; an account counts on a past day when it had a snapshot by then
  and is active, or changed (e.g. churned) after that day). Past days, once written, are kept: the last
  refresh of a day leaves that day's figures as they were at its end.
* :func:`refresh_all`: both (the periodic task and the on-demand job).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime

from django.db import connection, transaction
from django.utils import timezone

from accounts.models import AccountStatus
from dashboards.histograms import BUCKETS, EDGES
from dashboards.models import RefreshKind
from tenancy.models import Tenant

SUPPORT_WINDOW_DAYS = 90
PORTFOLIO_HISTORY_DAYS = 90
_LOCK_NAMESPACE = 0x0DA5  # advisory lock key: (namespace << 32) + tenant * 8 + kind


@dataclass(frozen=True)
class RefreshResult:
    kind: str
    rows: int
    seconds: float

    def as_dict(self) -> dict:
        return {"kind": self.kind, "rows": self.rows, "seconds": round(self.seconds, 3)}


def _day_start(day: date) -> datetime:
    return datetime.combine(day, dtime.min, tzinfo=UTC)


def _lock(cursor, tenant: Tenant, kind: str) -> None:
    key = (_LOCK_NAMESPACE << 32) + tenant.pk * 8 + list(RefreshKind.values).index(kind)
    cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])


def _record(cursor, tenant: Tenant, kind: str, rows: int, started: float, now: datetime) -> RefreshResult:
    seconds = time.perf_counter() - started
    cursor.execute(
        """INSERT INTO dashboards_dashboardrefresh (tenant_id, kind, refreshed_at, seconds, rows)
           VALUES (%s, %s, %s, %s, %s)
           ON CONFLICT (tenant_id, kind) DO UPDATE
           SET refreshed_at = EXCLUDED.refreshed_at, seconds = EXCLUDED.seconds, rows = EXCLUDED.rows""",
        [tenant.pk, kind, now, seconds, rows],
    )
    return RefreshResult(kind=kind, rows=rows, seconds=seconds)


# --------------------------------------------------------------------------- support

def _hist_sql(event: str) -> str:
    cells = ", ".join(f"count(*) FILTER (WHERE e.what = '{event}' AND e.bucket = {i})" for i in range(BUCKETS))
    return f"ARRAY[{cells}]::integer[]"


_SUPPORT_INSERT = f"""
INSERT INTO dashboards_supportday (
    tenant_id, day, segment, severity, engineer_id, opened, resolved, escalated, response_met, response_breached,
    resolution_met, resolution_breached, response_hist, resolution_hist)
SELECT %(tenant)s, (e.at AT TIME ZONE 'UTC')::date, t.segment, t.severity, t.assignee_id,
    count(*) FILTER (WHERE e.what = 'opened'),
    count(*) FILTER (WHERE e.what = 'resolved'),
    count(*) FILTER (WHERE e.what = 'escalated'),
    count(*) FILTER (WHERE e.what = 'response_met'),
    count(*) FILTER (WHERE e.what = 'response_breached'),
    count(*) FILTER (WHERE e.what = 'resolution_met'),
    count(*) FILTER (WHERE e.what = 'resolution_breached'),
    {_hist_sql('responded')},
    {_hist_sql('resolved')}
FROM (
    SELECT a.segment, tk.severity, tk.assignee_id, tk.opened_at, tk.first_response_at, tk.resolved_at,
           tk.escalated_at, tk.response_state, tk.resolution_state, tk.response_due_at, tk.resolution_due_at
    FROM tickets_ticket tk JOIN accounts_account a ON a.id = tk.account_id AND a.tenant_id = %(tenant)s
    WHERE tk.tenant_id = %(tenant)s
      AND (tk.opened_at >= %(start)s OR tk.first_response_at >= %(start)s OR tk.resolved_at >= %(start)s
           OR tk.escalated_at >= %(start)s OR tk.response_due_at >= %(start)s OR tk.resolution_due_at >= %(start)s)
) t
CROSS JOIN LATERAL (
    SELECT v.at, v.what, width_bucket(GREATEST(v.minutes, 0), %(edges)s::float8[]) AS bucket
    FROM (VALUES
        (t.opened_at, 'opened', NULL::float8),
        (t.resolved_at, 'resolved', EXTRACT(EPOCH FROM t.resolved_at - t.opened_at)::float8 / 60),
        (t.escalated_at, 'escalated', NULL),
        (t.first_response_at, 'responded', EXTRACT(EPOCH FROM t.first_response_at - t.opened_at)::float8 / 60),
        (CASE WHEN t.response_state IN ('met', 'breached')
              THEN COALESCE(t.first_response_at, t.resolved_at, t.response_due_at, t.opened_at) END,
         'response_' || t.response_state, NULL),
        (CASE WHEN t.resolution_state IN ('met', 'breached')
              THEN COALESCE(t.resolved_at, t.resolution_due_at, t.opened_at) END,
         'resolution_' || t.resolution_state, NULL)
    ) AS v(at, what, minutes)
    WHERE v.at >= %(start)s AND v.at < %(end)s
) e
GROUP BY 2, 3, 4, 5
"""


TOP_PERIODS = (7, 30, 90)
TOP_ACCOUNTS = 10

_TOP_ACCOUNTS_INSERT = """
WITH counted AS (
    SELECT tk.account_id, a.segment,
           count(*) FILTER (WHERE tk.opened_at >= %(s7)s) AS n7,
           count(*) FILTER (WHERE tk.opened_at >= %(s30)s) AS n30,
           count(*) AS n90
    FROM tickets_ticket tk JOIN accounts_account a ON a.id = tk.account_id AND a.tenant_id = %(tenant)s
    WHERE tk.tenant_id = %(tenant)s AND tk.opened_at >= %(s90)s AND tk.opened_at < %(end)s
    GROUP BY 1, 2
), per_period AS (
    SELECT c.account_id, c.segment, p.days, CASE p.days WHEN 7 THEN c.n7 WHEN 30 THEN c.n30 ELSE c.n90 END AS n
    FROM counted c CROSS JOIN (VALUES (7), (30), (90)) AS p(days)
), ranked AS (
    SELECT days, '' AS segment, account_id, n,
           row_number() OVER (PARTITION BY days ORDER BY n DESC, account_id) AS rank
    FROM per_period WHERE n > 0
    UNION ALL
    SELECT days, segment, account_id, n,
           row_number() OVER (PARTITION BY days, segment ORDER BY n DESC, account_id)
    FROM per_period WHERE n > 0
)
INSERT INTO dashboards_supporttopaccount (tenant_id, period_days, segment, rank, account_id, tickets)
SELECT %(tenant)s, days, segment, rank, account_id, n FROM ranked WHERE rank <= %(top)s
"""


def refresh_support(*, tenant: Tenant, now: datetime | None = None, days: int = SUPPORT_WINDOW_DAYS) -> RefreshResult:
    """Rewrite the tenant's ``SupportDay`` rows of the last ``days`` days (today included)."""
    now = now or timezone.now()
    started = time.perf_counter()
    today = now.astimezone(UTC).date()
    first = today - timedelta(days=days - 1)
    params = {"tenant": tenant.pk, "start": _day_start(first), "end": _day_start(today + timedelta(days=1)),
              "edges": list(map(float, EDGES))}
    with transaction.atomic(), connection.cursor() as cursor:
        _lock(cursor, tenant, RefreshKind.SUPPORT)
        cursor.execute("DELETE FROM dashboards_supportday WHERE tenant_id = %s AND day >= %s", [tenant.pk, first])
        cursor.execute(_SUPPORT_INSERT, params)
        rows = cursor.rowcount
        cursor.execute("DELETE FROM dashboards_supporttopaccount WHERE tenant_id = %s", [tenant.pk])
        starts = {f"s{days}": _day_start(today - timedelta(days=days - 1)) for days in TOP_PERIODS}
        cursor.execute(_TOP_ACCOUNTS_INSERT, {**params, **starts, "top": TOP_ACCOUNTS})
        return _record(cursor, tenant, RefreshKind.SUPPORT, rows, started, now)


# --------------------------------------------------------------------------- portfolio

_PORTFOLIO_TODAY = """
INSERT INTO dashboards_portfolioday (tenant_id, day, segment, csm_id, band, accounts, arr, scored_accounts, score_sum)
SELECT %(tenant)s, %(today)s, a.segment, a.csm_id, COALESCE(a.health_status, ''), count(*), COALESCE(sum(a.arr), 0),
       count(a.health_score), COALESCE(sum(a.health_score), 0)
FROM accounts_account a
WHERE a.tenant_id = %(tenant)s AND a.status = %(active)s
GROUP BY 3, 4, 5
"""

_PORTFOLIO_HISTORY = """
WITH missing AS (
    SELECT d::date AS day FROM generate_series(%(first)s::date, %(last)s::date, interval '1 day') AS d
    WHERE NOT EXISTS (SELECT 1 FROM dashboards_portfolioday p WHERE p.tenant_id = %(tenant)s AND p.day = d::date)
)
INSERT INTO dashboards_portfolioday (tenant_id, day, segment, csm_id, band, accounts, arr, scored_accounts, score_sum)
SELECT %(tenant)s, m.day, a.segment, a.csm_id, COALESCE(s.status, ''), count(*), COALESCE(sum(a.arr), 0),
       count(s.score), COALESCE(sum(s.score), 0)
FROM missing m
JOIN accounts_account a ON a.tenant_id = %(tenant)s AND a.created_at < m.day + 1
     AND (a.status = %(active)s OR a.updated_at >= m.day + 1)
JOIN LATERAL (
    SELECT hs.status, hs.score FROM health_healthsnapshot hs
    WHERE hs.tenant_id = %(tenant)s AND hs.account_id = a.id AND hs.computed_at < m.day + 1
    ORDER BY hs.computed_at DESC LIMIT 1
) s ON true
GROUP BY 2, 3, 4, 5
"""


def refresh_portfolio(*, tenant: Tenant, now: datetime | None = None,
                      history_days: int = PORTFOLIO_HISTORY_DAYS) -> RefreshResult:
    """Rewrite today's ``PortfolioDay`` rows and fill the past days that have none from the snapshots."""
    now = now or timezone.now()
    started = time.perf_counter()
    today = now.astimezone(UTC).date()
    params = {"tenant": tenant.pk, "today": today, "active": AccountStatus.ACTIVE,
              "first": today - timedelta(days=history_days), "last": today - timedelta(days=1)}
    with transaction.atomic(), connection.cursor() as cursor:
        _lock(cursor, tenant, RefreshKind.PORTFOLIO)
        cursor.execute("SET LOCAL TIME ZONE 'UTC'")  # ``day + 1`` compares with timestamptz at UTC midnight
        cursor.execute("DELETE FROM dashboards_portfolioday WHERE tenant_id = %s AND day >= %s", [tenant.pk, today])
        cursor.execute(_PORTFOLIO_TODAY, params)
        rows = cursor.rowcount
        if history_days > 0:
            cursor.execute(_PORTFOLIO_HISTORY, params)
            rows += cursor.rowcount
        return _record(cursor, tenant, RefreshKind.PORTFOLIO, rows, started, now)


def refresh_all(*, tenant: Tenant, now: datetime | None = None) -> dict:
    """Both kinds, each in its own transaction: ``{"portfolio": {...}, "support": {...}}``."""
    now = now or timezone.now()
    return {
        RefreshKind.PORTFOLIO.value: refresh_portfolio(tenant=tenant, now=now).as_dict(),
        RefreshKind.SUPPORT.value: refresh_support(tenant=tenant, now=now).as_dict(),
    }
