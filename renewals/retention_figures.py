"""Reads of the materialised retention (``renewals.models.retention``, written by ``retention_refresh``): a
trailing-twelve-month trend filtered by account segment and CSM, a window's split by starting segment, and the
ledger's months. Each is one query over a few thousand rows at most, whatever the size of the ledger.

Callers decide when the rows answer their question: the portfolio reads the latest rows and says how fresh
they are; the retention report only when they are of today and of the tenant's current thresholds (``usable``),
else it computes live.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db.models import Q, Sum

from renewals import retention
from renewals.models import LedgerMonth, RetentionRefresh, RetentionWindowTotals

ZERO = Decimal("0")
_SUMS = {"starting_arr": Sum("starting_arr"), "expansion": Sum("expansion"), "contraction": Sum("contraction"),
         "churn": Sum("churn"), "accounts": Sum("accounts"), "retained": Sum("retained")}


def latest() -> RetentionRefresh | None:
    return RetentionRefresh.objects.first()


def usable(refresh: RetentionRefresh | None, *, today: date, thresholds: list[dict]) -> bool:
    """Whether the rows are today's, computed with these segment thresholds."""
    return refresh is not None and refresh.as_of == today and refresh.thresholds == thresholds


def _totals(row: dict | None) -> retention.RetentionTotals:
    if not row:
        return retention.RetentionTotals()
    return retention.RetentionTotals(**{name: row[name] for name in _SUMS})


def trend(*, as_of: date, months: int, where: Q | None = None) -> list[tuple[retention.Window, retention.RetentionTotals]]:
    """The trailing-twelve-month totals at each of the ``months`` month ends up to ``as_of`` (the rows' day),
    of the accounts ``where`` selects (by ``segment`` and ``csm``); a window without rows has zero totals."""
    windows = retention.trailing_windows(today=as_of, months=months)
    rows = (RetentionWindowTotals.objects.filter(where or Q(), end__gte=windows[0].end, end__lte=windows[-1].end)
            .values("start", "end").annotate(**_SUMS).order_by())
    found = {(row["start"], row["end"]): row for row in rows}
    return [(w, _totals(found.get((w.start, w.end)))) for w in windows]


def by_starting_segment(*, start: date, end: date) -> dict[str, retention.RetentionTotals]:
    """The window's totals per starting segment (the keys that have rows)."""
    rows = (RetentionWindowTotals.objects.filter(start=start, end=end).values("start_segment")
            .annotate(**_SUMS).order_by())
    return {row["start_segment"]: _totals(row) for row in rows}


def ledger_months(*, until: date) -> list[LedgerMonth]:
    """The ledger's months (every kind summed) up to ``until``'s month, oldest first."""
    return list(LedgerMonth.objects.filter(month__lte=until).order_by("month"))
