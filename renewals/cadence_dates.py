"""Touchpoint due dates: pure arithmetic, no database (unit tested alone).

The next touchpoint of a cadence for an account is due one interval after the last touchpoint that counts
for it (an activity of one of its ``resets_on`` kinds), or one interval after the account became a
customer when there is none yet. A month interval keeps the day of the month, clamped to the month's
end (31 January + 1 month = 28 or 29 February).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

DAYS, MONTHS = "days", "months"

# Which timeline activity kinds (accounts.models.ActivityKind values) count as a touchpoint of each cadence
# kind, when a cadence does not say otherwise.
DEFAULT_RESETS_ON: dict[str, tuple[str, ...]] = {
    "qbr": ("qbr",),
    "executive_review": ("qbr", "meeting"),
    "check_in": ("call", "meeting", "qbr"),
    "custom": ("meeting",),
}
TOUCHPOINT_ACTIVITY_KINDS = ("call", "meeting", "qbr", "email", "note")


def add_months(day: date, months: int) -> date:
    """``day`` moved by ``months`` calendar months, its day clamped to the target month's last day."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def add_interval(day: date, count: int, unit: str) -> date:
    if count < 1:
        raise ValueError("An interval is at least 1.")
    if unit == DAYS:
        return day + timedelta(days=count)
    if unit == MONTHS:
        return add_months(day, count)
    raise ValueError(f"Unknown interval unit {unit!r}")


def next_due(*, last_touch: date | None, customer_since: date | None, count: int, unit: str) -> date | None:
    """The next due date: last touchpoint + interval, else customer since + interval; None without either."""
    base = last_touch or customer_since
    return None if base is None else add_interval(base, count, unit)


def resets_on(kind: str, configured: list[str] | tuple[str, ...] | None) -> tuple[str, ...]:
    """The activity kinds that count for a cadence: its own list, or its kind's default."""
    return tuple(configured) if configured else DEFAULT_RESETS_ON.get(kind, DEFAULT_RESETS_ON["custom"])


@dataclass(frozen=True)
class Due:
    """One cadence's next touchpoint for one account."""

    cadence_id: int
    account_id: int
    due_date: date
    last_touch: date | None

    def opens_on(self, lead_days: int) -> date:
        return self.due_date - timedelta(days=lead_days)

    def days_left(self, today: date) -> int:
        return (self.due_date - today).days


def is_open_window(due_date: date, today: date, lead_days: int) -> bool:
    """Whether the prepare CTA should be open today: the due date is within ``lead_days`` (or past)."""
    return due_date - timedelta(days=lead_days) <= today


def dedupe_key(*, cadence_id: int, account_id: int, due_date: date) -> str:
    """One prepare CTA per account, cadence and due date (a new due date after a touchpoint, a new key)."""
    return f"cadence:{cadence_id}:{account_id}:{due_date.isoformat()}"
