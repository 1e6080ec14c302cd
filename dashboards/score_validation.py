"""Does the health score predict churn? Pure (no Django, no database): from one observation per known
renewal outcome (the score and band the account had before it, and whether it churned or downgraded),

* the churn rate per band (churned + downgraded / all), with the count behind each;
* the lift of the bottom band over the top (its churn rate divided by the top band's);
* the AUC of the score as a churn predictor: the probability that a random retained account scored higher
  than a random churned one, ties counted half. Computed as Mann-Whitney U from average ranks (O(n log n)):
  U = R_retained - n_r (n_r + 1) / 2, AUC = U / (n_r n_c). 0.5 is a coin flip, 1.0 a perfect ranking;
* the accounts that churned while in the top band ("churned while green"), to learn from.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

LOST_OUTCOMES = frozenset({"churned", "downgraded"})
UNSCORED = ""


@dataclass(frozen=True)
class Observation:
    account_id: int
    account_name: str
    outcome: str
    outcome_on: object  # a date
    score: float | None
    band: str | None

    @property
    def lost(self) -> bool:
        return self.outcome in LOST_OUTCOMES


@dataclass
class BandRow:
    key: str
    label: str
    accounts: int = 0
    lost: int = 0

    @property
    def rate(self) -> float | None:
        return round(100 * self.lost / self.accounts, 1) if self.accounts else None


@dataclass
class Validation:
    bands: list[BandRow] = field(default_factory=list)  # top band first; the unscored row last when any
    lift: float | None = None
    auc: float | None = None
    scored: int = 0
    lost_scored: int = 0
    retained_scored: int = 0
    churned_while_top: list[Observation] = field(default_factory=list)
    top_label: str = ""
    total: int = 0
    lost: int = 0


def auc(scores_retained: Sequence[float], scores_lost: Sequence[float]) -> float | None:
    """P(retained score > lost score) + 0.5 P(equal), from ranks; None when either group is empty."""
    n_r, n_l = len(scores_retained), len(scores_lost)
    if not n_r or not n_l:
        return None
    values = np.concatenate([np.asarray(scores_retained, dtype=float), np.asarray(scores_lost, dtype=float)])
    ranks = pd.Series(values).rank(method="average").to_numpy()
    u = ranks[:n_r].sum() - n_r * (n_r + 1) / 2
    return float(u / (n_r * n_l))


def validate(observations: Sequence[Observation], bands: Sequence[dict]) -> Validation:
    """``bands``: the scorecard's bands, top first (``[{"key", "label"}]``). Bands seen in the history but
    no longer on the card follow in the order met; observations with no score then go in the unscored row."""
    order = [(band["key"], band.get("label") or band["key"]) for band in bands]
    rows = {key: BandRow(key=key, label=label) for key, label in order}
    unscored = BandRow(key=UNSCORED, label="Not scored then")
    retained_scores, lost_scores = [], []
    for obs in observations:
        if obs.band is None and obs.score is None:
            row = unscored
        else:
            key = obs.band or UNSCORED
            row = rows.setdefault(key, BandRow(key=key, label=key or "No band"))
        row.accounts += 1
        row.lost += obs.lost
        if obs.score is not None:
            (lost_scores if obs.lost else retained_scores).append(float(obs.score))
    result = Validation(bands=[*rows.values(), *([unscored] if unscored.accounts else [])])
    result.total = len(observations)
    result.lost = sum(obs.lost for obs in observations)
    result.auc = auc(retained_scores, lost_scores)
    result.scored = len(retained_scores) + len(lost_scores)
    result.lost_scored, result.retained_scored = len(lost_scores), len(retained_scores)
    if order:
        top, bottom = rows[order[0][0]], rows[order[-1][0]]
        result.top_label = top.label
        if top.rate and bottom.rate is not None:
            result.lift = round(bottom.rate / top.rate, 2)
        result.churned_while_top = sorted((obs for obs in observations if obs.lost and obs.band == top.key),
                                          key=lambda obs: (str(obs.outcome_on), obs.account_name), reverse=True)
    return result
