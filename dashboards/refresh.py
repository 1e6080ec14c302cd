"""Refreshing the dashboard aggregates of one tenant: set-based, one transaction per kind, idempotent.

Each refresh takes a transaction-level advisory lock (tenant x kind, so two runs never interleave their
DELETE and INSERT), deletes its window and inserts it again with ``INSERT ... SELECT ... GROUP BY`` (the support
days by difference: only the rows whose figures changed), and
records its freshness (``DashboardRefresh``): a constant number of queries whatever the number of accounts
or tickets, and a second run writes identical rows. Days are UTC days.

* :func:`refresh_support`: the last ``SUPPORT_WINDOW_DAYS`` days of ``SupportDay`` from the tickets (and the
  CSAT answers about them), their
  7/30/90-day rollups (``SupportPeriod``) and the top accounts by tickets (``SupportTopAccount``).
* :func:`refresh_portfolio`: today's ``PortfolioDay`` rows from the accounts as they are now, and any day of
  the last ``PORTFOLIO_HISTORY_DAYS`` with no rows yet (``PORTFOLIO_BACKFILL_DAYS`` per run, the most recent
  first, so a tenant's first refreshes stay bounded too) from the health snapshot history (each account's
  latest snapshot by the end of that day; an account counts on a past day when it had a snapshot by then
  and is active, or changed (e.g. churned) after that day). Past days, once written, are kept: the last
  refresh of a day leaves that day's figures as they were at its end.
* :func:`refresh_all`: both, and the retention (``renewals.retention_refresh``), for the periodic task and the
  on-demand job; the support window in full once a day (and on demand), else its last ``SUPPORT_RECENT_DAYS``
  days (a full run also rewrites the score validation's observations, ``dashboards.validation_refresh``); a
  tenant's first-ever run leaves the portfolio history and the observations to the runs after it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime

from django.db import connection, transaction
from django.utils import timezone

from accounts.models import AccountStatus
from advocacy.nps import CSAT_SATISFIED_MIN
from dashboards.histograms import BUCKETS, EDGES
from dashboards.models import DashboardRefresh, RefreshKind
from dashboards.validation_refresh import observations_due, refresh_observations
from renewals.retention_refresh import refresh_retention
from tenancy.models import Tenant

SUPPORT_WINDOW_DAYS = 90
SUPPORT_RECENT_DAYS = 2  # what the 5-minute refresh rewrites (yesterday and today) once the day's full run is done
PORTFOLIO_HISTORY_DAYS = 90
# Missing past days filled per run (most recent first): every run stays bounded, the first-ever one included;
# the 5-minute runs complete the 90 days within the hour.
PORTFOLIO_BACKFILL_DAYS = 7
RETENTION = "retention"  # refresh_all's key for the retention rows (recorded by renewals, not DashboardRefresh)
VALIDATION = RefreshKind.VALIDATION.value  # the score validation's observations (full runs: daily, on demand)
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
    cells = ", ".join(f"COALESCE(sum(n) FILTER (WHERE what = '{event}' AND bucket = {i}), 0)" for i in range(BUCKETS))
    return f"ARRAY[{cells}]::integer[]"


def _sum(event: str) -> str:
    return f"COALESCE(sum(n) FILTER (WHERE what = '{event}'), 0)"


_COLUMNS = ("tenant_id, day, segment, severity, engineer_id, opened, resolved, escalated, response_met, "
            "response_breached, resolution_met, resolution_breached, response_hist, resolution_hist, "
            "csat_responses, csat_total, csat_satisfied")
# A window row that is already there with the same figures is left alone (no dead row for autovacuum).
_SAME = " AND ".join(
    # engineer_id may be NULL: compared through COALESCE, so the anti-joins stay hash joins
    f"COALESCE(f.{column}, 0) = COALESCE(s.{column}, 0)" if column == "engineer_id" else f"f.{column} = s.{column}"
    for column in _COLUMNS.replace(" ", "").split(",") if column != "tenant_id"
)

# Each ticket in the window becomes up to six dated events (opened, resolved, escalated, responded, the response
# and the resolution outcome), counted first per day x segment x severity x engineer x event x bucket (a cheap
# GROUP BY with one count), then pivoted into one row per day x segment x severity x engineer (``fresh``). The
# window's rows are then brought to ``fresh`` by difference: rows no longer true are deleted, new ones inserted
# (one statement: both see the table as it was), so a refresh that changes nothing writes nothing.
_SUPPORT_SYNC = f"""
WITH events AS (
    SELECT (e.at AT TIME ZONE 'UTC')::date AS day, t.segment, t.severity, t.assignee_id, e.what, e.bucket,
           count(*) AS n
    FROM (
        SELECT a.segment, tk.severity, tk.assignee_id, tk.opened_at, tk.first_response_at, tk.resolved_at,
               tk.escalated_at, tk.response_state, tk.resolution_state, tk.response_due_at, tk.resolution_due_at
        FROM tickets_ticket tk JOIN accounts_account a ON a.id = tk.account_id AND a.tenant_id = %(tenant)s
        WHERE tk.tenant_id = %(tenant)s
          AND (tk.opened_at >= %(start)s OR tk.first_response_at >= %(start)s OR tk.resolved_at >= %(start)s
               OR tk.escalated_at >= %(start)s OR tk.response_due_at >= %(start)s
               OR tk.resolution_due_at >= %(start)s)
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
    GROUP BY 1, 2, 3, 4, 5, 6
    UNION ALL
    -- CSAT answers about a ticket (a ``csat_ticket`` send, occasion "ticket:<id>"), dated by their answer, under
    -- the ticket's segment, severity and assignee; the 1-5 score rides in ``bucket``.
    SELECT (r.responded_at AT TIME ZONE 'UTC')::date, a.segment, tk.severity, tk.assignee_id, 'csat', r.score,
           count(*)
    FROM advocacy_surveyresponse r
    JOIN advocacy_surveysend ss ON ss.response_id = r.id AND ss.tenant_id = %(tenant)s AND ss.purpose = 'csat_ticket'
         AND ss.occasion ~ '^ticket:[0-9]{{1,18}}$'
    JOIN tickets_ticket tk ON tk.tenant_id = %(tenant)s AND tk.id = substr(ss.occasion, 8)::bigint
    JOIN accounts_account a ON a.id = tk.account_id AND a.tenant_id = %(tenant)s
    WHERE r.tenant_id = %(tenant)s AND r.kind = 'csat' AND r.responded_at >= %(start)s AND r.responded_at < %(end)s
    GROUP BY 1, 2, 3, 4, 5, 6
)
, fresh AS MATERIALIZED (
    SELECT %(tenant)s::bigint AS tenant_id, day, segment, severity, assignee_id AS engineer_id,
        {_sum('opened')} AS opened, {_sum('resolved')} AS resolved, {_sum('escalated')} AS escalated,
        {_sum('response_met')} AS response_met, {_sum('response_breached')} AS response_breached,
        {_sum('resolution_met')} AS resolution_met, {_sum('resolution_breached')} AS resolution_breached,
        {_hist_sql('responded')} AS response_hist, {_hist_sql('resolved')} AS resolution_hist,
        {_sum('csat')} AS csat_responses, COALESCE(sum(n * bucket) FILTER (WHERE what = 'csat'), 0) AS csat_total,
        COALESCE(sum(n) FILTER (WHERE what = 'csat' AND bucket >= {CSAT_SATISFIED_MIN}), 0) AS csat_satisfied
    FROM events
    GROUP BY 2, 3, 4, 5
), removed AS (
    DELETE FROM dashboards_supportday s
    WHERE s.tenant_id = %(tenant)s AND s.day >= %(first)s AND NOT EXISTS (SELECT 1 FROM fresh f WHERE {_SAME})
    RETURNING 1
), added AS (
    INSERT INTO dashboards_supportday ({_COLUMNS})
    SELECT {_COLUMNS} FROM fresh f
    WHERE NOT EXISTS (SELECT 1 FROM dashboards_supportday s WHERE s.tenant_id = %(tenant)s AND s.day >= %(first)s
                      AND {_SAME})
    RETURNING 1
)
SELECT (SELECT count(*) FROM fresh), (SELECT count(*) FROM removed), (SELECT count(*) FROM added)
"""


TOP_PERIODS = (7, 30, 90)
_COUNTS = ("opened", "resolved", "escalated", "response_met", "response_breached", "resolution_met",
           "resolution_breached", "csat_responses", "csat_total", "csat_satisfied")


def _array_sum(column: str) -> str:
    return "ARRAY[" + ", ".join(f"sum({column}[{i + 1}])" for i in range(BUCKETS)) + "]::integer[]"


# The period rollups, from the day rows just written (same transaction).
_PERIODS_INSERT = f"""
INSERT INTO dashboards_supportperiod (tenant_id, period_days, end_day, segment, severity, engineer_id,
    {", ".join(_COUNTS)}, response_hist, resolution_hist)
SELECT %(tenant)s, p.days, %(today)s, s.segment, s.severity, s.engineer_id,
       {", ".join(f"sum(s.{name})" for name in _COUNTS)}, {_array_sum("s.response_hist")}, {_array_sum("s.resolution_hist")}
FROM dashboards_supportday s JOIN (VALUES (7), (30), (90)) AS p(days) ON s.day > %(today)s - p.days
WHERE s.tenant_id = %(tenant)s AND s.day <= %(today)s
GROUP BY 2, 4, 5, 6
"""
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
    """Bring the tenant's ``SupportDay`` rows of the last ``days`` days (today included) up to date; a run over
    the whole window is also recorded as ``support_full``."""
    now = now or timezone.now()
    started = time.perf_counter()
    today = now.astimezone(UTC).date()
    first = today - timedelta(days=days - 1)
    params = {"tenant": tenant.pk, "start": _day_start(first), "end": _day_start(today + timedelta(days=1)),
              "edges": list(map(float, EDGES))}
    with transaction.atomic(), connection.cursor() as cursor:
        _lock(cursor, tenant, RefreshKind.SUPPORT)
        # The event aggregation hashes and sorts in memory; no JIT (compiling costs more than it saves here).
        cursor.execute("SET LOCAL work_mem = '64MB'; SET LOCAL jit = off")
        cursor.execute(_SUPPORT_SYNC, {**params, "first": first})
        rows, _removed, _added = cursor.fetchone()
        cursor.execute("DELETE FROM dashboards_supportperiod WHERE tenant_id = %s", [tenant.pk])
        cursor.execute(_PERIODS_INSERT, {"tenant": tenant.pk, "today": today})
        cursor.execute("DELETE FROM dashboards_supporttopaccount WHERE tenant_id = %s", [tenant.pk])
        starts = {f"s{days}": _day_start(today - timedelta(days=days - 1)) for days in TOP_PERIODS}
        cursor.execute(_TOP_ACCOUNTS_INSERT, {**params, **starts, "top": TOP_ACCOUNTS})
        if days >= SUPPORT_WINDOW_DAYS:
            _record(cursor, tenant, RefreshKind.SUPPORT_FULL, rows, started, now)
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

# Past days with no rows yet: each account's band on a day is its latest snapshot by the end of that day. Read
# as spans (one index probe per account for the band held before the first missing day, then the last snapshot
# of each day in the range, each valid until the account's next one), expanded over the missing days only.
# Both reads go through the account's index (tenant, account, computed_at): the cost follows the accounts and
# days asked for, never the size of the history or its physical order.
_PORTFOLIO_HISTORY = """
WITH missing AS (
    SELECT d::date AS day FROM generate_series(%(first)s::date, %(last)s::date, interval '1 day') AS d
    WHERE NOT EXISTS (SELECT 1 FROM dashboards_portfolioday p WHERE p.tenant_id = %(tenant)s AND p.day = d::date)
    ORDER BY 1 DESC LIMIT %(backfill)s
), bounds AS (
    SELECT min(day) AS first, max(day) AS last FROM missing
), seed AS (
    SELECT a.id AS account_id, b.first - 1 AS day, s.status, s.score
    FROM bounds b JOIN accounts_account a ON a.tenant_id = %(tenant)s AND b.first IS NOT NULL
    JOIN LATERAL (
        SELECT hs.status, hs.score FROM health_healthsnapshot hs
        WHERE hs.tenant_id = %(tenant)s AND hs.account_id = a.id AND hs.computed_at < b.first
        ORDER BY hs.computed_at DESC LIMIT 1
    ) s ON true
), daily AS (
    SELECT DISTINCT ON (s.account_id, s.day) s.account_id, s.day, s.status, s.score
    FROM bounds b JOIN accounts_account a ON a.tenant_id = %(tenant)s AND b.first IS NOT NULL
    CROSS JOIN LATERAL (
        SELECT hs.account_id, (hs.computed_at AT TIME ZONE 'UTC')::date AS day, hs.status, hs.score, hs.computed_at
        FROM health_healthsnapshot hs
        WHERE hs.tenant_id = %(tenant)s AND hs.account_id = a.id AND hs.computed_at >= b.first
          AND hs.computed_at < b.last + 1
        OFFSET 0  -- kept apart (not flattened into a join): one range scan of snapshot_account_cover_idx per account
    ) s
    ORDER BY s.account_id, s.day, s.computed_at DESC
), spans AS (
    SELECT x.account_id, x.day AS valid_from, x.status, x.score,
           COALESCE(lead(x.day) OVER (PARTITION BY x.account_id ORDER BY x.day) - 1, b.last) AS valid_to
    FROM (SELECT * FROM seed UNION ALL SELECT * FROM daily) x, bounds b
), expanded AS MATERIALIZED (
    SELECT sp.account_id, d::date AS day, sp.status, sp.score
    FROM spans sp CROSS JOIN bounds b
    CROSS JOIN LATERAL generate_series(GREATEST(sp.valid_from, b.first), sp.valid_to, interval '1 day') AS d
)
INSERT INTO dashboards_portfolioday (tenant_id, day, segment, csm_id, band, accounts, arr, scored_accounts, score_sum)
SELECT %(tenant)s, m.day, a.segment, a.csm_id, COALESCE(e.status, ''), count(*), COALESCE(sum(a.arr), 0),
       count(e.score), COALESCE(sum(e.score), 0)
FROM expanded e
JOIN missing m ON m.day = e.day
JOIN accounts_account a ON a.id = e.account_id AND a.tenant_id = %(tenant)s AND a.created_at < m.day + 1
     AND (a.status = %(active)s OR a.updated_at >= m.day + 1)
GROUP BY 2, 3, 4, 5
"""


def refresh_portfolio(*, tenant: Tenant, now: datetime | None = None, history_days: int = PORTFOLIO_HISTORY_DAYS,
                      backfill_days: int = PORTFOLIO_BACKFILL_DAYS) -> RefreshResult:
    """Rewrite today's ``PortfolioDay`` rows and fill up to ``backfill_days`` of the past days (of the last
    ``history_days``) that have none, most recent first, from the snapshots."""
    now = now or timezone.now()
    started = time.perf_counter()
    today = now.astimezone(UTC).date()
    params = {"tenant": tenant.pk, "today": today, "active": AccountStatus.ACTIVE,
              "first": today - timedelta(days=history_days), "last": today - timedelta(days=1),
              "backfill": backfill_days}
    with transaction.atomic(), connection.cursor() as cursor:
        _lock(cursor, tenant, RefreshKind.PORTFOLIO)
        # ``day + 1`` compares with timestamptz at UTC midnight; the history's sorts stay in memory; no JIT.
        cursor.execute("SET LOCAL TIME ZONE 'UTC'; SET LOCAL work_mem = '64MB'; SET LOCAL jit = off")
        cursor.execute("DELETE FROM dashboards_portfolioday WHERE tenant_id = %s AND day >= %s", [tenant.pk, today])
        cursor.execute(_PORTFOLIO_TODAY, params)
        rows = cursor.rowcount
        if history_days > 0:
            cursor.execute(_PORTFOLIO_HISTORY, params)
            rows += cursor.rowcount
        return _record(cursor, tenant, RefreshKind.PORTFOLIO, rows, started, now)


def support_full_due(*, tenant: Tenant, now: datetime) -> bool:
    """Whether the tenant's support days have not been refreshed over the whole window today (UTC)."""
    today = _day_start(now.astimezone(UTC).date())
    return not DashboardRefresh.all_tenants.filter(tenant=tenant, kind=RefreshKind.SUPPORT_FULL,
                                                   refreshed_at__gte=today).exists()


def refresh_all(*, tenant: Tenant, now: datetime | None = None, full: bool | None = None) -> dict:
    """Both kinds and the tenant's retention (``renewals.retention_refresh``, its own record), each in its own
    transaction: ``{"portfolio": {...}, "support": {...}, "retention": {...}}``.

    Support events are dated by when they happened, so past days rarely move (a reassignment, a segment change,
    a reopened ticket): the first run of each UTC day (or ``full=True``: the on-demand refresh) rewrites the
    whole window, the others only the last ``SUPPORT_RECENT_DAYS`` days."""
    now = now or timezone.now()
    if full is None:
        full = support_full_due(tenant=tenant, now=now)
    days = SUPPORT_WINDOW_DAYS if full else SUPPORT_RECENT_DAYS
    # The tenant's first refresh puts today's figures up (the pages read those) and leaves the portfolio's past
    # days to the next runs, PORTFOLIO_BACKFILL_DAYS each: the first run stays as bounded as the others.
    first_ever = not DashboardRefresh.all_tenants.filter(tenant=tenant, kind=RefreshKind.PORTFOLIO).exists()
    backfill = 0 if first_ever else PORTFOLIO_BACKFILL_DAYS
    # The score validation's observations likewise: each full run, and the run after the first if none was full.
    observations = not first_ever and (full or observations_due(tenant=tenant))
    return {
        RefreshKind.PORTFOLIO.value: refresh_portfolio(tenant=tenant, now=now, backfill_days=backfill).as_dict()
        | {"backfill_days": backfill},
        RefreshKind.SUPPORT.value: refresh_support(tenant=tenant, now=now, days=days).as_dict() | {"days": days},
        RETENTION: refresh_retention(tenant=tenant, now=now).as_dict(),
    } | ({VALIDATION: refresh_observations(tenant=tenant, now=now)} if observations else {})
