"""Onboarding's scorecard sources (registered in ``core.registries.health`` from AppConfig.ready()).

* ``onboarding_on_track``: the account's active plan by its schedule status as a share
  (on track 1, at risk 0.5, late 0; see ``onboarding/metrics.py``).
* ``onboarding_progress``: the share of the active plan's tasks done (0-1, shown as %).

Accounts without an active plan have no data, so a scorecard measure on them renormalises away:
new accounts are scored on onboarding, established ones on everything else. One query for all accounts.
"""

from __future__ import annotations

from datetime import date

from core.registries.health import memoized, register_source
from onboarding.selectors import plans_for_health


def _plans(account_ids: list[int] | None, as_of: date) -> dict[int, dict]:
    key = ("onboarding_plans", None if account_ids is None else tuple(sorted(account_ids)), as_of)
    return memoized(key, lambda: plans_for_health(account_ids=account_ids, today=as_of))


def onboarding_on_track(tenant, account_ids: list[int] | None, as_of: date) -> dict[int, float]:
    return {account_id: row["on_track"] / 100 for account_id, row in _plans(account_ids, as_of).items()}


def onboarding_progress(tenant, account_ids: list[int] | None, as_of: date) -> dict[int, float]:
    return {account_id: row["progress"] / 100 for account_id, row in _plans(account_ids, as_of).items()}


def register() -> None:
    """Register the sources in the health registry."""
    register_source(
        "onboarding_on_track", "Onboarding on track", onboarding_on_track, "ratio",
        {"type": "linear", "zero_at": 0, "full_at": 1}, category="onboarding",
        description="The active onboarding plan's schedule: on track 100%, at risk 50%, late 0%.",
    )
    register_source(
        "onboarding_progress", "Onboarding progress", onboarding_progress, "ratio",
        {"type": "linear", "zero_at": 0, "full_at": 1}, category="onboarding",
        description="Share of the active onboarding plan's tasks done.",
    )
