"""renewals.retention, pure: API.md's NRR / GRR / logo retention at the boundaries, and the set-based trend
(pandas over monthly buckets) agreeing with the movement-by-movement definition."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from renewals.retention import (
    BUCKET_COLUMNS,
    Movement,
    RetentionTotals,
    month_index,
    percent,
    retention,
    totals_from_movements,
    trailing_windows,
    trend_from_buckets,
)

D = Decimal
START, END = date(2025, 1, 31), date(2026, 1, 31)


def mv(account, day, kind, amount):
    return Movement(account, day, kind, D(amount))


def figures(movements, start=START, end=END):
    return retention(totals_from_movements(movements, start=start, end=end)).as_dict()


def test_formulas_on_known_data():
    movements = [
        mv(1, date(2024, 3, 1), "new", "100000"), mv(2, date(2024, 6, 1), "new", "50000"),
        mv(3, date(2024, 9, 1), "new", "50000"),
        mv(1, date(2025, 5, 1), "expansion", "20000"), mv(2, date(2025, 7, 1), "contraction", "10000"),
        mv(3, date(2025, 8, 1), "churn", "50000"),
    ]
    result = figures(movements)
    assert result == {
        "starting_arr": D("200000.00"), "expansion": D("20000.00"), "contraction": D("10000.00"),
        "churn": D("50000.00"), "nrr": D("80.0"), "grr": D("70.0"), "logo_retention": D("66.7"),
    }


def test_an_account_that_starts_after_start_is_left_out_with_everything_it_does():
    movements = [mv(1, date(2024, 1, 1), "new", "1000"), mv(2, date(2025, 2, 1), "new", "9000"),
                 mv(2, date(2025, 3, 1), "expansion", "1000"), mv(2, date(2025, 4, 1), "churn", "10000")]
    result = figures(movements)
    assert result["starting_arr"] == D("1000.00") and result["expansion"] == 0 and result["churn"] == 0
    assert result["nrr"] == result["grr"] == result["logo_retention"] == D("100.0")


def test_a_reactivation_of_the_starting_set_counts_as_expansion():
    movements = [mv(1, date(2024, 1, 1), "new", "1000"), mv(1, date(2025, 3, 1), "churn", "1000"),
                 mv(1, date(2025, 6, 1), "reactivation", "1500")]
    result = figures(movements)
    assert (result["expansion"], result["churn"]) == (D("1500.00"), D("1000.00"))
    assert result["nrr"] == D("150.0") and result["grr"] == D("0.0") and result["logo_retention"] == D("100.0")


def test_an_account_churned_before_start_and_reactivated_in_the_window_is_left_out():
    movements = [mv(1, date(2024, 1, 1), "new", "1000"), mv(1, date(2024, 6, 1), "churn", "1000"),
                 mv(1, date(2025, 6, 1), "reactivation", "1500"), mv(2, date(2024, 1, 1), "new", "500")]
    result = figures(movements)
    assert result["starting_arr"] == D("500.00") and result["expansion"] == 0


def test_two_movements_on_one_day_both_count_whatever_their_order():
    a = [mv(1, date(2024, 1, 1), "new", "1000"), mv(1, date(2025, 5, 1), "expansion", "300"),
         mv(1, date(2025, 5, 1), "contraction", "100")]
    assert figures(a) == figures(list(reversed(a)))
    assert figures(a)["nrr"] == D("120.0") and figures(a)["grr"] == D("90.0")


def test_boundaries_a_movement_on_start_is_starting_arr_one_on_end_is_in_the_window():
    movements = [mv(1, START, "new", "1000"), mv(1, END, "expansion", "500"), mv(1, END + timedelta(days=1), "churn", "1500")]
    result = figures(movements)
    assert (result["starting_arr"], result["expansion"], result["churn"]) == (D("1000.00"), D("500.00"), 0)
    # A churn on `start` leaves the account out; a churn on `end` counts and loses the logo.
    assert figures([mv(1, date(2024, 1, 1), "new", "1"), mv(1, START, "churn", "1")])["starting_arr"] == 0
    on_end = figures([mv(1, date(2024, 1, 1), "new", "10"), mv(1, END, "churn", "10")])
    assert on_end["churn"] == D("10.00") and on_end["logo_retention"] == D("0.0")


def test_empty_starting_set_gives_null_metrics_not_a_division_error():
    for movements in ([], [mv(1, date(2025, 6, 1), "new", "1000")]):
        assert figures(movements) == {
            "starting_arr": D("0.00"), "expansion": D("0.00"), "contraction": D("0.00"), "churn": D("0.00"),
            "nrr": None, "grr": None, "logo_retention": None,
        }


def test_start_equal_to_end_is_an_empty_window():
    result = figures([mv(1, date(2024, 1, 1), "new", "10")], start=START, end=START)
    assert result["nrr"] == result["grr"] == result["logo_retention"] == D("100.0")
    with pytest.raises(ValueError):
        totals_from_movements([], start=END, end=START)


def test_percent_rounds_half_up_to_one_decimal():
    assert percent(1, 3) == D("33.3") and percent(2, 3) == D("66.7") and percent(1, 8) == D("12.5")
    assert percent(D("0.0005"), 1) == D("0.1") and percent(1, 0) is None


def test_trailing_windows():
    windows = trailing_windows(today=date(2026, 3, 15), months=3)
    assert [(w.month, w.start, w.end) for w in windows] == [
        ("2026-01", date(2025, 1, 31), date(2026, 1, 31)),
        ("2026-02", date(2025, 2, 28), date(2026, 2, 28)),
        ("2026-03", date(2025, 3, 31), date(2026, 3, 15)),
    ]
    assert trailing_windows(today=date(2024, 2, 29), months=1)[0].start == date(2023, 2, 28)
    for bad in (0, 37):
        with pytest.raises(ValueError):
            trailing_windows(today=date(2026, 1, 1), months=bad)


# --- properties ----------------------------------------------------------------------------------------

days = st.dates(min_value=date(2023, 1, 1), max_value=date(2026, 3, 15))
amounts = st.integers(min_value=1, max_value=10_000_00).map(lambda cents: D(cents) / 100)


@st.composite
def ledgers(draw):
    """Valid ledgers: per account, movements in date order that never take the balance below 0."""
    movements = []
    for account in range(1, draw(st.integers(0, 6)) + 1):
        balance, had = D(0), False
        for day in sorted(draw(st.lists(days, max_size=6))):
            if balance == 0:
                amount = draw(amounts)
                movements.append(mv(account, day, "reactivation" if had else "new", amount))
                balance, had = amount, True
                continue
            choice = draw(st.sampled_from(["expansion", "contraction", "churn"]))
            if choice == "expansion":
                amount = draw(amounts)
                balance += amount
            elif choice == "contraction" and balance > D("0.01"):
                amount = draw(st.integers(1, int(balance * 100) - 1).map(lambda c: D(c) / 100))
                balance -= amount
            else:
                choice, amount, balance = "churn", balance, D(0)
            movements.append(mv(account, day, choice, amount))
    return movements


@settings(max_examples=150, deadline=None)
@given(ledgers(), days, days)
def test_properties_of_the_metrics(movements, a, b):
    start, end = min(a, b), max(a, b)
    totals = totals_from_movements(movements, start=start, end=end)
    result = retention(totals)
    if totals.starting_arr == 0:
        assert result.nrr is result.grr is result.logo_retention is None
        return
    assert result.nrr >= result.grr
    assert D(0) <= result.logo_retention <= D(100)
    # NRR's numerator is the starting set's ARR at `end` (the ledger's balance identity).
    ending = sum((m.signed for m in movements if m.date <= end and m.account_id in _starting(movements, start)), D(0))
    assert percent(ending, totals.starting_arr) == result.nrr


def _starting(movements, start):
    balance = defaultdict(lambda: D(0))
    for m in movements:
        if m.date <= start:
            balance[m.account_id] += m.signed
    return {a for a, b in balance.items() if b > 0}


def buckets_of(movements, until):
    rows = defaultdict(lambda: [0, 0, 0, 0])
    for m in movements:
        if m.date > until:
            continue
        row = rows[(m.account_id, month_index(m.date))]
        cents = int(m.amount * 100)
        row[0] += cents if m.kind in ("new", "expansion", "reactivation") else -cents
        row[{"new": 1, "expansion": 1, "reactivation": 1, "contraction": 2, "churn": 3}[m.kind]] += cents
    return pd.DataFrame([(a, mo, *v) for (a, mo), v in rows.items()], columns=BUCKET_COLUMNS)


@settings(max_examples=100, deadline=None)
@given(ledgers(), st.dates(min_value=date(2024, 1, 1), max_value=date(2026, 3, 15)), st.integers(1, 36))
def test_the_set_based_trend_equals_the_definition_for_every_window(movements, today, months):
    windows = trailing_windows(today=today, months=months)
    trend = trend_from_buckets(buckets_of(movements, windows[-1].end), windows)
    for window, totals in trend:
        assert totals == totals_from_movements(movements, start=window.start, end=window.end), window


def test_trend_of_an_empty_ledger():
    windows = trailing_windows(today=date(2026, 1, 1), months=2)
    assert [t for _, t in trend_from_buckets(pd.DataFrame(columns=BUCKET_COLUMNS), windows)] == [RetentionTotals()] * 2
