"""Retention of health snapshots: which computations of an account's health are kept (pure, no Django).

Recompute writes one snapshot per account per run (hourly), so history is thinned as it ages:

* every snapshot of the last ``keep_all_days`` days is kept;
* older ones, up to ``keep_daily_days`` days, only when they are the last of their day (the tenant's
  local day, as the trend chart groups them): one per account per day;
* anything older is dropped,

except an account's newest snapshot, which is always kept (the API's current health reads it).

"The last of its day" means no newer snapshot of the account falls on the same day, so the rule only
ever compares a snapshot with the next newer one: that is what ``health.services.prune_snapshots``
does in SQL with one window (``lag`` over the account's snapshots, newest first). Applying the policy
to what it keeps keeps everything (it is idempotent).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import Any, NamedTuple

SETTINGS_KEY = "health_retention"
DEFAULT_KEEP_ALL_DAYS = 14
DEFAULT_KEEP_DAILY_DAYS = 400
MIN_DAYS, MAX_DAYS = 1, 3650
FIELD_LABELS = {"keep_all_days": "Keep every snapshot for (days)", "keep_daily_days": "Keep one a day for (days)"}


class Snapshot(NamedTuple):
    id: int
    account_id: int
    computed_at: datetime  # aware


@dataclass(frozen=True)
class RetentionPolicy:
    keep_all_days: int = DEFAULT_KEEP_ALL_DAYS
    keep_daily_days: int = DEFAULT_KEEP_DAILY_DAYS

    def keep_all_since(self, now: datetime) -> datetime:
        return now - timedelta(days=self.keep_all_days)

    def keep_daily_since(self, now: datetime) -> datetime:
        return now - timedelta(days=self.keep_daily_days)

    def as_dict(self) -> dict[str, int]:
        return {"keep_all_days": self.keep_all_days, "keep_daily_days": self.keep_daily_days}


class RetentionInvalid(ValueError):
    """Bad retention settings: ``errors`` maps each field to its messages."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__(str(errors))
        self.errors = errors


def policy_from_settings(settings: Mapping[str, Any] | None) -> RetentionPolicy:
    """The tenant's policy from its settings JSON (defaults for anything missing or malformed)."""
    stored = (settings or {}).get(SETTINGS_KEY) or {}
    try:
        return validate_retention(stored if isinstance(stored, Mapping) else {}, RetentionPolicy())
    except RetentionInvalid:
        return RetentionPolicy()


def validate_retention(data: Mapping[str, Any], current: RetentionPolicy) -> RetentionPolicy:
    """``current`` with the days given in ``data`` (whole days, 1..3650; the keep-all window no longer
    than the daily one). Raises :class:`RetentionInvalid`."""
    if not isinstance(data, Mapping):
        raise RetentionInvalid({"retention": ["Send an object with keep_all_days and/or keep_daily_days."]})
    errors: dict[str, list[str]] = {}
    values = current.as_dict()
    for name, value in data.items():
        if name not in values:
            errors.setdefault("retention", []).append(f"Unknown setting {name!r}.")
            continue
        whole = isinstance(value, int | float) and not isinstance(value, bool) and float(value).is_integer()
        if not whole or not MIN_DAYS <= value <= MAX_DAYS:
            errors.setdefault(name, []).append(f"Give a whole number of days from {MIN_DAYS} to {MAX_DAYS}.")
            continue
        values[name] = int(value)
    if not errors and values["keep_all_days"] > values["keep_daily_days"]:
        errors["keep_all_days"] = ["Keeping every snapshot cannot last longer than keeping one a day."]
    if errors:
        raise RetentionInvalid(errors)
    return RetentionPolicy(**values)


def snapshots_to_keep(
    snapshots: Iterable[Snapshot], *, policy: RetentionPolicy, now: datetime, tz: tzinfo
) -> set[int]:
    """The ids of the snapshots the policy keeps at ``now`` (days are local days in ``tz``)."""
    keep_all_since, keep_daily_since = policy.keep_all_since(now), policy.keep_daily_since(now)
    by_account: dict[int, list[Snapshot]] = defaultdict(list)
    for snapshot in snapshots:
        by_account[snapshot.account_id].append(snapshot)
    kept: set[int] = set()
    for history in by_account.values():
        history.sort(key=lambda s: (s.computed_at, s.id), reverse=True)
        newer: Snapshot | None = None
        for snapshot in history:
            last_of_day = newer is None or local_day(newer.computed_at, tz) != local_day(snapshot.computed_at, tz)
            if (
                newer is None  # the account's newest
                or snapshot.computed_at >= keep_all_since
                or (snapshot.computed_at >= keep_daily_since and last_of_day)
            ):
                kept.add(snapshot.id)
            newer = snapshot
    return kept


def local_day(moment: datetime, tz: tzinfo):
    return moment.astimezone(tz).date()
