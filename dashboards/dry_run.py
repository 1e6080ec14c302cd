"""A scorecard dry run's figures from replayed history. Pure (pandas, no database): what the stored history
says (the current card, as it was computed) against the proposed card replayed on the same snapshots
(``health.replay``), in three views:

* today: the accounts whose band would change (latest snapshot per account), with old and new score;
* the band distribution at each instant over the last 90 days, current against proposed;
* the score validation figures (``dashboards.score_validation``) under both cards, side by side.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

import numpy as np
import pandas as pd

from dashboards.score_validation import Observation, Validation, validate


@dataclass(frozen=True)
class BandMove:
    account_id: int
    old_band: str | None
    new_band: str | None
    old_score: float | None
    new_score: float | None

    @property
    def delta(self) -> float | None:
        if self.old_score is None or self.new_score is None:
            return None
        return round(self.new_score - self.old_score, 1)


@dataclass
class DistributionRow:
    at: datetime
    old: dict[str, int]  # band key -> accounts ("" for scored into no band)
    new: dict[str, int]

    @property
    def accounts(self) -> int:
        return sum(self.old.values())


@dataclass
class DryRunResult:
    bands_old: list[dict]
    bands_new: list[dict]
    compared: int = 0  # accounts with a snapshot today
    moves: list[BandMove] = field(default_factory=list)  # every account changing band, biggest drops first
    distribution: list[DistributionRow] = field(default_factory=list)  # oldest first
    validation_old: Validation | None = None
    validation_new: Validation | None = None

    @property
    def changed(self) -> int:
        return len(self.moves)

    def band_keys(self) -> list[dict]:
        """The bands of both cards (current first, then the proposed card's new keys), for table columns."""
        seen, keys = set(), []
        for band in [*self.bands_old, *self.bands_new]:
            if band["key"] not in seen:
                seen.add(band["key"])
                keys.append(band)
        return keys


def _optional(value) -> float | None:
    return None if value is None or (isinstance(value, float) and np.isnan(value)) else float(value)


def _band(value) -> str | None:
    return value if isinstance(value, str) and value else None


def band_moves(today: pd.DataFrame, new_score: pd.Series, new_band: pd.Series) -> list[BandMove]:
    """Rows of ``today`` (``account_id``, stored ``score`` and ``status``) whose band differs under the
    proposed card, the biggest score drops first (then by account id)."""
    old_band = today["status"].map(_band)
    new = new_band.map(_band)
    changed = (old_band.fillna("") != new.fillna("")).to_numpy()
    moves = [
        BandMove(account_id=int(account_id), old_band=ob, new_band=nb, old_score=_optional(os_), new_score=_optional(ns))
        for account_id, ob, nb, os_, ns in zip(
            today["account_id"].to_numpy()[changed], old_band[changed], new[changed],
            today["score"].to_numpy(dtype="float64")[changed], new_score.to_numpy(dtype="float64")[changed],
            strict=True,
        )
    ]
    return sorted(moves, key=lambda m: (m.delta if m.delta is not None else 0.0, m.account_id))


def band_distribution(frame: pd.DataFrame, new_band: pd.Series, instants: list[datetime]) -> list[DistributionRow]:
    """Accounts per band at each instant (``frame.n`` numbers the instants from 1), stored against proposed."""
    old = frame.groupby([frame["n"], frame["status"].map(_band).fillna("")]).size()
    new = frame.groupby([frame["n"], new_band.map(_band).fillna("")]).size()
    rows = []
    for n, at in enumerate(instants, 1):
        rows.append(DistributionRow(
            at=at,
            old={k: int(v) for k, v in (old.xs(n, level=0).items() if n in old.index.get_level_values(0) else [])},
            new={k: int(v) for k, v in (new.xs(n, level=0).items() if n in new.index.get_level_values(0) else [])},
        ))
    return sorted(rows, key=lambda row: row.at)


def replayed_observations(observations: list[Observation], found: pd.Series, new_score: pd.Series,
                          new_band: pd.Series) -> list[Observation]:
    """The observations with the proposed card's score and band where a snapshot was found then (the others
    stay not scored)."""
    replayed = []
    for obs, was_found, score, band in zip(observations, found.tolist(), new_score.tolist(), new_band.tolist(),
                                           strict=True):
        if was_found:
            obs = replace(obs, score=_optional(score), band=_band(band))
        replayed.append(obs)
    return replayed


def validation_pair(observations: list[Observation], replayed: list[Observation], bands_old: list[dict],
                    bands_new: list[dict]) -> tuple[Validation, Validation]:
    return validate(observations, bands_old), validate(replayed, bands_new)
