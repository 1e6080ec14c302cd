"""Replaying a proposed scorecard on stored health history. Pure: no database, unit tested alone.

Every snapshot keeps the raw value behind each measure (``measures``: ``{component: {measure: [raw, score]}}``),
so a proposed card re-scores history exactly where it asks for a raw value the history holds:

* new component or measure weights, new bands, new mappings (linear or ranges), measures moved, renamed or
  removed: replayed from the stored raw values with ``health.scoring.score_accounts``, as a recompute would;
* a measure whose source is not on the current card, or whose window differs from the current card's, asks
  for a raw value history never stored: it cannot be replayed, and counts as "no data" in the replay (its
  component renormalises over the others, as a recompute does for a source with no data). ``replay_plan``
  lists each such measure with the reason, and the dry-run page shows them.

A stored raw value is read at the place the current card keeps that source and window. Snapshots written
under an earlier card that kept a source elsewhere (or not at all) have no value there and count as no data.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from health.scoring import ScoreResult, measure_column, score_accounts


@dataclass(frozen=True)
class Unreplayable:
    component: str
    measure: str
    reason: str


@dataclass
class ReplayPlan:
    """Where each proposed measure's raw value is read in a stored snapshot (``paths``: column ->
    ``[component key, measure key]``) and the proposed measures history cannot replay."""

    paths: dict[str, list[str]] = field(default_factory=dict)
    unreplayable: list[Unreplayable] = field(default_factory=list)

    @property
    def columns(self) -> list[str]:
        return list(self.paths)


def _identity(item: dict) -> tuple[str, int | None]:
    return item["source"], item.get("window_days")


def replay_plan(current: dict, proposed: dict) -> ReplayPlan:
    """Both cards resolved (``health.selectors.resolve_measures``: sources' default windows and mappings
    filled in). A proposed measure is replayable when the current card has a measure of the same source and
    window: history stores its raw value under that measure."""
    stored: dict[tuple[str, int | None], list[str]] = {}
    windows: dict[str, int | None] = {}
    for comp in current["components"]:
        for item in comp["measures"]:
            stored.setdefault(_identity(item), [comp["key"], item["key"]])
            windows.setdefault(item["source"], item.get("window_days"))
    plan = ReplayPlan()
    for comp in proposed["components"]:
        for item in comp["measures"]:
            path = stored.get(_identity(item))
            if path is not None:
                plan.paths[measure_column(comp["key"], item["key"])] = path
                continue
            if item["source"] in windows:
                reason = (f"its window changes from {windows[item['source']]} to {item.get('window_days')} days; "
                          "history holds the value over the current window only")
            else:
                reason = "its source is not on the current scorecard, so history holds no value for it"
            plan.unreplayable.append(Unreplayable(comp.get("label") or comp["key"], item.get("label") or item["key"],
                                                  reason))
    return plan


def rescore(raw: pd.DataFrame, proposed: dict) -> ScoreResult:
    """Score stored raw values (one row per snapshot, the plan's columns; missing columns are no data) with
    the proposed card."""
    return score_accounts(raw.astype("float64"), proposed)

