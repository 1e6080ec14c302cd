"""Gantt date math of onboarding plans (pure, no Django): day offsets, phase roll-ups, progress, and the
bar geometry (window, bars, lanes, week ticks) the board and the plan page draw.

Offsets are 0-based days from a plan's start: day 0 is the start date itself, so a phase with
``start_day=7, end_day=13`` on a plan starting Monday 2026-03-02 runs 2026-03-09 .. 2026-03-15.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

NOT_STARTED, IN_PROGRESS, DONE, BLOCKED = "not_started", "in_progress", "done", "blocked"
WEEK_8_DAYS = 56  # "operational by week 8": live within days 0..55 of the plan


def offset_date(start: date, day: int) -> date:
    """The calendar date of day offset ``day`` (0-based) of a plan starting on ``start``."""
    return start + timedelta(days=day)


def phase_status(task_statuses: Iterable[str]) -> str:
    """A phase's status from its tasks': all done -> done; any blocked -> blocked; any started -> in
    progress; else not started. A phase without tasks is not started."""
    statuses = list(task_statuses)
    if statuses and all(s == DONE for s in statuses):
        return DONE
    if BLOCKED in statuses:
        return BLOCKED
    if any(s in (IN_PROGRESS, DONE) for s in statuses):
        return IN_PROGRESS
    return NOT_STARTED


def progress_percent(done: int, total: int) -> int:
    """Done tasks / all tasks as a whole percent, rounded down (100 only when every task is done)."""
    if total <= 0:
        return 0
    return max(0, min(100, done * 100 // total))


def is_overdue(due: date | None, status: str, today: date) -> bool:
    """Unfinished past its due date (due yesterday or earlier)."""
    return due is not None and status != DONE and due < today


def days_between(start: date, end: date) -> int:
    """Whole days from ``start`` to ``end`` (never negative): time to value, time to go-live."""
    return max(0, (end - start).days)


def check_in_dates(go_live: date, days: Iterable[int]) -> list[tuple[int, date]]:
    """(day, due date) of each post-go-live check-in, e.g. 30/60/90 days after go-live."""
    return [(day, go_live + timedelta(days=day)) for day in sorted(set(days))]


@dataclass(frozen=True)
class Window:
    """The date range a timeline draws (inclusive start, exclusive end)."""

    start: date
    end: date

    @property
    def days(self) -> int:
        return max(1, (self.end - self.start).days)

    def position(self, day: date) -> float:
        """Percent from the left edge of the window at which ``day`` begins, clamped to 0..100."""
        return round(min(100.0, max(0.0, (day - self.start).days * 100 / self.days)), 2)

    def bar(self, start: date, end: date) -> tuple[float, float]:
        """(left %, width %) of a bar covering ``start``..``end`` inclusive, clipped to the window."""
        left = self.position(start)
        right = self.position(end + timedelta(days=1))
        return left, round(max(0.0, right - left), 2)

    def contains(self, day: date) -> bool:
        return self.start <= day < self.end


def window_for(spans: Iterable[tuple[date, date]], today: date, pad_days: int = 3) -> Window:
    """A window covering every (start, end) span and today, padded a little on both sides."""
    starts, ends = [today], [today]
    for start, end in spans:
        starts.append(start)
        ends.append(end)
    return Window(min(starts) - timedelta(days=pad_days), max(ends) + timedelta(days=pad_days + 1))


def week_ticks(window: Window, max_ticks: int = 12) -> list[tuple[float, date]]:
    """(left %, Monday) tick marks for the window's weeks, thinned to at most ``max_ticks``."""
    first_monday = window.start + timedelta(days=(7 - window.start.weekday()) % 7)
    mondays = []
    day = first_monday
    while day < window.end:
        mondays.append(day)
        day += timedelta(days=7)
    step = max(1, -(-len(mondays) // max_ticks))
    return [(window.position(d), d) for d in mondays[::step]]


def assign_lanes(spans: Iterable[tuple[date, date]]) -> list[int]:
    """A lane (row) per span so that spans in one lane never overlap: greedy, in the given order.
    Lets a compact timeline draw overlapping phases (data ingestion weeks 2-4 beside training 3-5)."""
    lane_ends: list[date] = []
    lanes = []
    for start, end in spans:
        for lane, last_end in enumerate(lane_ends):
            if start > last_end:
                lane_ends[lane] = end
                lanes.append(lane)
                break
        else:
            lane_ends.append(end)
            lanes.append(len(lane_ends) - 1)
    return lanes
