"""Touchpoint due-date arithmetic (renewals/cadence_dates.py): pure, no database."""

import calendar
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from renewals.cadence_dates import (
    DEFAULT_RESETS_ON,
    add_interval,
    add_months,
    dedupe_key,
    is_open_window,
    next_due,
    resets_on,
)

days = st.dates(min_value=date(1950, 1, 1), max_value=date(2200, 12, 31))
months = st.integers(min_value=0, max_value=240)


@pytest.mark.parametrize(("start", "n", "expected"), [
    (date(2025, 1, 31), 1, date(2025, 2, 28)),
    (date(2024, 1, 31), 1, date(2024, 2, 29)),  # leap year
    (date(2024, 2, 29), 12, date(2025, 2, 28)),
    (date(2024, 2, 29), 48, date(2028, 2, 29)),
    (date(2025, 8, 31), 3, date(2025, 11, 30)),
    (date(2025, 11, 30), 3, date(2026, 2, 28)),
    (date(2025, 12, 15), 1, date(2026, 1, 15)),
    (date(2025, 10, 31), 6, date(2026, 4, 30)),
    (date(1900, 1, 31), 1, date(1900, 2, 28)),  # 1900 is not a leap year
    (date(2000, 1, 31), 1, date(2000, 2, 29)),  # 2000 is
])
def test_add_months_clamps_to_the_month_end(start, n, expected):
    assert add_months(start, n) == expected


@given(days, months)
def test_add_months_moves_exactly_n_calendar_months_keeping_the_day_or_the_month_end(start, n):
    result = add_months(start, n)
    assert (result.year * 12 + result.month) - (start.year * 12 + start.month) == n
    last = calendar.monthrange(result.year, result.month)[1]
    assert result.day == min(start.day, last)
    assert result >= start


@given(days, days, months)
def test_add_months_is_monotonic(a, b, n):
    if a <= b:
        assert add_months(a, n) <= add_months(b, n)


@given(days, st.integers(min_value=1, max_value=120))
def test_month_steps_from_a_month_end_stay_within_that_months_span(start, n):
    # a cadence from 31 January never drifts: n months later is never more than n months and 3 days later
    result = add_months(start, n)
    assert result - start <= timedelta(days=31 * n)
    assert result - start >= timedelta(days=28 * n - 3)


@given(days, st.integers(min_value=1, max_value=3000))
def test_day_intervals_are_plain_days(start, n):
    assert add_interval(start, n, "days") == start + timedelta(days=n)


def test_bad_intervals_are_refused():
    with pytest.raises(ValueError):
        add_interval(date(2026, 1, 1), 0, "days")
    with pytest.raises(ValueError):
        add_interval(date(2026, 1, 1), 1, "weeks")


def test_next_due_counts_from_the_last_touchpoint_else_customer_since():
    since = date(2025, 1, 31)
    assert next_due(last_touch=None, customer_since=since, count=3, unit="months") == date(2025, 4, 30)
    assert next_due(last_touch=date(2026, 2, 10), customer_since=since, count=3, unit="months") == date(2026, 5, 10)
    assert next_due(last_touch=None, customer_since=None, count=3, unit="months") is None


def test_the_open_window_is_the_lead_time_before_the_due_date_or_after():
    due = date(2026, 3, 20)
    assert not is_open_window(due, date(2026, 3, 5), 14)
    assert is_open_window(due, date(2026, 3, 6), 14)
    assert is_open_window(due, date(2026, 4, 30), 14)  # overdue: still open
    assert is_open_window(due, due, 0) and not is_open_window(due, due - timedelta(days=1), 0)


def test_resets_on_defaults_by_kind_and_keys_name_the_due_date():
    assert resets_on("qbr", []) == ("qbr",)
    assert resets_on("check_in", None) == DEFAULT_RESETS_ON["check_in"]
    assert resets_on("qbr", ["meeting"]) == ("meeting",)
    assert resets_on("unknown", []) == DEFAULT_RESETS_ON["custom"]
    assert dedupe_key(cadence_id=3, account_id=9, due_date=date(2026, 1, 5)) == "cadence:3:9:2026-01-05"
