"""Business-time arithmetic for support SLAs (pure stdlib, no Django).

Targets are counted in minutes on one of two clocks:

* the 24x7 clock (``BusinessCalendar.always()``): every real minute counts;
* a business-hours clock (``BusinessCalendar.from_config(...)``): only minutes whose
  local wall-clock time, in the tenant's time zone, falls inside one of the tenant's
  weekly intervals and whose local date is not a holiday.

All arithmetic is done on real (UTC) instants with integer microseconds, so DST is
handled as "real elapsed time": a local interval that contains a skipped hour is shorter
and one that contains a repeated hour is longer.  Results are returned in UTC.

The caller owns ticket state (opened/paused/resumed instants, SLA states: ``tickets.states``);
this module only supplies the arithmetic.
"""

from __future__ import annotations

import heapq
import math
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any, Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = [
    "MINUTES_PER_DAY",
    "BusinessCalendar",
    "Interval",
    "add_business_minutes",
    "business_minutes_between",
    "due_after_resume",
    "remaining_minutes",
]

MINUTES_PER_DAY: Final = 1440

_US_PER_SECOND: Final = 1_000_000
_US_PER_MINUTE: Final = 60 * _US_PER_SECOND
_SECONDS_PER_DAY: Final = 86_400
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_ORDINAL: Final = date(1970, 1, 1).toordinal()
# Offsets are sampled this often when locating DST transitions around a day; tzdb never
# has two UTC-offset changes closer together than this.
_OFFSET_SAMPLE_SECONDS: Final = 6 * 3600
_HHMM: Final = re.compile(r"^(\d{2}):(\d{2})$")


# --------------------------------------------------------------------------- calendar


@dataclass(frozen=True, order=True)
class Interval:
    """Local business hours on one weekday: minutes ``[start_minute, end_minute)`` after midnight.

    ``weekday`` is 0 (Monday) .. 6 (Sunday); ``end_minute`` may be 1440 (end of the day).
    """

    weekday: int
    start_minute: int
    end_minute: int

    def __post_init__(self) -> None:
        for name in ("weekday", "start_minute", "end_minute"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError(f"Interval.{name} must be an int, got {value!r}")
        if not 0 <= self.weekday <= 6:
            raise ValueError(f"weekday must be 0-6 (Monday=0), got {self.weekday}")
        if not 0 <= self.start_minute < self.end_minute <= MINUTES_PER_DAY:
            raise ValueError(
                f"interval must satisfy 00:00 <= start < end <= 24:00, got "
                f"{_format_minute(self.start_minute)}-{_format_minute(self.end_minute)}"
            )

    @property
    def start(self) -> time:
        """Local start time."""
        return time(self.start_minute // 60, self.start_minute % 60)

    @property
    def minutes(self) -> int:
        """Nominal length in minutes (ignoring DST)."""
        return self.end_minute - self.start_minute

    def as_config(self) -> dict[str, Any]:
        """The ``{"weekday", "start", "end"}`` dict accepted by ``BusinessCalendar.from_config``."""
        return {
            "weekday": self.weekday,
            "start": _format_minute(self.start_minute),
            "end": _format_minute(self.end_minute),
        }


@dataclass(frozen=True)
class BusinessCalendar:
    """A tenant's SLA clock: time zone, weekly intervals and holiday dates.

    ``continuous=True`` is the 24x7 clock (every real minute counts; intervals and holidays
    are ignored).  Otherwise at least one interval is required.  Intervals are normalised
    on construction: sorted, and overlapping or touching intervals of a weekday merged.
    """

    timezone: str
    intervals: tuple[Interval, ...] = ()
    holidays: frozenset[date] = frozenset()
    continuous: bool = False
    _by_weekday: tuple[tuple[tuple[int, int], ...], ...] = field(
        init=False, repr=False, compare=False, hash=False
    )

    def __post_init__(self) -> None:
        _zone(self.timezone)
        merged = _merge_intervals(self.intervals)
        holidays = frozenset(self.holidays)
        for day in holidays:
            if isinstance(day, datetime) or not isinstance(day, date):
                raise ValueError(f"holidays must be dates, got {day!r}")
        if not self.continuous and not merged:
            raise ValueError(
                "a business-hours calendar needs at least one interval "
                "(use BusinessCalendar.always() for a 24x7 clock)"
            )
        by_weekday: list[list[tuple[int, int]]] = [[] for _ in range(7)]
        for interval in merged:
            by_weekday[interval.weekday].append((interval.start_minute, interval.end_minute))
        object.__setattr__(self, "intervals", merged)
        object.__setattr__(self, "holidays", holidays)
        object.__setattr__(self, "_by_weekday", tuple(tuple(spans) for spans in by_weekday))

    @classmethod
    def from_config(
        cls,
        timezone: str,
        intervals: Iterable[Mapping[str, Any]],
        holidays: Iterable[str | date] = (),
    ) -> BusinessCalendar:
        """Build and validate a business-hours calendar; raise ``ValueError`` on bad input.

        ``intervals``: ``{"weekday": 0-6, "start": "HH:MM", "end": "HH:MM"}``; an end of
        ``"24:00"`` or ``"00:00"`` means midnight at the end of that day.  ``holidays``:
        ``"YYYY-MM-DD"`` strings or ``date`` objects (local dates).
        """
        _zone(timezone)
        parsed: list[Interval] = []
        for index, raw in enumerate(intervals):
            where = f"intervals[{index}]"
            if not isinstance(raw, Mapping):
                raise ValueError(f"{where}: expected a mapping with weekday/start/end, got {raw!r}")
            missing = [key for key in ("weekday", "start", "end") if key not in raw]
            if missing:
                raise ValueError(f"{where}: missing key(s) {', '.join(missing)}")
            weekday = raw["weekday"]
            if isinstance(weekday, bool) or not isinstance(weekday, int) or not 0 <= weekday <= 6:
                raise ValueError(f"{where}: weekday must be an integer 0-6 (Monday=0), got {weekday!r}")
            start = _parse_clock(raw["start"], where=f"{where}.start", is_end=False)
            end = _parse_clock(raw["end"], where=f"{where}.end", is_end=True)
            if start >= end:
                raise ValueError(
                    f"{where}: start {_format_minute(start)} must be before end {_format_minute(end)}"
                )
            parsed.append(Interval(weekday, start, end))
        if not parsed:
            raise ValueError("business hours need at least one interval")
        days: list[date] = []
        for index, raw_day in enumerate(holidays):
            days.append(_parse_holiday(raw_day, where=f"holidays[{index}]"))
        return cls(timezone=timezone, intervals=tuple(parsed), holidays=frozenset(days))

    @classmethod
    def always(cls, timezone: str = "UTC") -> BusinessCalendar:
        """The 24x7 clock: every real minute counts, no holidays."""
        return cls(timezone=timezone, continuous=True)

    @property
    def weekly_minutes(self) -> int:
        """Nominal business minutes per week (ignoring DST and holidays)."""
        if self.continuous:
            return 7 * MINUTES_PER_DAY
        return sum(interval.minutes for interval in self.intervals)

    def to_config(self) -> dict[str, Any]:
        """Inverse of ``from_config`` (not meaningful for the 24x7 clock)."""
        return {
            "timezone": self.timezone,
            "intervals": [interval.as_config() for interval in self.intervals],
            "holidays": sorted(day.isoformat() for day in self.holidays),
        }


# --------------------------------------------------------------------------- arithmetic


def add_business_minutes(start: datetime, minutes: int | float, calendar: BusinessCalendar) -> datetime:
    """Earliest instant (UTC) at which ``minutes`` business minutes have elapsed since ``start``.

    ``start`` must be timezone-aware.  ``minutes == 0`` returns ``start`` (in UTC) even
    outside business hours.  Fractional minutes are honoured to the microsecond.
    """
    start_us = _to_us(start, "start")
    needed = _minutes_to_us(minutes)
    if needed == 0 or calendar.continuous:
        return _from_us(start_us + needed)
    for window_start, window_end in _windows(calendar, start_us):
        begin = max(window_start, start_us)
        available = window_end - begin
        if needed <= available:
            return _from_us(begin + needed)
        needed -= available
    raise AssertionError("unreachable: a calendar with intervals has infinitely many windows")


def business_minutes_between(start: datetime, end: datetime, calendar: BusinessCalendar) -> float:
    """Business minutes elapsed in ``[start, end)``; ``0.0`` if ``end <= start``.

    Inverse of :func:`add_business_minutes`:
    ``business_minutes_between(s, add_business_minutes(s, m, cal), cal) == m``.
    """
    start_us = _to_us(start, "start")
    end_us = _to_us(end, "end")
    if end_us <= start_us:
        return 0.0
    if calendar.continuous:
        return (end_us - start_us) / _US_PER_MINUTE
    total = 0
    for window_start, window_end in _windows(calendar, start_us):
        if window_start >= end_us:
            break
        total += min(window_end, end_us) - max(window_start, start_us)
    return total / _US_PER_MINUTE


# --------------------------------------------------------------------------- pause / resume


def remaining_minutes(target_minutes: int | float, elapsed_minutes: int | float) -> float:
    """Business minutes left on a target: ``max(0, target - elapsed)``."""
    target = _check_minutes(target_minutes, "target_minutes")
    elapsed = _check_minutes(elapsed_minutes, "elapsed_minutes")
    return float(max(0.0, target - elapsed))


def due_after_resume(
    resumed_at: datetime,
    target_minutes: int | float,
    elapsed_before_pause: int | float,
    calendar: BusinessCalendar,
) -> datetime:
    """New due instant (UTC) when a paused clock resumes: ``resumed_at`` + remaining business minutes.

    If nothing remains (the target was already used up before the pause) this is
    ``resumed_at`` itself, i.e. the ticket is due immediately.
    """
    return add_business_minutes(resumed_at, remaining_minutes(target_minutes, elapsed_before_pause), calendar)


# --------------------------------------------------------------------------- internals


def _zone(key: str) -> ZoneInfo:
    if not isinstance(key, str) or not key:
        raise ValueError(f"timezone must be a non-empty IANA name, got {key!r}")
    try:
        return ZoneInfo(key)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise ValueError(f"unknown timezone {key!r}") from exc


def _format_minute(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def _parse_clock(value: object, *, where: str, is_end: bool) -> int:
    """Minutes after midnight for "HH:MM" (or a ``time``); an end of 00:00/24:00 is 1440."""
    if isinstance(value, time):
        if value.second or value.microsecond:
            raise ValueError(f"{where}: times must be whole minutes, got {value.isoformat()}")
        minute = value.hour * 60 + value.minute
    elif isinstance(value, str) and (match := _HHMM.match(value.strip())):
        hours, mins = int(match.group(1)), int(match.group(2))
        if hours > 24 or mins > 59 or (hours == 24 and mins):
            raise ValueError(f"{where}: {value!r} is not a valid time (00:00-24:00)")
        minute = hours * 60 + mins
    else:
        raise ValueError(f"{where}: expected a time as 'HH:MM', got {value!r}")
    if is_end and minute == 0:
        return MINUTES_PER_DAY
    if not is_end and minute == MINUTES_PER_DAY:
        raise ValueError(f"{where}: an interval cannot start at 24:00")
    return minute


def _parse_holiday(value: object, *, where: str) -> date:
    if isinstance(value, datetime):
        raise ValueError(f"{where}: expected a date, got a datetime {value!r}")
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValueError(f"{where}: expected a date as 'YYYY-MM-DD', got {value!r}")


def _merge_intervals(intervals: Iterable[Interval]) -> tuple[Interval, ...]:
    items = tuple(intervals)
    for interval in items:
        if not isinstance(interval, Interval):
            raise ValueError(f"intervals must be Interval instances, got {interval!r}")
    merged: list[Interval] = []
    for interval in sorted(items):
        last = merged[-1] if merged else None
        if last is not None and last.weekday == interval.weekday and interval.start_minute <= last.end_minute:
            merged[-1] = Interval(last.weekday, last.start_minute, max(last.end_minute, interval.end_minute))
        else:
            merged.append(interval)
    return tuple(merged)


def _to_us(value: datetime, name: str) -> int:
    if not isinstance(value, datetime):
        raise ValueError(f"{name} must be a datetime, got {value!r}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {value.isoformat()}")
    return (value - _EPOCH) // timedelta(microseconds=1)


def _from_us(us: int) -> datetime:
    return _EPOCH + timedelta(microseconds=us)


def _check_minutes(minutes: int | float, name: str) -> int | float:
    if isinstance(minutes, bool) or not isinstance(minutes, int | float):
        raise ValueError(f"{name} must be a number, got {minutes!r}")
    if not math.isfinite(minutes) or minutes < 0:
        raise ValueError(f"{name} must be a finite number >= 0, got {minutes!r}")
    return minutes


def _minutes_to_us(minutes: int | float) -> int:
    checked = _check_minutes(minutes, "minutes")
    if isinstance(checked, int):
        return checked * _US_PER_MINUTE
    return round(checked * _US_PER_MINUTE)


def _offset_seconds(zone: ZoneInfo, epoch_seconds: int) -> int:
    offset = (_EPOCH + timedelta(seconds=epoch_seconds)).astimezone(zone).utcoffset()
    assert offset is not None
    return offset // timedelta(seconds=1)


@lru_cache(maxsize=8192)
def _offset_pieces(zone_key: str, ordinal: int) -> tuple[tuple[int, int, int], ...]:
    """Constant-UTC-offset pieces ``(start_s, end_s, offset_s)`` covering every instant whose
    local date can be ``ordinal``: epoch seconds ``[midnight - 1 day, midnight + 2 days)``."""
    zone = ZoneInfo(zone_key)
    midnight = (ordinal - _EPOCH_ORDINAL) * _SECONDS_PER_DAY
    low, high = midnight - _SECONDS_PER_DAY, midnight + 2 * _SECONDS_PER_DAY
    samples = list(range(low, high, _OFFSET_SAMPLE_SECONDS)) + [high]
    offsets = [_offset_seconds(zone, t) for t in samples]
    pieces: list[tuple[int, int, int]] = []
    piece_start = low
    for i in range(1, len(samples)):
        before, after = offsets[i - 1], offsets[i]
        if before == after:
            continue
        lo, hi = samples[i - 1], samples[i]  # offset(lo) == before, offset(hi) != before
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if _offset_seconds(zone, mid) == before:
                lo = mid
            else:
                hi = mid
        pieces.append((piece_start, hi, before))
        piece_start = hi
    pieces.append((piece_start, high, offsets[-1]))
    return tuple(pieces)


def _day_windows(calendar: BusinessCalendar, ordinal: int) -> list[tuple[int, int]]:
    """UTC windows (epoch microseconds) of the business minutes of one local date, sorted."""
    day = date.fromordinal(ordinal)
    spans = calendar._by_weekday[day.weekday()]
    if not spans or day in calendar.holidays:
        return []
    midnight = (ordinal - _EPOCH_ORDINAL) * _SECONDS_PER_DAY
    raw: list[tuple[int, int]] = []
    for piece_start, piece_end, offset in _offset_pieces(calendar.timezone, ordinal):
        for start_minute, end_minute in spans:
            # Instants t in this piece whose wall time t + offset lies in [start, end).
            begin = max(piece_start, midnight + start_minute * 60 - offset)
            end = min(piece_end, midnight + end_minute * 60 - offset)
            if begin < end:
                raw.append((begin, end))
    raw.sort()
    windows: list[tuple[int, int]] = []
    for begin, end in raw:
        if windows and begin <= windows[-1][1]:
            windows[-1] = (windows[-1][0], max(windows[-1][1], end))
        else:
            windows.append((begin, end))
    return [(begin * _US_PER_SECOND, end * _US_PER_SECOND) for begin, end in windows]


def _windows(calendar: BusinessCalendar, from_us: int) -> Iterator[tuple[int, int]]:
    """Disjoint business windows (epoch microseconds) ending after ``from_us``, in time order.

    Walks local dates one at a time (empty days and holidays cost a set lookup).  UTC
    offsets are below 24h, so windows of any later date start after midnight(D) read as
    UTC; once date D is processed every buffered window starting by then is final.  The
    heap keeps the order right even where the local date steps back at a fall-back.
    """
    ordinal = _EPOCH_ORDINAL + (from_us // _US_PER_SECOND - 2 * _SECONDS_PER_DAY) // _SECONDS_PER_DAY
    pending: list[tuple[int, int]] = []
    while True:
        for window in _day_windows(calendar, ordinal):
            heapq.heappush(pending, window)
        # Windows of later dates (> ordinal) start after midnight(ordinal) in UTC.
        threshold = (ordinal - _EPOCH_ORDINAL) * _SECONDS_PER_DAY * _US_PER_SECOND
        while pending and pending[0][0] <= threshold:
            window = heapq.heappop(pending)
            if window[1] > from_us:
                yield window
        ordinal += 1
