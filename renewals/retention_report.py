"""Reads behind the retention report page and its CSV export (a VP's page): for one window ``start <
date <= end`` (the rules of ``renewals.retention``), the trailing-twelve-month trend to its end, the
window's retention, the ledger's movements by month, the churn reasons of the renewals lost in it, and
the retention split by segment. A constant number of queries whatever the number of accounts or
movements: each part is one set-based statement.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db import connection
from django.db.models import Case, DateField, Sum, Value, When
from django.db.models.functions import Cast, TruncMonth

from accounts.segments import sorted_thresholds
from renewals import ledger_selectors, renewal_selectors, retention, retention_figures
from renewals.models import ArrMovement, MovementKind, RenewalOutcome
from renewals.models.ledger import INCREASING
from tenancy.context import get_current_tenant

ZERO = Decimal("0")
TREND_MONTHS = 12
MAX_WINDOW_MONTHS = retention.MAX_MONTHS
MOVEMENT_KINDS = ("new", "expansion", "contraction", "churn", "reactivation")
NO_REASON = "No reason given"


def default_window(today: date) -> tuple[date, date]:
    """The trailing twelve months: from the last day of the month a year ago to today (the trend's last
    point, so the summary and the chart's latest value agree)."""
    window = retention.trailing_windows(today=today, months=1)[0]
    return window.start, window.end


def window_months(start: date, end: date) -> list[date]:
    """The first day of each calendar month holding a day of the window (``start`` excluded)."""
    if start >= end:
        return []
    first = (start + timedelta(days=1)).replace(day=1)
    months, index = [], retention.month_index(first)
    while index <= retention.month_index(end):
        months.append(date(index // 12, index % 12 + 1, 1))
        index += 1
    return months


# --- the trend ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrendPoint:
    month: str
    start: date
    end: date
    result: retention.Retention


def trend(*, end: date, months: int = TREND_MONTHS) -> list[TrendPoint]:
    """Trailing-twelve-month NRR/GRR at each of the ``months`` month ends up to ``end`` (one statement)."""
    return [
        TrendPoint(month=w.month, start=w.start, end=w.end, result=retention.retention(totals))
        for w, totals in ledger_selectors.retention_trend(today=end, months=months)
    ]


# --- movements by month ------------------------------------------------------------------------------


@dataclass
class MonthMovements:
    month: date
    starting_arr: Decimal = ZERO
    new: Decimal = ZERO
    expansion: Decimal = ZERO
    contraction: Decimal = ZERO
    churn: Decimal = ZERO
    reactivation: Decimal = ZERO

    @property
    def ending_arr(self) -> Decimal:
        return (self.starting_arr + self.new + self.expansion + self.reactivation - self.contraction - self.churn)

    @property
    def net(self) -> Decimal:
        return self.ending_arr - self.starting_arr


def movements_by_month(*, start: date, end: date) -> list[MonthMovements]:
    """Every account's movements (new logos too) summed by month and kind over the window, with each month's
    starting ARR (the ledger's balance before it). One aggregate query: the movements dated up to ``start``
    fall in one opening bucket (month NULL), the others in their month."""
    bucket = Case(When(date__lte=start, then=Value(None, output_field=DateField())), default=Cast(TruncMonth("date"), DateField()),
                  output_field=DateField())
    rows = (
        ArrMovement.objects.filter(date__lte=end).annotate(bucket=bucket).values("bucket", "kind")
        .annotate(total=Sum("amount")).order_by()
    )
    opening, sums = ZERO, {}
    for row in rows:
        if row["bucket"] is None:
            opening += row["total"] if row["kind"] in INCREASING else -row["total"]
        else:
            sums[(row["bucket"], row["kind"])] = row["total"]
    return _months(opening, sums, start=start, end=end)


def _months(opening: Decimal, sums: dict, *, start: date, end: date) -> list[MonthMovements]:
    result, balance = [], opening
    for month in window_months(start, end):
        entry = MonthMovements(month=month, starting_arr=balance,
                               **{kind: sums.get((month, kind), ZERO) for kind in MOVEMENT_KINDS})
        result.append(entry)
        balance = entry.ending_arr
    return result


def movements_from_ledger_months(*, start: date, end: date) -> list[MonthMovements]:
    """``movements_by_month`` from the materialised months (``start`` a month's last day; ``end`` one too, or
    the rows' day): the opening balance is every month up to ``start``'s."""
    opening, sums = ZERO, {}
    for row in retention_figures.ledger_months(until=end):
        if row.month <= start:
            opening += row.new + row.expansion + row.reactivation - row.contraction - row.churn
        else:
            sums.update({(row.month, kind): getattr(row, kind) for kind in MOVEMENT_KINDS})
    return _months(opening, sums, start=start, end=end)


# --- churn reasons -----------------------------------------------------------------------------------

_CHURN_SQL = """
SELECT r.churn_reason, COUNT(*), COALESCE(SUM(COALESCE(m.lost, r.arr)), 0)
FROM renewals_renewal r
LEFT JOIN (
    SELECT ref_id, SUM(amount) AS lost FROM renewals_arrmovement
    WHERE tenant_id = %(tenant)s AND ref_type = 'renewal' AND kind = %(churn)s GROUP BY ref_id
) m ON m.ref_id = r.id
WHERE r.tenant_id = %(tenant)s AND r.outcome = %(churned)s AND r.closed_at >= %(since)s AND r.closed_at < %(until)s
GROUP BY r.churn_reason
"""


@dataclass(frozen=True)
class ChurnReason:
    reason: str
    count: int
    arr_lost: Decimal


def churn_reasons(*, start: date, end: date) -> list[ChurnReason]:
    """The renewals recorded as churned in the window (their outcome day, in the tenant's time zone), by
    reason: how many, and the ARR lost (the churn movement the outcome wrote; the renewal's ARR when it has
    none). Most ARR lost first. One query."""
    tenant = get_current_tenant()
    since = datetime.combine(start + timedelta(days=1), time.min, tenant.tzinfo)
    until = datetime.combine(end + timedelta(days=1), time.min, tenant.tzinfo)
    with connection.cursor() as cursor:
        cursor.execute(_CHURN_SQL, {"tenant": tenant.pk, "churn": MovementKind.CHURN,
                                    "churned": RenewalOutcome.CHURNED, "since": since, "until": until})
        rows = cursor.fetchall()
    merged: dict[str, list] = {}
    for reason, count, lost in rows:
        entry = merged.setdefault((reason or "").strip() or NO_REASON, [0, ZERO])
        entry[0] += count
        entry[1] += lost
    reasons = [ChurnReason(reason=r, count=c, arr_lost=lost.quantize(retention.CENT)) for r, (c, lost) in merged.items()]
    return sorted(reasons, key=lambda r: (-r.arr_lost, -r.count, r.reason))


# --- by segment --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SegmentRetention:
    key: str
    label: str
    accounts: int
    retained: int
    result: retention.Retention


def _segment_sql(thresholds: list[dict]) -> tuple[str, dict]:
    ordered = sorted_thresholds(thresholds)
    whens = " ".join(f"WHEN at_start >= %(min_{i})s THEN %(key_{i})s" for i in range(len(ordered) - 1))
    params = {f"min_{i}": minimum for i, (_, minimum) in enumerate(ordered)}
    params.update({f"key_{i}": key for i, (key, _) in enumerate(ordered)})
    case = f"CASE {whens} ELSE %(key_{len(ordered) - 1})s END" if whens else f"%(key_{len(ordered) - 1})s"
    sql = f"""
        WITH per_account AS ({ledger_selectors.PER_ACCOUNT_WINDOW_SQL})
        SELECT {case} AS segment, SUM(at_start), COALESCE(SUM(up), 0), COALESCE(SUM(contraction), 0),
               COALESCE(SUM(churn), 0), COUNT(*), COUNT(*) FILTER (WHERE at_end > 0)
        FROM per_account WHERE at_start > 0 GROUP BY 1
    """
    return sql, params


def segment_totals(*, start: date, end: date, thresholds: list[dict]) -> dict[str, retention.RetentionTotals]:
    """The window's retention sums per segment key, each account in the segment its ARR at ``start`` puts it
    in (the tenant's thresholds): a customer that shrank or churned stays in the segment it started in.
    Every segment of the tenant, largest first. One query; the segments add up to the window's totals."""
    sql, params = _segment_sql(thresholds)
    with connection.cursor() as cursor:
        cursor.execute(sql, {**params, "tenant": get_current_tenant().pk, "start": start, "end": end})
        found = {row[0]: row[1:] for row in cursor.fetchall()}
    result = {}
    for key, _ in sorted_thresholds(thresholds):
        starting, up, contraction, churn, accounts, retained = found.get(key, (ZERO, ZERO, ZERO, ZERO, 0, 0))
        result[key] = retention.RetentionTotals(starting_arr=starting, expansion=up, contraction=contraction,
                                                churn=churn, accounts=accounts, retained=retained)
    return result


def add_totals(parts) -> retention.RetentionTotals:
    parts = list(parts)
    return retention.RetentionTotals(**{
        name: sum((getattr(p, name) for p in parts), ZERO if name not in ("accounts", "retained") else 0)
        for name in ("starting_arr", "expansion", "contraction", "churn", "accounts", "retained")
    })


def by_segment(totals: dict[str, retention.RetentionTotals], thresholds: list[dict]) -> list[SegmentRetention]:
    """The retention per segment (one with no starting ARR has no percentages)."""
    labels = {t["key"]: t.get("label") or t["key"] for t in thresholds}
    return [
        SegmentRetention(key=key, label=labels[key], accounts=part.accounts, retained=part.retained,
                         result=retention.retention(part))
        for key, part in totals.items()
    ]


# --- the whole report --------------------------------------------------------------------------------


@dataclass
class Report:
    start: date
    end: date
    summary: retention.Retention
    accounts: int
    retained: int
    trend: list[TrendPoint] = field(default_factory=list)
    months: list[MonthMovements] = field(default_factory=list)
    churn_reasons: list[ChurnReason] = field(default_factory=list)
    segments: list[SegmentRetention] = field(default_factory=list)

    @property
    def churned_renewals(self) -> int:
        return sum(r.count for r in self.churn_reasons)

    @property
    def churn_reasons_arr(self) -> Decimal:
        return sum((r.arr_lost for r in self.churn_reasons), ZERO)


def _is_month_end(day: date) -> bool:
    return day == retention.month_end(day.year, day.month)


def retention_report(*, start: date, end: date, thresholds: list[dict]) -> Report:
    """Everything the page and the CSV show: the window's totals are the sum of its segments' (the same sums
    as ``ledger_selectors.retention_totals``, without a second pass). From the materialised rows
    (``retention_figures``) where they are today's and hold the window (the default one: the trailing twelve
    months to today), else live from the ledger: five statements either way."""
    refresh = retention_figures.latest()
    fresh = retention_figures.usable(refresh, today=renewal_selectors.tenant_today(), thresholds=thresholds)
    trend_windows = retention.trailing_windows(today=refresh.as_of, months=TREND_MONTHS) if fresh else []
    if (start, end) in {(w.start, w.end) for w in trend_windows}:
        found = retention_figures.by_starting_segment(start=start, end=end)
        segments = {key: found.get(key, retention.RetentionTotals()) for key, _ in sorted_thresholds(thresholds)}
    else:
        segments = segment_totals(start=start, end=end, thresholds=thresholds)
    if fresh and end == refresh.as_of:
        points = [TrendPoint(month=w.month, start=w.start, end=w.end, result=retention.retention(totals))
                  for w, totals in retention_figures.trend(as_of=end, months=TREND_MONTHS)]
    else:
        points = trend(end=end)
    if fresh and _is_month_end(start) and (end == refresh.as_of or _is_month_end(end)):
        months = movements_from_ledger_months(start=start, end=end)
    else:
        months = movements_by_month(start=start, end=end)
    totals = add_totals(segments.values())
    return Report(
        start=start, end=end, summary=retention.retention(totals), accounts=totals.accounts,
        retained=totals.retained, trend=points, months=months,
        churn_reasons=churn_reasons(start=start, end=end), segments=by_segment(segments, thresholds),
    )
