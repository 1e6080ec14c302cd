"""Read queries of the support operations dashboard: a constant number of queries whatever the history.

* ``SupportFilters`` (segment, engineer: a user id or "none", period: 7 / 30 / 90 days) from the query string.
* :func:`support_dashboard`: SLA compliance by severity, segment, engineer and day, breaches this week,
  first-response and resolution distributions, escalations and flow, summed from the period's rollup
  (``SupportPeriod``) in one ``GROUPING SETS`` query, and the daily trend from ``SupportDay``; the top accounts from ``SupportTopAccount``; the open backlog by severity, age
  and support level from one bounded live query over the unresolved tickets (``ticket_open_counts_idx``);
  freshness from ``DashboardRefresh``. CSAT per engineer (and severity, segment): the answers to the surveys sent
  after a resolved ticket, under the ticket's assignee (answers that name no ticket, e.g. posted through the API,
  have no engineer and are not counted here).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from django.db import connection
from django.utils import timezone

from advocacy import nps
from dashboards import histograms
from dashboards.models import DashboardRefresh, RefreshKind, SupportTopAccount
from tenancy.context import get_current_tenant
from tickets.models import SEVERITY_CHOICES
from tickets.states import BREACHING_STATES, UNRESOLVED_STATUSES

PERIODS = (7, 30, 90)
DEFAULT_PERIOD = 30
AGE_BUCKETS = (("lt1", "Under 1 day", 1), ("1to3", "1-3 days", 3), ("3to7", "3-7 days", 7), ("gt7", "Over 7 days", None))
SEVERITY_LABELS = dict(SEVERITY_CHOICES)
_SUMS = ("opened", "resolved", "escalated", "response_met", "response_breached", "resolution_met",
         "resolution_breached", "csat_responses", "csat_total", "csat_satisfied")


@dataclass(frozen=True)
class SupportFilters:
    segment: str = ""
    engineer: str = ""  # a user id, "none" (unassigned) or "" (everyone)
    period: int = DEFAULT_PERIOD

    @classmethod
    def from_params(cls, params, *, segments: list[str]) -> SupportFilters:
        segment = (params.get("segment") or "").strip()
        engineer = (params.get("engineer") or "").strip()
        period = (params.get("period") or "").strip()
        return cls(
            segment=segment if segment in segments else "",
            engineer=engineer if engineer == "none" or (engineer.isdigit() and int(engineer) < 2**62) else "",
            period=int(period) if period.isdigit() and int(period) in PERIODS else DEFAULT_PERIOD,
        )

    def query(self, **changes) -> str:
        """The query string of these filters (with ``changes``), empty values left out."""
        from urllib.parse import urlencode

        values = {"segment": self.segment, "engineer": self.engineer, "period": self.period, **changes}
        return urlencode({k: v for k, v in values.items() if v not in ("", None)})


def percent(met: int, breached: int) -> float | None:
    total = met + breached
    return round(100 * met / total, 1) if total else None


@dataclass
class SlaFigures:
    """Summed ``SupportDay`` figures of one group (a severity, a segment, an engineer, a day or all)."""

    key: object = None
    label: str = ""
    opened: int = 0
    resolved: int = 0
    escalated: int = 0
    response_met: int = 0
    response_breached: int = 0
    resolution_met: int = 0
    resolution_breached: int = 0
    csat_responses: int = 0  # CSAT answers about the group's tickets in the period
    csat_total: int = 0  # the sum of their 1-5 scores
    csat_satisfied: int = 0  # 4s and 5s
    week_response_breached: int = 0  # this week's (Monday to the period's last day, UTC) breaches, per target
    week_resolution_breached: int = 0
    response_hist: list[int] = field(default_factory=lambda: [0] * histograms.BUCKETS)
    resolution_hist: list[int] = field(default_factory=lambda: [0] * histograms.BUCKETS)

    @property
    def response_percent(self) -> float | None:
        return percent(self.response_met, self.response_breached)

    @property
    def resolution_percent(self) -> float | None:
        return percent(self.resolution_met, self.resolution_breached)

    @property
    def csat_average(self) -> Decimal | None:
        """API.md's CSAT average: two decimals, None without answers."""
        return nps.csat_average(nps.CsatCounts(self.csat_responses, self.csat_total, self.csat_satisfied))

    @property
    def csat_satisfied_percent(self) -> Decimal | None:
        """API.md's CSAT "satisfied": the share of 4s and 5s in percent, one decimal."""
        return nps.percent(self.csat_satisfied, self.csat_responses)

    @property
    def week_breaches(self) -> int:
        return self.week_response_breached + self.week_resolution_breached

    @property
    def breached(self) -> int:
        return self.response_breached + self.resolution_breached

    @property
    def response_median(self) -> float | None:
        return histograms.quantile(self.response_hist, 0.5)

    @property
    def response_p90(self) -> float | None:
        return histograms.quantile(self.response_hist, 0.9)

    @property
    def resolution_median(self) -> float | None:
        return histograms.quantile(self.resolution_hist, 0.5)

    @property
    def resolution_p90(self) -> float | None:
        return histograms.quantile(self.resolution_hist, 0.9)


def _bucket_sums(column: str) -> str:
    return ", ".join(f"COALESCE(sum({column}[{i + 1}]), 0)" for i in range(histograms.BUCKETS))


# The breakdowns: the period's rollup rows (a few hundred), summed per severity, segment, engineer and in all.
_GROUPED = f"""
SELECT GROUPING(severity) AS g_sev, GROUPING(segment) AS g_seg, GROUPING(engineer_id) AS g_eng,
       severity, segment, engineer_id, max(end_day),
       {", ".join(f"COALESCE(sum({name}), 0)" for name in _SUMS)},
       {_bucket_sums("response_hist")}, {_bucket_sums("resolution_hist")}
FROM dashboards_supportperiod
WHERE tenant_id = %(tenant)s AND period_days = %(period)s {{where}}
GROUP BY GROUPING SETS ((severity), (segment), (engineer_id), ())
"""

# The daily trend and this week's breaches: four sums per day over the period's day rows.
_DAILY = """
SELECT day, COALESCE(sum(response_met), 0), COALESCE(sum(response_breached), 0), COALESCE(sum(resolution_met), 0),
       COALESCE(sum(resolution_breached), 0)
FROM dashboards_supportday
WHERE tenant_id = %(tenant)s AND day >= %(start)s AND day <= %(today)s {where}
GROUP BY day
"""


def _where(filters: SupportFilters, params: dict, *, engineer_column: str, segment_column: str) -> str:
    clauses = []
    if filters.segment:
        clauses.append(f"AND {segment_column} = %(segment)s")
        params["segment"] = filters.segment
    if filters.engineer == "none":
        clauses.append(f"AND {engineer_column} IS NULL")
    elif filters.engineer:
        clauses.append(f"AND {engineer_column} = %(engineer)s")
        params["engineer"] = int(filters.engineer)
    return " ".join(clauses)


def _figures(row: tuple, *, key, label: str) -> SlaFigures:
    values = row[7:]
    n, buckets = len(_SUMS), histograms.BUCKETS
    figures = SlaFigures(key=key, label=label, **dict(zip(_SUMS, values[:n], strict=True)))
    figures.response_hist = [int(v) for v in values[n:n + buckets]]
    figures.resolution_hist = [int(v) for v in values[n + buckets:]]
    return figures


def sla_breakdown(*, filters: SupportFilters, today: date, engineers: dict[int, str]) -> dict:
    """``{"total", "by_severity", "by_segment", "by_engineer", "by_day", "days", "end_day"}``: ``SlaFigures`` of the
    period (as of its last refresh, ``end_day``) and the per-day trend (two queries)."""
    params = {"tenant": get_current_tenant().pk, "period": filters.period}
    where = _where(filters, params, engineer_column="engineer_id", segment_column="segment")
    out = {"total": SlaFigures(label="All"), "by_severity": [], "by_segment": [], "by_engineer": [], "by_day": {}}
    segment_names = get_current_tenant().segment_labels()
    end_day = today
    with connection.cursor() as cursor:
        cursor.execute(_GROUPED.format(where=where), params)
        for row in cursor.fetchall():
            g_sev, g_seg, g_eng, severity, segment, engineer = row[:6]
            end_day = row[6] or end_day
            if not g_sev:
                label = SEVERITY_LABELS.get(severity, f"Sev{severity}")
                out["by_severity"].append(_figures(row, key=severity, label=label))
            elif not g_seg:
                out["by_segment"].append(_figures(row, key=segment, label=segment_names.get(segment, segment or "—")))
            elif not g_eng:
                label = engineers.get(engineer, f"User #{engineer}") if engineer else "Unassigned"
                out["by_engineer"].append(_figures(row, key=engineer or "none", label=label))
            else:
                out["total"] = _figures(row, key=None, label="All")
        start = end_day - timedelta(days=filters.period - 1)
        cursor.execute(_DAILY.format(where=where), {**params, "start": start, "today": end_day})
        week = end_day - timedelta(days=end_day.weekday())
        for day, response_met, response_breached, resolution_met, resolution_breached in cursor.fetchall():
            out["by_day"][day] = SlaFigures(key=day, label=f"{day:%Y-%m-%d}", response_met=response_met,
                                            response_breached=response_breached, resolution_met=resolution_met,
                                            resolution_breached=resolution_breached)
            if day >= week:
                out["total"].week_response_breached += response_breached
                out["total"].week_resolution_breached += resolution_breached
    out["by_severity"].sort(key=lambda f: f.key)
    out["by_segment"].sort(key=lambda f: f.key)
    out["by_engineer"].sort(key=lambda f: (f.key == "none", f.label))
    out["days"] = [start + timedelta(days=i) for i in range(filters.period)]
    out["end_day"] = end_day
    out["week_start"] = week
    return out


_BACKLOG = f"""
SELECT t.severity,
       CASE WHEN t.opened_at > %(now)s - interval '1 day' THEN 'lt1'
            WHEN t.opened_at > %(now)s - interval '3 days' THEN '1to3'
            WHEN t.opened_at > %(now)s - interval '7 days' THEN '3to7' ELSE 'gt7' END AS age,
       t.support_level, count(*), count(*) FILTER (WHERE t.sla_state IN ({", ".join(f"'{s}'" for s in BREACHING_STATES)}))
FROM tickets_ticket t {{join}}
WHERE t.tenant_id = %(tenant)s AND t.status IN ({", ".join(f"'{s}'" for s in UNRESOLVED_STATUSES)}) {{where}}
GROUP BY 1, 2, 3
"""


def open_backlog(*, filters: SupportFilters, now: datetime) -> dict:
    """Unresolved tickets by severity x age (and breaching, and escalated: support level 2+): one query."""
    params = {"tenant": get_current_tenant().pk, "now": now}
    join = "JOIN accounts_account a ON a.id = t.account_id AND a.tenant_id = %(tenant)s" if filters.segment else ""
    sql = _BACKLOG.format(join=join, where=_where(filters, params, engineer_column="t.assignee_id",
                                                  segment_column="a.segment"))
    grid = {sev: {key: 0 for key, _, _ in AGE_BUCKETS} for sev, _ in SEVERITY_CHOICES}
    breaching = dict.fromkeys(grid, 0)
    levels = {2: 0, 3: 0}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for severity, age, level, count, breaching_count in cursor.fetchall():
            grid.setdefault(severity, {key: 0 for key, _, _ in AGE_BUCKETS})[age] += count
            breaching[severity] = breaching.get(severity, 0) + breaching_count
            if level in levels:
                levels[level] += count
    rows = [{"severity": sev, "label": SEVERITY_LABELS.get(sev, f"Sev{sev}"), "ages": [grid[sev][k] for k, _, _ in AGE_BUCKETS],
             "total": sum(grid[sev].values()), "breaching": breaching.get(sev, 0)} for sev in sorted(grid)]
    return {"rows": rows, "total": sum(r["total"] for r in rows), "breaching": sum(breaching.values()),
            "escalated_open": levels, "ages": [label for _, label, _ in AGE_BUCKETS],
            "age_keys": [key for key, _, _ in AGE_BUCKETS]}


def top_accounts(*, filters: SupportFilters) -> list[SupportTopAccount]:
    """The ten accounts with the most tickets opened in the period (within the segment filter): one query."""
    return list(SupportTopAccount.objects.filter(period_days=filters.period, segment=filters.segment)
                .select_related("account").order_by("rank")[:10])


def freshness(kind: str = RefreshKind.SUPPORT) -> DashboardRefresh | None:
    return DashboardRefresh.objects.filter(kind=kind).first()


def support_dashboard(*, filters: SupportFilters, engineers: dict[int, str], now: datetime | None = None) -> dict:
    """Everything the support operations page shows (five queries)."""
    now = now or timezone.now()
    today = now.astimezone(UTC).date()
    return {
        "sla": sla_breakdown(filters=filters, today=today, engineers=engineers),
        "backlog": open_backlog(filters=filters, now=now),
        "top_accounts": top_accounts(filters=filters),
        "refreshed": freshness(),
        "today": today,
    }
