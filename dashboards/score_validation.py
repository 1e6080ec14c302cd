"""Does the health score predict churn? Pure (no Django, no database): from one observation per known
renewal outcome (the score and band the account had before it, and whether it churned or downgraded),

* the churn rate per band (churned + downgraded / all), with the count behind each;
* the lift of the bottom band over the top (its churn rate divided by the top band's);
* the AUC of the score as a churn predictor: the probability that a random retained account scored higher
  than a random churned one, ties counted half. Computed as Mann-Whitney U from average ranks (O(n log n)):
  U = R_retained - n_r (n_r + 1) / 2, AUC = U / (n_r n_c). 0.5 is a coin flip, 1.0 a perfect ranking;
* the accounts that churned while in the top band ("churned while green"), to learn from.

Everything but that list comes from counts (``Cell``: how many observations share a band, a score and
lost-or-kept), so the page can have the database count them (``dashboards.validation_selectors``); the AUC
from counts per distinct score is the rank one exactly (``auc_from_counts``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
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


@dataclass(frozen=True)
class Cell:
    """``count`` observations in ``band`` with ``score`` (None: not scored then), lost or kept."""
    band: str | None
    score: float | None
    lost: bool
    count: int


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
    churned_while_top: list[Observation] = field(default_factory=list)  # the most recent first (maybe only some)
    churned_while_top_total: int = 0
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


def auc_from_counts(counts: Iterable[tuple[float, int, int]]) -> float | None:
    """``auc`` from ``(score, retained, lost)`` counts (a score may repeat): each retained account at a score
    beats every lost one below it and ties half the lost ones at it. Exactly ``auc`` of the same scores: twice
    U is an integer, so U and its quotient are the rank computation's to the last bit."""
    per_score: dict[float, list[int]] = {}
    for score, retained, lost in counts:
        pair = per_score.setdefault(float(score), [0, 0])
        pair[0] += retained
        pair[1] += lost
    n_r = sum(pair[0] for pair in per_score.values())
    n_l = sum(pair[1] for pair in per_score.values())
    if not n_r or not n_l:
        return None
    twice_u = lost_below = 0
    for score in sorted(per_score):
        retained, lost = per_score[score]
        twice_u += retained * (2 * lost_below + lost)
        lost_below += lost
    return float((twice_u / 2) / (n_r * n_l))


def cells(observations: Iterable[Observation]) -> list[Cell]:
    """The observations counted per band, score and lost-or-kept, in the order met."""
    counted = Counter((obs.band, None if obs.score is None else float(obs.score), obs.lost) for obs in observations)
    return [Cell(band=band, score=score, lost=lost, count=n) for (band, score, lost), n in counted.items()]


def summarise(counted: Iterable[Cell], bands: Sequence[dict], *, churned_while_top: list[Observation]) -> Validation:
    """The figures from the counts. ``bands``: the scorecard's bands, top first (``[{"key", "label"}]``). Bands
    seen in the history but no longer on the card follow in the order met; counts with no score and no band go
    in the unscored row. ``churned_while_top``: the lost observations of the top band to list (the most
    recent first, all or some; the total comes from the counts)."""
    order = [(band["key"], band.get("label") or band["key"]) for band in bands]
    rows = {key: BandRow(key=key, label=label) for key, label in order}
    unscored = BandRow(key=UNSCORED, label="Not scored then")
    scores: list[tuple[float, int, int]] = []
    result = Validation()
    for cell in counted:
        if cell.band is None and cell.score is None:
            row = unscored
        else:
            key = cell.band or UNSCORED
            row = rows.setdefault(key, BandRow(key=key, label=key or "No band"))
        row.accounts += cell.count
        row.lost += cell.count * cell.lost
        result.total += cell.count
        result.lost += cell.count * cell.lost
        if cell.score is not None:
            scores.append((cell.score, 0 if cell.lost else cell.count, cell.count if cell.lost else 0))
            if cell.lost:
                result.lost_scored += cell.count
            else:
                result.retained_scored += cell.count
    result.bands = [*rows.values(), *([unscored] if unscored.accounts else [])]
    result.auc = auc_from_counts(scores)
    result.scored = result.lost_scored + result.retained_scored
    if order:
        top, bottom = rows[order[0][0]], rows[order[-1][0]]
        result.top_label = top.label
        if top.rate and bottom.rate is not None:
            result.lift = round(bottom.rate / top.rate, 2)
        result.churned_while_top = churned_while_top
        result.churned_while_top_total = top.lost
    return result


def validate(observations: Sequence[Observation], bands: Sequence[dict]) -> Validation:
    """The figures of a list of observations (the scorecard dry run's replays): ``summarise`` over their
    counts, every churned-while-top observation listed."""
    top = bands[0]["key"] if bands else None
    churned = sorted((obs for obs in observations if obs.lost and obs.band == top),
                     key=lambda obs: (str(obs.outcome_on), obs.account_name), reverse=True)
    return summarise(cells(observations), bands, churned_while_top=churned)
