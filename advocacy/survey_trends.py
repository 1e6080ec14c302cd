"""The survey report: NPS and CSAT by month (one query for both), broken down by segment, tier and CSM
(one query each), and the geometry of the inline SVG trend charts (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db import connection

from accounts.models import Account
from advocacy import nps as math
from advocacy.models import SurveyResponse
from advocacy.survey_selectors import Window
from tenancy.context import get_current_tenant
from tenancy.models import User

_COUNTS = f"""
       COUNT(*) FILTER (WHERE r.kind = 'nps') AS nps_n,
       COUNT(*) FILTER (WHERE r.kind = 'nps' AND r.score >= {math.PROMOTER_MIN}) AS promoters,
       COUNT(*) FILTER (WHERE r.kind = 'nps' AND r.score >= {math.PASSIVE_MIN} AND r.score < {math.PROMOTER_MIN}) AS passives,
       COUNT(*) FILTER (WHERE r.kind = 'nps' AND r.score < {math.PASSIVE_MIN}) AS detractors,
       COUNT(*) FILTER (WHERE r.kind = 'csat') AS csat_n,
       COALESCE(SUM(r.score) FILTER (WHERE r.kind = 'csat'), 0) AS csat_total,
       COUNT(*) FILTER (WHERE r.kind = 'csat' AND r.score >= {math.CSAT_SATISFIED_MIN}) AS csat_satisfied
"""


@dataclass(frozen=True)
class Row:
    label: str
    nps: dict
    csat: dict


def _row(label: str, values) -> Row:
    nps_n, promoters, passives, detractors, csat_n, csat_total, satisfied = values
    return Row(
        label=label,
        nps=math.nps_result(math.NpsCounts(nps_n, promoters, passives, detractors)),
        csat=math.csat_result(math.CsatCounts(csat_n, csat_total, satisfied)),
    )


def _months(end: date, count: int) -> list[date]:
    first = date(end.year, end.month, 1)
    months = []
    for _ in range(count):
        months.append(first)
        first = date(first.year - (first.month == 1), (first.month - 2) % 12 + 1, 1)
    return months[::-1]


def monthly(*, end: date, months: int = 12, segment: str | None = None) -> list[Row]:
    """One row per month (oldest first) up to ``end``'s month, in the tenant's time zone. One query."""
    tenant = get_current_tenant()
    starts = _months(end, months)
    window = Window(start=starts[0], end=end)
    since, until = window.bounds(tenant.tzinfo)
    segment_sql = "AND a.segment = %(segment)s" if segment else ""
    sql = f"""
        SELECT date_trunc('month', r.responded_at AT TIME ZONE %(tz)s)::date AS month, {_COUNTS}
        FROM {SurveyResponse._meta.db_table} r JOIN {Account._meta.db_table} a ON a.id = r.account_id
        WHERE r.tenant_id = %(tenant)s AND r.responded_at >= %(since)s AND r.responded_at < %(until)s {segment_sql}
        GROUP BY 1
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, {"tz": tenant.timezone, "tenant": tenant.pk, "since": since, "until": until,
                             "segment": segment})
        found = {row[0]: row[1:] for row in cursor.fetchall()}
    return [_row(f"{m:%b %Y}", found.get(m, (0, 0, 0, 0, 0, 0, 0))) for m in starts]


_DIMENSIONS = {"segment": "a.segment", "tier": "a.tier", "csm": "a.csm_id"}


def breakdown(*, window: Window, by: str) -> list[Row]:
    """The window's NPS and CSAT per segment, tier or CSM (one query; a CSM's name is one more)."""
    tenant = get_current_tenant()
    since, until = window.bounds(tenant.tzinfo)
    column = _DIMENSIONS[by]
    sql = f"""
        SELECT {column} AS key, {_COUNTS}
        FROM {SurveyResponse._meta.db_table} r JOIN {Account._meta.db_table} a ON a.id = r.account_id
        WHERE r.tenant_id = %(tenant)s AND r.responded_at >= %(since)s AND r.responded_at < %(until)s
        GROUP BY 1 ORDER BY 1 NULLS LAST
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, {"tenant": tenant.pk, "since": since, "until": until})
        rows = cursor.fetchall()
    names = {}
    if by == "csm":
        ids = [row[0] for row in rows if row[0] is not None]
        names = {u.pk: str(u) for u in User.objects.filter(pk__in=ids)} if ids else {}
    segment_names = tenant.segment_labels()
    labels = {"segment": lambda k: segment_names.get(k, k) if k else "(none)", "tier": lambda k: k or "(no tier)",
              "csm": lambda k: names.get(k, "(no CSM)") if k is not None else "(no CSM)"}[by]
    return [_row(labels(row[0]), row[1:]) for row in rows]


# --- chart geometry (pure) -------------------------------------------------------------------------------

WIDTH, HEIGHT, LEFT, RIGHT, TOP, BOTTOM = 640, 220, 44, 12, 12, 28


@dataclass(frozen=True)
class Chart:
    points: list[dict]  # {"x", "y", "label", "value"} for the months with data
    polyline: str
    gridlines: list[dict]  # {"y", "label"}
    xlabels: list[dict]  # {"x", "label"}
    width: int = WIDTH
    height: int = HEIGHT


def chart(values: list[tuple[str, float | None]], *, low: float, high: float, ticks: list[float]) -> Chart:
    """Positions of a line chart of ``values`` (label, value or None) on a ``low``..``high`` scale."""
    n = max(len(values), 1)
    step = (WIDTH - LEFT - RIGHT) / max(n - 1, 1)

    def y(value: float) -> float:
        return round(TOP + (high - float(value)) / (high - low) * (HEIGHT - TOP - BOTTOM), 1)

    points = [
        {"x": round(LEFT + i * step, 1), "y": y(value), "label": label, "value": value}
        for i, (label, value) in enumerate(values) if value is not None
    ]
    return Chart(
        points=points,
        polyline=" ".join(f"{p['x']},{p['y']}" for p in points),
        gridlines=[{"y": y(t), "label": f"{t:g}"} for t in ticks],
        xlabels=[{"x": round(LEFT + i * step, 1), "label": label[:3]} for i, (label, _) in enumerate(values)],
    )
