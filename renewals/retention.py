"""Revenue retention: NRR, GRR and logo retention (API.md "Renewals and retention"). Pure: no database.

Definitions, over the accounts that had ARR at ``start`` (the "starting set"):

* An account's balance at a date is the signed sum of its movements dated on or before that date.
  So a movement dated ``start`` is part of the starting ARR, and the window's movements are those dated
  after ``start`` up to and including ``end``: ``start < date <= end``. Consecutive windows
  (``a..b``, ``b..c``) never count a movement twice.
* The starting set: accounts whose balance at ``start`` is above 0. An account that starts after
  ``start`` (or had churned before it) is left out, with everything it does in the window.
* expansion: the window's ``expansion``, ``reactivation`` (and ``new``, should an account of the set get
  one) amounts of the starting set; contraction and churn: its ``contraction`` and ``churn`` amounts.
  Two movements on one day both count: sums do not depend on their order.
* NRR = (starting + expansion - contraction - churn) / starting, GRR = (starting - contraction - churn) /
  starting, logo retention = share of the starting set with a balance above 0 at ``end``; percentages
  with one decimal (half up). A starting ARR of 0 (empty set) gives ``None`` for all three.

Money is exact: ``Decimal`` here, integer cents in the set-based trend (``trend_from_buckets``).
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd

INCREASING = frozenset({"new", "expansion", "reactivation"})
CONTRACTION, CHURN = "contraction", "churn"
ZERO = Decimal("0")
CENT = Decimal("0.01")
MAX_MONTHS = 36


@dataclass(frozen=True)
class Movement:
    account_id: int
    date: date
    kind: str
    amount: Decimal

    @property
    def signed(self) -> Decimal:
        return self.amount if self.kind in INCREASING else -self.amount


@dataclass(frozen=True)
class RetentionTotals:
    """The sums the percentages are made of."""

    starting_arr: Decimal = ZERO
    expansion: Decimal = ZERO
    contraction: Decimal = ZERO
    churn: Decimal = ZERO
    accounts: int = 0  # in the starting set
    retained: int = 0  # of those, with ARR above 0 at the end


@dataclass(frozen=True)
class Retention:
    starting_arr: Decimal
    expansion: Decimal
    contraction: Decimal
    churn: Decimal
    nrr: Decimal | None
    grr: Decimal | None
    logo_retention: Decimal | None

    def as_dict(self) -> dict:
        return {
            "starting_arr": self.starting_arr, "expansion": self.expansion, "contraction": self.contraction,
            "churn": self.churn, "nrr": self.nrr, "grr": self.grr, "logo_retention": self.logo_retention,
        }


def percent(numerator, denominator) -> Decimal | None:
    """``numerator / denominator`` as a percentage with one decimal (half up); None when dividing by 0."""
    if not denominator:
        return None
    return (Decimal(numerator) * 100 / Decimal(denominator)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def retention(totals: RetentionTotals) -> Retention:
    """API.md's formulas over the totals."""
    start = totals.starting_arr
    return Retention(
        starting_arr=start.quantize(CENT), expansion=totals.expansion.quantize(CENT),
        contraction=totals.contraction.quantize(CENT), churn=totals.churn.quantize(CENT),
        nrr=percent(start + totals.expansion - totals.contraction - totals.churn, start) if start > 0 else None,
        grr=percent(start - totals.contraction - totals.churn, start) if start > 0 else None,
        logo_retention=percent(totals.retained, totals.accounts) if start > 0 else None,
    )


def totals_from_movements(movements: Iterable[Movement], *, start: date, end: date) -> RetentionTotals:
    """The reference definition, movement by movement (the database computes the same set-based)."""
    if start > end:
        raise ValueError("start is after end")
    at_start: dict[int, Decimal] = defaultdict(lambda: ZERO)
    at_end: dict[int, Decimal] = defaultdict(lambda: ZERO)
    window: list[Movement] = []
    for movement in movements:
        if movement.date <= start:
            at_start[movement.account_id] += movement.signed
        if movement.date <= end:
            at_end[movement.account_id] += movement.signed
            if movement.date > start:
                window.append(movement)
    starting = {account for account, balance in at_start.items() if balance > 0}
    sums = {"up": ZERO, CONTRACTION: ZERO, CHURN: ZERO}
    for movement in window:
        if movement.account_id in starting:
            sums["up" if movement.kind in INCREASING else movement.kind] += movement.amount
    return RetentionTotals(
        starting_arr=sum((at_start[a] for a in starting), ZERO), expansion=sums["up"],
        contraction=sums[CONTRACTION], churn=sums[CHURN], accounts=len(starting),
        retained=sum(1 for a in starting if at_end[a] > 0),
    )


# --- the monthly trend -------------------------------------------------------------------------------


def month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def months_back(year: int, month: int, count: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) - count
    return index // 12, index % 12 + 1


@dataclass(frozen=True)
class Window:
    month: str  # "YYYY-MM"
    start: date
    end: date


def trailing_windows(*, today: date, months: int) -> list[Window]:
    """One trailing-twelve-month window per month, oldest first, the last being the current month: each
    ends at its month's last day (the current month: today) and starts at the last day of the month
    twelve months before."""
    if not 1 <= months <= MAX_MONTHS:
        raise ValueError(f"months must be 1..{MAX_MONTHS}")
    windows = []
    for back in range(months - 1, -1, -1):
        year, month = months_back(today.year, today.month, back)
        start_year, start_month = months_back(year, month, 12)
        windows.append(Window(
            month=f"{year:04d}-{month:02d}", start=month_end(start_year, start_month),
            end=min(month_end(year, month), today),
        ))
    return windows


def month_index(day: date) -> int:
    return day.year * 12 + day.month - 1


BUCKET_COLUMNS = ["account_id", "month", "net", "up", "contraction", "churn"]


def _cumulative(buckets: pd.DataFrame, windows: list[Window]) -> tuple[np.ndarray, dict[str, np.ndarray], int]:
    """(account ids, each column's accounts x months running sum, the first month index) of ``buckets``."""
    first = min(int(buckets["month"].min()), *(month_index(w.start) for w in windows))
    last = max(month_index(w.end) for w in windows)
    accounts, account_pos = np.unique(buckets["account_id"].to_numpy(), return_inverse=True)
    shape = (len(accounts), last - first + 1)
    cols = buckets["month"].to_numpy() - first
    keep = cols <= last - first
    cumulative = {}
    for column in ("net", "up", "contraction", "churn"):
        matrix = np.zeros(shape, dtype=np.int64)
        np.add.at(matrix, (account_pos[keep], cols[keep]), buckets[column].to_numpy(dtype=np.int64)[keep])
        cumulative[column] = np.cumsum(matrix, axis=1)
    return accounts, cumulative, first


def trend_from_buckets(buckets: pd.DataFrame, windows: list[Window]) -> list[tuple[Window, RetentionTotals]]:
    """The totals of every window at once, from the ledger summed by account and month.

    ``buckets`` has one row per (account, month index ``year*12 + month-1``) with the month's movements
    in integer cents: ``net`` (signed sum), ``up`` (new, expansion, reactivation), ``contraction``,
    ``churn``; only movements dated up to the last window's end. Every window starts and ends at a month's
    end (the last one may end today, which the buckets already stop at), so a balance at a window boundary
    is a cumulative sum over whole months: the accounts x months matrix is summed once, and each window is
    a few vector operations over the accounts, never a loop over them.
    """
    if buckets.empty or not windows:
        return [(w, RetentionTotals()) for w in windows]
    _accounts, cumulative, first = _cumulative(buckets, windows)
    results = []
    for window in windows:
        s, e = month_index(window.start) - first, month_index(window.end) - first
        at_start, at_end = cumulative["net"][:, s], cumulative["net"][:, e]
        members = at_start > 0
        sums = {c: int((cumulative[c][members, e] - cumulative[c][members, s]).sum()) for c in ("up", "contraction", "churn")}
        results.append((window, RetentionTotals(
            starting_arr=Decimal(int(at_start[members].sum())) / 100, expansion=Decimal(sums["up"]) / 100,
            contraction=Decimal(sums["contraction"]) / 100, churn=Decimal(sums["churn"]) / 100,
            accounts=int(members.sum()), retained=int((members & (at_end > 0)).sum()),
        )))
    return results


MEMBER_COLUMNS = ["window", "account_id", "at_start", "retained", "up", "contraction", "churn"]


def window_members(buckets: pd.DataFrame, windows: list[Window]) -> pd.DataFrame:
    """Every window's starting set, one row per (window, account) with that account's part of the window's
    totals: ``window`` (its position in ``windows``), ``account_id``, ``at_start``, ``up``, ``contraction``,
    ``churn`` (integer cents) and ``retained`` (a balance above 0 at the end). Summed over any grouping of
    the accounts, each window's rows give that group's ``RetentionTotals`` (``trend_from_buckets`` is their
    sum over all of them); same ``buckets`` and windows as there."""
    if buckets.empty or not windows:
        return pd.DataFrame({c: np.array([], dtype=bool if c == "retained" else np.int64) for c in MEMBER_COLUMNS})
    accounts, cumulative, first = _cumulative(buckets, windows)
    parts = []
    for position, window in enumerate(windows):
        s, e = month_index(window.start) - first, month_index(window.end) - first
        at_start = cumulative["net"][:, s]
        members = np.flatnonzero(at_start > 0)
        parts.append(pd.DataFrame({
            "window": np.full(len(members), position, dtype=np.int64), "account_id": accounts[members],
            "at_start": at_start[members], "retained": cumulative["net"][members, e] > 0,
            **{c: cumulative[c][members, e] - cumulative[c][members, s] for c in ("up", "contraction", "churn")},
        }))
    return pd.concat(parts, ignore_index=True)
