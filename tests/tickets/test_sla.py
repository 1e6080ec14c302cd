"""Tests for tickets.sla: business-time arithmetic (no Django)."""

from __future__ import annotations

import math
import time as perf
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tickets.sla import (
    BusinessCalendar,
    Interval,
    add_business_minutes,
    business_minutes_between,
    due_after_resume,
    remaining_minutes,
)

LA = ZoneInfo("America/Los_Angeles")
PARIS = ZoneInfo("Europe/Paris")


def weekdays(start: str, end: str, days: Sequence[int] = range(5)) -> list[dict[str, object]]:
    return [{"weekday": day, "start": start, "end": end} for day in days]


OFFICE = BusinessCalendar.from_config("Europe/Paris", weekdays("09:00", "18:00"))
# L2/L3 support hours: 8 AM - 6 PM Pacific, Monday to Friday.
PACIFIC = BusinessCalendar.from_config("America/Los_Angeles", weekdays("08:00", "18:00"))
NIGHT_WINDOW = BusinessCalendar.from_config("America/Los_Angeles", weekdays("01:00", "03:00", range(7)))


def local(zone: ZoneInfo, *args: int, fold: int = 0) -> datetime:
    """A local wall time as a UTC instant (so arithmetic and comparisons are on real time)."""
    return datetime(*args, tzinfo=zone, fold=fold).astimezone(UTC)  # type: ignore[misc]


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


# --------------------------------------------------------------------------- known examples


def test_friday_afternoon_rolls_to_monday() -> None:
    due = add_business_minutes(local(PARIS, 2025, 6, 13, 17), 120, OFFICE)  # Friday 17:00
    assert due.tzinfo is UTC
    assert due.astimezone(PARIS) == local(PARIS, 2025, 6, 16, 10)  # Monday 10:00
    assert business_minutes_between(local(PARIS, 2025, 6, 13, 17), due, OFFICE) == 120
    # Inputs may carry any zone; only the instant matters.
    friday_paris = datetime(2025, 6, 13, 17, tzinfo=PARIS)
    assert add_business_minutes(friday_paris, 120, OFFICE) == due
    assert add_business_minutes(friday_paris.astimezone(LA), 120, OFFICE) == due


def test_zero_minutes_returns_start_in_utc_even_outside_hours() -> None:
    start = datetime(2025, 6, 14, 3, 17, 12, tzinfo=PARIS)  # Saturday night
    assert add_business_minutes(start, 0, OFFICE) == start
    assert add_business_minutes(start, 0, OFFICE).tzinfo is UTC
    assert add_business_minutes(start, 0, BusinessCalendar.always()) == start


def test_start_outside_hours_begins_at_next_opening() -> None:
    assert add_business_minutes(local(PARIS, 2025, 6, 14, 12), 1, OFFICE) == local(PARIS, 2025, 6, 16, 9, 1)
    assert add_business_minutes(local(PARIS, 2025, 6, 16, 18), 60, OFFICE) == local(PARIS, 2025, 6, 17, 10)


def test_lands_exactly_on_closing_time() -> None:
    assert add_business_minutes(local(PARIS, 2025, 6, 16, 17), 60, OFFICE) == local(PARIS, 2025, 6, 16, 18)


def test_holidays_are_skipped() -> None:
    cal = BusinessCalendar.from_config(
        "Europe/Paris", weekdays("09:00", "18:00"), ["2025-06-16", date(2025, 6, 17)]
    )
    due = add_business_minutes(local(PARIS, 2025, 6, 13, 17), 120, cal)
    assert due == local(PARIS, 2025, 6, 18, 10)
    assert business_minutes_between(local(PARIS, 2025, 6, 13), local(PARIS, 2025, 6, 19), cal) == 2 * 540


def test_interval_ending_at_midnight_is_continuous_with_next_day() -> None:
    for end in ("24:00", "00:00"):
        cal = BusinessCalendar.from_config(
            "Europe/Paris",
            [{"weekday": 0, "start": "22:00", "end": end}, {"weekday": 1, "start": "00:00", "end": "02:00"}],
        )
        monday_late = local(PARIS, 2025, 6, 16, 23)
        assert add_business_minutes(monday_late, 120, cal) == local(PARIS, 2025, 6, 17, 1)
        assert (
            business_minutes_between(local(PARIS, 2025, 6, 16, 22), local(PARIS, 2025, 6, 17, 2), cal) == 240
        )
        assert cal.intervals[0] == Interval(0, 22 * 60, 1440)


def test_full_day_interval() -> None:
    cal = BusinessCalendar.from_config("UTC", [{"weekday": 2, "start": "00:00", "end": "00:00"}])
    assert cal.weekly_minutes == 1440
    assert add_business_minutes(utc(2025, 6, 16), 1440, cal) == utc(2025, 6, 19)


def test_multiple_intervals_with_lunch_gap() -> None:
    cal = BusinessCalendar.from_config(
        "Europe/Paris", weekdays("08:00", "12:00") + weekdays("13:00", "18:00")
    )
    assert add_business_minutes(local(PARIS, 2025, 6, 16, 11), 120, cal) == local(PARIS, 2025, 6, 16, 14)
    assert add_business_minutes(local(PARIS, 2025, 6, 16, 12, 30), 1, cal) == local(PARIS, 2025, 6, 16, 13, 1)
    assert business_minutes_between(local(PARIS, 2025, 6, 16), local(PARIS, 2025, 6, 17), cal) == 540


def test_overlapping_and_touching_intervals_are_merged() -> None:
    cal = BusinessCalendar.from_config(
        "UTC",
        [
            {"weekday": 0, "start": "11:00", "end": "13:00"},
            {"weekday": 0, "start": "08:00", "end": "12:00"},
            {"weekday": 0, "start": "13:00", "end": "14:00"},
            {"weekday": 0, "start": "09:00", "end": "10:00"},
        ],
    )
    assert cal.intervals == (Interval(0, 8 * 60, 14 * 60),)
    assert business_minutes_between(utc(2025, 6, 16), utc(2025, 6, 17), cal) == 360


def test_pacific_spring_forward_week() -> None:
    # DST starts Sunday 2025-03-09 (PST -8 -> PDT -7).
    friday = local(LA, 2025, 3, 7, 17)
    due = add_business_minutes(friday, 120, PACIFIC)
    assert due == utc(2025, 3, 10, 16)  # Monday 09:00 PDT
    assert due.astimezone(LA).hour == 9
    week = business_minutes_between(local(LA, 2025, 3, 7, 8), local(LA, 2025, 3, 14, 8), PACIFIC)
    assert week == 5 * 600


def test_pacific_fall_back_week() -> None:
    # DST ends Sunday 2025-11-02 (PDT -7 -> PST -8).
    due = add_business_minutes(local(LA, 2025, 10, 31, 17), 120, PACIFIC)
    assert due == utc(2025, 11, 3, 17)  # Monday 09:00 PST
    week = business_minutes_between(local(LA, 2025, 10, 31, 8), local(LA, 2025, 11, 7, 8), PACIFIC)
    assert week == 5 * 600


def test_night_window_across_spring_forward_loses_the_skipped_hour() -> None:
    sunday = local(LA, 2025, 3, 9)
    assert business_minutes_between(sunday, local(LA, 2025, 3, 10), NIGHT_WINDOW) == 60
    assert add_business_minutes(sunday, 60, NIGHT_WINDOW) == utc(2025, 3, 9, 10)  # 02:00 PST == 03:00 PDT
    assert add_business_minutes(sunday, 61, NIGHT_WINDOW) == local(LA, 2025, 3, 10, 1, 1)
    # The day before and after are normal.
    assert business_minutes_between(local(LA, 2025, 3, 8), sunday, NIGHT_WINDOW) == 120
    assert business_minutes_between(local(LA, 2025, 3, 10), local(LA, 2025, 3, 11), NIGHT_WINDOW) == 120


def test_night_window_across_fall_back_counts_the_repeated_hour() -> None:
    sunday = local(LA, 2025, 11, 2)
    assert business_minutes_between(sunday, local(LA, 2025, 11, 3), NIGHT_WINDOW) == 180
    assert add_business_minutes(sunday, 30, NIGHT_WINDOW) == local(LA, 2025, 11, 2, 1, 30, fold=0)
    assert add_business_minutes(sunday, 90, NIGHT_WINDOW) == local(LA, 2025, 11, 2, 1, 30, fold=1)
    assert add_business_minutes(sunday, 180, NIGHT_WINDOW) == utc(2025, 11, 2, 11)  # 03:00 PST


def test_spring_forward_interval_is_shorter_in_real_minutes() -> None:
    cal = BusinessCalendar.from_config(
        "America/Los_Angeles", [{"weekday": 6, "start": "01:00", "end": "04:00"}]
    )
    assert business_minutes_between(local(LA, 2025, 3, 9), local(LA, 2025, 3, 10), cal) == 120
    # An interval starting inside the skipped hour counts from 03:00 PDT.
    gap = BusinessCalendar.from_config(
        "America/Los_Angeles", [{"weekday": 6, "start": "02:30", "end": "04:00"}]
    )
    assert business_minutes_between(local(LA, 2025, 3, 9), local(LA, 2025, 3, 10), gap) == 60
    assert add_business_minutes(local(LA, 2025, 3, 9), 1, gap) == utc(2025, 3, 9, 10, 1)


def test_always_clock_adds_plain_minutes_across_dst() -> None:
    clock = BusinessCalendar.always("America/Los_Angeles")
    start = local(LA, 2025, 3, 9, 1)
    assert add_business_minutes(start, 120, clock) == local(LA, 2025, 3, 9, 4)  # 01:00 PST + 2h = 04:00 PDT
    assert add_business_minutes(start, 90.5, clock) == start + timedelta(minutes=90.5)
    assert business_minutes_between(start, start + timedelta(days=3), clock) == 3 * 1440
    assert BusinessCalendar.always().weekly_minutes == 7 * 1440


def test_fractional_minutes_and_seconds() -> None:
    start = local(PARIS, 2025, 6, 16, 17, 59, 30)
    due = add_business_minutes(start, 1.5, OFFICE)
    assert due == local(PARIS, 2025, 6, 17, 9, 1)
    assert business_minutes_between(start, due, OFFICE) == 1.5


def test_severity4_five_day_target_across_christmas_is_fast() -> None:
    holidays = ["2025-12-24", "2025-12-25", "2025-12-26", "2025-12-31", "2026-01-01"]
    cal = BusinessCalendar.from_config("America/Los_Angeles", weekdays("08:00", "18:00"), holidays)
    opened = local(LA, 2025, 12, 15, 9)
    began = perf.perf_counter()
    due = add_business_minutes(opened, 7200, cal)
    assert perf.perf_counter() - began < 0.5
    # 540 (Dec 15) + 4*600 + 2*600 (Dec 22-23) + 2*600 (Dec 29-30) + 600 (Jan 2) + 2*600 (Jan 5-6) + 60.
    assert due == local(LA, 2026, 1, 7, 9)
    assert business_minutes_between(opened, due, cal) == 7200


def test_long_holiday_season_and_large_targets_are_fast() -> None:
    closed = [date(2025, 11, 1) + timedelta(days=i) for i in range(120)]
    cal = BusinessCalendar.from_config("America/Los_Angeles", weekdays("08:00", "18:00"), closed)
    began = perf.perf_counter()
    due = add_business_minutes(local(LA, 2025, 11, 3, 8), 7200, cal)
    huge = add_business_minutes(utc(2025, 1, 1), 500_000, PACIFIC)
    assert perf.perf_counter() - began < 2
    assert due.astimezone(LA).date() > date(2026, 3, 1)
    assert business_minutes_between(utc(2025, 1, 1), huge, PACIFIC) == 500_000


# --------------------------------------------------------------------------- validation


def test_naive_datetimes_are_rejected() -> None:
    naive = datetime(2025, 6, 16, 9)
    with pytest.raises(ValueError, match="timezone-aware"):
        add_business_minutes(naive, 10, OFFICE)
    with pytest.raises(ValueError, match="timezone-aware"):
        business_minutes_between(naive, utc(2025, 6, 17), OFFICE)
    with pytest.raises(ValueError, match="timezone-aware"):
        business_minutes_between(utc(2025, 6, 17), naive, BusinessCalendar.always())


def test_negative_or_non_finite_minutes_are_rejected() -> None:
    for bad in (-1, math.nan, math.inf):
        with pytest.raises(ValueError, match="minutes"):
            add_business_minutes(utc(2025, 6, 16), bad, OFFICE)


def test_empty_calendar_is_rejected() -> None:
    with pytest.raises(ValueError, match="at least one interval"):
        BusinessCalendar.from_config("UTC", [], ["2025-12-25"])
    with pytest.raises(ValueError, match="at least one interval"):
        BusinessCalendar(timezone="UTC")


@pytest.mark.parametrize(
    ("timezone", "intervals", "holidays", "message"),
    [
        ("Mars/Olympus_Mons", weekdays("09:00", "17:00"), [], "unknown timezone"),
        ("", weekdays("09:00", "17:00"), [], "timezone"),
        ("UTC", [{"weekday": 7, "start": "09:00", "end": "17:00"}], [], r"intervals\[0\]: weekday must be"),
        ("UTC", [{"weekday": -1, "start": "09:00", "end": "17:00"}], [], "weekday must be"),
        ("UTC", [{"weekday": "1", "start": "09:00", "end": "17:00"}], [], "weekday must be"),
        ("UTC", [{"weekday": True, "start": "09:00", "end": "17:00"}], [], "weekday must be"),
        ("UTC", [{"weekday": 1, "start": "9:00", "end": "17:00"}], [], r"intervals\[0\]\.start: expected"),
        ("UTC", [{"weekday": 1, "start": "09:00", "end": "25:00"}], [], "not a valid time"),
        ("UTC", [{"weekday": 1, "start": "09:60", "end": "17:00"}], [], "not a valid time"),
        ("UTC", [{"weekday": 1, "start": "24:00", "end": "24:00"}], [], "cannot start at 24:00"),
        ("UTC", [{"weekday": 1, "start": "17:00", "end": "09:00"}], [], "must be before end"),
        ("UTC", [{"weekday": 1, "start": "09:00", "end": "09:00"}], [], "must be before end"),
        ("UTC", [{"weekday": 1, "start": "09:00"}], [], "missing key"),
        ("UTC", ["09:00-17:00"], [], "expected a mapping"),
        ("UTC", weekdays("09:00", "17:00"), ["2025-02-30"], r"holidays\[0\]: expected a date"),
        ("UTC", weekdays("09:00", "17:00"), [datetime(2025, 12, 25)], "got a datetime"),
    ],
)
def test_bad_config_is_rejected_with_a_clear_message(
    timezone: str, intervals: list[object], holidays: list[object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        BusinessCalendar.from_config(timezone, intervals, holidays)  # type: ignore[arg-type]


def test_config_round_trip() -> None:
    config = {
        "timezone": "Asia/Kolkata",
        "intervals": [
            {"weekday": 0, "start": "09:30", "end": "24:00"},
            {"weekday": 4, "start": "00:00", "end": "01:15"},
        ],
        "holidays": ["2025-01-26", "2025-08-15"],
    }
    cal = BusinessCalendar.from_config(**config)  # type: ignore[arg-type]
    assert cal.to_config() == config
    assert BusinessCalendar.from_config(**cal.to_config()) == cal
    assert hash(cal) == hash(BusinessCalendar.from_config(**config))  # type: ignore[arg-type]


def test_pause_and_resume_helpers() -> None:
    opened = local(PARIS, 2025, 6, 16, 9)
    target = 480
    paused_at = local(PARIS, 2025, 6, 16, 11)  # 120 minutes elapsed
    elapsed = business_minutes_between(opened, paused_at, OFFICE)
    assert elapsed == 120
    assert remaining_minutes(target, elapsed) == 360
    assert remaining_minutes(60, 90) == 0
    resumed_at = local(PARIS, 2025, 6, 18, 16)  # Wednesday 16:00
    due = due_after_resume(resumed_at, target, elapsed, OFFICE)
    assert due == local(PARIS, 2025, 6, 19, 13)  # 120 left on Wed, 240 on Thu from 09:00
    assert business_minutes_between(resumed_at, due, OFFICE) == target - elapsed
    # Already used up before the pause: due immediately on resume.
    assert due_after_resume(resumed_at, 60, 90, OFFICE) == resumed_at


# --------------------------------------------------------------------------- property tests

ZONES = ["UTC", "America/Los_Angeles", "Europe/London", "Australia/Lord_Howe", "Asia/Kolkata"]
# Dates near DST transitions of the zones above, to make sure examples cross them.
TRANSITIONS = [
    date.fromisoformat(day)
    for day in (
        "2025-03-09 2025-11-02 2026-03-08 2026-11-01"  # Los Angeles
        " 2025-03-30 2025-10-26 2026-03-29 2026-10-25"  # London
        " 2025-04-06 2025-10-05 2026-04-05 2026-10-04"  # Lord Howe
    ).split()
]
RANGE_START = datetime(2025, 1, 1, tzinfo=UTC)
RANGE_MINUTES = int((datetime(2027, 12, 20, tzinfo=UTC) - RANGE_START) / timedelta(minutes=1))
REFERENCE_CAP = 9 * 1440  # the reference scans at most this many real minutes
PROPERTY_SETTINGS = settings(
    max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)


class Reference:
    """Minute-by-minute model: a real UTC minute counts if its local wall time is in an interval."""

    def __init__(self, zone: str, intervals: list[tuple[int, int, int]], holidays: set[date]) -> None:
        self.zone = ZoneInfo(zone)
        self.holidays = holidays
        self.open = [bytearray(1440) for _ in range(7)]
        for weekday, start, end in intervals:
            for minute in range(start, end):
                self.open[weekday][minute] = 1

    def counts(self, instant: datetime) -> bool:
        wall = instant.astimezone(self.zone)
        return wall.date() not in self.holidays and bool(
            self.open[wall.weekday()][wall.hour * 60 + wall.minute]
        )

    def add(self, start: datetime, minutes: int) -> tuple[datetime | None, int]:
        """(result, 0) if reached within the cap, else (None, business minutes within the cap)."""
        start = start.astimezone(UTC)
        if minutes == 0:
            return start, 0
        counted = 0
        for step in range(REFERENCE_CAP):
            instant = start + timedelta(minutes=step)
            if self.counts(instant):
                counted += 1
                if counted == minutes:
                    return instant + timedelta(minutes=1), 0
        return None, counted

    def between(self, start: datetime, end: datetime) -> int:
        start, end = start.astimezone(UTC), end.astimezone(UTC)
        steps = int((end - start) / timedelta(minutes=1))
        return sum(self.counts(start + timedelta(minutes=step)) for step in range(steps))


@st.composite
def calendars(draw: st.DrawFn, start: datetime) -> tuple[BusinessCalendar, Reference]:
    zone = draw(st.sampled_from(ZONES))
    days = draw(st.sets(st.integers(0, 6), min_size=1, max_size=7))
    intervals: list[tuple[int, int, int]] = []
    for weekday in sorted(days):
        for _ in range(draw(st.integers(1, 3))):
            begin = draw(st.integers(0, 1439))
            end = draw(st.integers(begin + 1, 1440))
            intervals.append((weekday, begin, end))
    base = start.astimezone(ZoneInfo(zone)).date()
    holidays = {base + timedelta(days=offset) for offset in draw(st.sets(st.integers(-2, 12), max_size=5))}
    config = [
        {"weekday": w, "start": f"{s // 60:02d}:{s % 60:02d}", "end": f"{e // 60 % 24:02d}:{e % 60:02d}"}
        for w, s, e in intervals
    ]
    calendar = BusinessCalendar.from_config(zone, config, sorted(holidays))
    return calendar, Reference(zone, intervals, holidays)


def _instant(minute_offset: int) -> datetime:
    return RANGE_START + timedelta(minutes=minute_offset)


starts = st.one_of(
    st.integers(0, RANGE_MINUTES).map(_instant),
    st.builds(
        lambda day, minute: datetime.combine(day, datetime.min.time(), UTC) + timedelta(minutes=minute),
        st.sampled_from(TRANSITIONS),
        st.integers(-3 * 1440, 2 * 1440),
    ),
)


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[datetime, BusinessCalendar, Reference]:
    start = draw(starts)
    calendar, reference = draw(calendars(start))
    # Present the instant in a random zone; only the instant matters.
    return start.astimezone(ZoneInfo(draw(st.sampled_from(ZONES)))), calendar, reference


@PROPERTY_SETTINGS
@given(scenario=scenarios(), minutes=st.integers(0, 3000))
def test_add_matches_reference_and_between_inverts_it(
    scenario: tuple[datetime, BusinessCalendar, Reference], minutes: int
) -> None:
    start, calendar, reference = scenario
    due = add_business_minutes(start, minutes, calendar)
    assert due.tzinfo is UTC
    expected, counted_within_cap = reference.add(start, minutes)
    if expected is not None:
        assert due == expected
    else:
        cap_end = start.astimezone(UTC) + timedelta(minutes=REFERENCE_CAP)
        assert due > cap_end
        assert business_minutes_between(start, cap_end, calendar) == counted_within_cap
    assert business_minutes_between(start, due, calendar) == minutes


@PROPERTY_SETTINGS
@given(
    scenario=scenarios(),
    first=st.integers(0, REFERENCE_CAP // 2),
    second=st.integers(0, REFERENCE_CAP // 2),
)
def test_between_matches_reference_and_is_additive(
    scenario: tuple[datetime, BusinessCalendar, Reference], first: int, second: int
) -> None:
    a, calendar, reference = scenario
    b = a.astimezone(UTC) + timedelta(minutes=first)
    c = b + timedelta(minutes=second)
    ab = business_minutes_between(a, b, calendar)
    bc = business_minutes_between(b, c, calendar)
    ac = business_minutes_between(a, c, calendar)
    assert ac == ab + bc
    assert ac == reference.between(a, c)
    assert business_minutes_between(c, a, calendar) == 0


@PROPERTY_SETTINGS
@given(
    scenario=scenarios(),
    first=st.integers(0, 20_000),
    second=st.integers(0, 20_000),
    seconds=st.integers(0, 59),
    micros=st.integers(0, 999_999),
)
def test_add_is_monotone_and_consistent_for_unaligned_starts(
    scenario: tuple[datetime, BusinessCalendar, Reference], first: int, second: int, seconds: int, micros: int
) -> None:
    start, calendar, _ = scenario
    start = start.astimezone(UTC) + timedelta(seconds=seconds, microseconds=micros)
    low, high = sorted((first, second))
    due_low = add_business_minutes(start, low, calendar)
    due_high = add_business_minutes(start, high, calendar)
    assert due_low <= due_high
    if low < high:
        assert due_low < due_high
        assert math.isclose(business_minutes_between(due_low, due_high, calendar), high - low, abs_tol=1e-6)
    assert math.isclose(business_minutes_between(start, due_high, calendar), high, abs_tol=1e-6)
    # Adding in two steps is the same as adding at once.
    assert add_business_minutes(due_low, high - low, calendar) == due_high
