"""The scorecard dry run (read only: nothing is written): the proposed card replayed on the tenant's stored
health history, set-based. Four queries whatever the tenant's size: the current card, the latest snapshot of
every account at each instant of the last ``HISTORY_DAYS`` days (one index probe per account and instant,
read through COPY), the renewal outcomes with the snapshot 90 days before each, and the names of the
accounts that change band. The re-scoring is ``health.replay`` (vectorised), the figures ``dashboards.dry_run``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

import pandas as pd
from django.utils import timezone

from accounts.models import Account
from dashboards import dry_run
from dashboards.validation_selectors import observation_rows
from health.replay import Unreplayable, replay_plan, rescore
from health.selectors import resolve_measures, scorecard_get, snapshots_at

HISTORY_DAYS = 90
STEP_DAYS = 15  # the distribution's instants: now, 15 days ago... 90 days ago
STALE_DAYS = 7  # an account counts at an instant when its latest snapshot then is at most this old
MOVES_SHOWN = 500


@dataclass
class DryRunPage:
    result: dry_run.DryRunResult
    unreplayable: list[Unreplayable] = field(default_factory=list)
    names: dict[int, str] = field(default_factory=dict)
    version: int = 0

    def _band(self, key: str | None) -> dict:
        bands = {band["key"]: band for band in [*self.result.bands_new, *self.result.bands_old]}
        if key is None:
            return {"key": "", "label": "No score", "colour": "grey"}
        return bands.get(key) or {"key": key, "label": key, "colour": "grey"}

    def move_rows(self) -> list[dict]:
        """The accounts changing band (the first ``MOVES_SHOWN``), with both bands' labels and colours."""
        return [{"move": move, "name": self.names.get(move.account_id, f"#{move.account_id}"),
                 "old": self._band(move.old_band), "new": self._band(move.new_band)}
                for move in self.result.moves[:MOVES_SHOWN]]

    def distribution_rows(self) -> list[dict]:
        """Per instant, per band of either card: accounts under the current card and under the proposed."""
        keys = [band["key"] for band in self.result.band_keys()]
        return [{"at": row.at, "accounts": row.accounts,
                 "cells": [(row.old.get(key, 0), row.new.get(key, 0)) for key in keys]}
                for row in self.result.distribution]

    def validation_rows(self) -> list[dict]:
        """Per band of either card (then not scored): renewals, lost and lost rate, current and proposed."""
        old = {row.key: row for row in self.result.validation_old.bands}
        new = {row.key: row for row in self.result.validation_new.bands}
        keys = list(dict.fromkeys([*old, *new]))
        keys.sort(key=lambda key: key == "")  # not scored last
        return [{"band": self._band(key) if key else {"key": "", "label": "Not scored then", "colour": ""},
                 "sides": [old.get(key), new.get(key)]} for key in keys]


def instants(now) -> list:
    """Now, then every ``STEP_DAYS`` back to ``HISTORY_DAYS`` back (each instant costs one index probe per
    account: 7 instants at 20,000 accounts is 140,000)."""
    days = sorted({*range(0, HISTORY_DAYS, STEP_DAYS), HISTORY_DAYS})
    return [now - timedelta(days=d) for d in days]


def scorecard_dry_run(*, proposed: dict, now=None) -> DryRunPage:
    """``proposed``: a validated scorecard (``health.scorecard.validate_scorecard``)."""
    config = scorecard_get()
    current = resolve_measures(config.as_dict())
    card = resolve_measures(proposed)
    plan = replay_plan(current, card)
    moments = instants(now or timezone.now())
    result = dry_run.DryRunResult(bands_old=config.bands, bands_new=card["bands"])

    history = snapshots_at(instants=moments, paths=plan.paths, stale_days=STALE_DAYS)
    scored = rescore(history[plan.columns], card)
    today = history["n"].to_numpy() == 1
    result.compared = int(today.sum())
    result.moves = dry_run.band_moves(history[today], scored.score[today], scored.status[today])
    result.distribution = dry_run.band_distribution(history, scored.status, moments)

    observations, raw = observation_rows(paths=plan.paths)
    replayed = rescore(raw[plan.columns].apply(pd.to_numeric, errors="coerce"), card)
    result.validation_old, result.validation_new = dry_run.validation_pair(
        observations, dry_run.replayed_observations(observations, raw["found"], replayed.score, replayed.status),
        config.bands, card["bands"],
    )
    shown = [move.account_id for move in result.moves[:MOVES_SHOWN]]
    names = dict(Account.objects.filter(pk__in=shown).values_list("pk", "name")) if shown else {}
    return DryRunPage(result=result, unreplayable=plan.unreplayable, names=names, version=config.version)
