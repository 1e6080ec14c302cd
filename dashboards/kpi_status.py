"""On track or off track: a KPI's actual figure against its target (pure, no database).

A target is a comparator and a figure: ``at_least`` 115 (NRR) is reached by any actual of 115 or more,
``at_most`` 30 (days to value) by any actual of 30 or less. Reaching the figure exactly counts as on track
(the handbooks' "> 115%" is read as the figure to reach). An actual of ``None`` (nothing to compute it from:
no starting ARR, no survey answers, no plan live yet) is ``no_data``, never off track.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum


class Comparator(StrEnum):
    AT_LEAST = "at_least"
    AT_MOST = "at_most"

    @property
    def label(self) -> str:
        return "at least" if self is Comparator.AT_LEAST else "at most"

    @property
    def symbol(self) -> str:
        return "≥" if self is Comparator.AT_LEAST else "≤"


class Status(StrEnum):
    ON_TRACK = "on_track"
    OFF_TRACK = "off_track"
    NO_DATA = "no_data"

    @property
    def label(self) -> str:
        return {"on_track": "On track", "off_track": "Off track", "no_data": "No data"}[self.value]


@dataclass(frozen=True)
class Assessment:
    status: Status
    gap: Decimal | None  # actual - target, signed (None without data)


def as_decimal(value) -> Decimal | None:
    """An actual as a Decimal (floats through their shortest repr, so 4.5 stays 4.5); None for no data."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        return value if value.is_finite() else None
    try:
        result = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return result if result.is_finite() else None


def assess(actual, *, comparator: Comparator | str, target: Decimal) -> Assessment:
    value = as_decimal(actual)
    if value is None:
        return Assessment(Status.NO_DATA, None)
    comparator = Comparator(comparator)
    reached = value >= target if comparator is Comparator.AT_LEAST else value <= target
    return Assessment(Status.ON_TRACK if reached else Status.OFF_TRACK, value - target)
