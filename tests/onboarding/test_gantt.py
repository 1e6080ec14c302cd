"""Pure date math (no database)."""

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from onboarding import gantt


def test_offsets_are_zero_based():
    start = date(2026, 3, 2)
    assert gantt.offset_date(start, 0) == start
    assert gantt.offset_date(start, 6) == date(2026, 3, 8)
    assert gantt.offset_date(start, 7) == date(2026, 3, 9)


def test_phase_status_rollup():
    assert gantt.phase_status([]) == "not_started"
    assert gantt.phase_status(["not_started", "not_started"]) == "not_started"
    assert gantt.phase_status(["done", "not_started"]) == "in_progress"
    assert gantt.phase_status(["in_progress"]) == "in_progress"
    assert gantt.phase_status(["done", "blocked"]) == "blocked"
    assert gantt.phase_status(["done", "done"]) == "done"


def test_progress_is_floor_of_done_share():
    assert gantt.progress_percent(0, 0) == 0
    assert gantt.progress_percent(1, 4) == 25
    assert gantt.progress_percent(2, 3) == 66
    assert gantt.progress_percent(199, 200) == 99
    assert gantt.progress_percent(6, 6) == 100


@given(st.integers(0, 500), st.integers(1, 500))
def test_progress_bounds(done, total):
    done = min(done, total)
    value = gantt.progress_percent(done, total)
    assert 0 <= value <= 100
    assert (value == 100) == (done == total)


def test_overdue_means_unfinished_and_due_before_today():
    today = date(2026, 3, 10)
    assert gantt.is_overdue(date(2026, 3, 9), "in_progress", today)
    assert not gantt.is_overdue(date(2026, 3, 10), "not_started", today)
    assert not gantt.is_overdue(date(2026, 3, 1), "done", today)
    assert not gantt.is_overdue(None, "not_started", today)


def test_days_between_never_negative():
    assert gantt.days_between(date(2026, 3, 2), date(2026, 3, 20)) == 18
    assert gantt.days_between(date(2026, 3, 2), date(2026, 3, 1)) == 0


def test_check_in_dates():
    assert gantt.check_in_dates(date(2026, 4, 1), [90, 30, 60, 30]) == [
        (30, date(2026, 5, 1)), (60, date(2026, 5, 31)), (90, date(2026, 6, 30)),
    ]


def test_window_bars_and_ticks():
    window = gantt.Window(date(2026, 3, 1), date(2026, 3, 31))  # 30 days
    assert window.position(date(2026, 3, 1)) == 0
    assert window.position(date(2026, 3, 16)) == 50
    assert window.position(date(2027, 1, 1)) == 100
    left, width = window.bar(date(2026, 3, 1), date(2026, 3, 3))  # 3 days inclusive
    assert (left, width) == (0, 10)
    ticks = gantt.week_ticks(window)
    assert [d for _, d in ticks] == [date(2026, 3, 2), date(2026, 3, 9), date(2026, 3, 16), date(2026, 3, 23), date(2026, 3, 30)]
    assert all(d.weekday() == 0 for _, d in ticks)


def test_window_covers_spans_and_today():
    window = gantt.window_for([(date(2026, 3, 2), date(2026, 4, 19))], today=date(2026, 5, 1), pad_days=0)
    assert window.start == date(2026, 3, 2)
    assert window.end == date(2026, 5, 2)
    assert window.contains(date(2026, 5, 1))


def test_lanes_separate_overlapping_phases():
    d = lambda n: date(2026, 3, 1 + n)  # noqa: E731
    # RAG Fortress: setup wk2, ingestion wk2-4, training wk3-5, testing wk5, prep wk6
    spans = [(d(0), d(6)), (d(7), d(13)), (d(7), d(27)), (d(14), d(29)), (d(28), d(29))]
    lanes = gantt.assign_lanes(spans)
    assert lanes == [0, 0, 1, 0, 1]
    for i, (s1, e1) in enumerate(spans):
        for j, (s2, e2) in enumerate(spans):
            if i < j and lanes[i] == lanes[j]:
                assert e1 < s2 or e2 < s1
