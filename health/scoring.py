"""Vectorised health scoring. Pure: pandas and numpy only, no database, unit tested alone.

Input: a frame of raw measure values (one row per account, one column per measure, NaN = no data)
and a validated scorecard whose measures carry their resolved mapping and weight. Output: each
measure's 0-100 score, each component's score (weighted mean of its measures that have data), the
account's score (weighted mean of the rounded component scores that have data, weights renormalised over them,
rounded half up to one decimal), and its band.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

EPSILON = 1e-9


def measure_column(component_key: str, measure_key: str) -> str:
    return f"{component_key}.{measure_key}"


def round_half_up(values: np.ndarray | pd.Series, decimals: int = 1) -> np.ndarray:
    """Round half away from zero for non-negative scores (79.95 -> 80.0), NaN stays NaN."""
    factor = 10.0**decimals
    array = np.asarray(values, dtype="float64")
    return np.floor(array * factor + 0.5 + EPSILON) / factor


def map_values(raw: np.ndarray | pd.Series, mapping: dict | None) -> np.ndarray:
    """Raw values to 0-100 by a linear or ranges mapping (see health/scorecard.py). NaN stays NaN."""
    values = np.asarray(raw, dtype="float64")
    if not mapping:
        return np.full(values.shape, np.nan)
    if mapping["type"] == "linear":
        zero_at, full_at = float(mapping["zero_at"]), float(mapping["full_at"])
        with np.errstate(invalid="ignore"):
            return np.clip((values - zero_at) / (full_at - zero_at) * 100.0, 0.0, 100.0)
    if mapping["type"] == "ranges":
        conditions, choices = [], []
        for item in mapping["ranges"]:
            with np.errstate(invalid="ignore"):
                conditions.append(np.ones(values.shape, dtype=bool) if item["min"] is None else values >= item["min"])
            choices.append(float(item["score"]))
        scored = np.select(conditions, choices, default=0.0)
        return np.where(np.isnan(values), np.nan, scored)
    raise ValueError(f"Unknown mapping type {mapping['type']!r}")


def raw_for_scores(targets: np.ndarray | pd.Series, mapping: dict | None) -> np.ndarray:
    """A raw value that ``map_values`` scores as close to each target (0-100) as the mapping allows: its
    inverse (linear: exact; ranges: the minimum of the range whose score is nearest, the catch-all one
    below every minimum). NaN target, or no mapping: NaN. Used to synthesise history (demo seeds)."""
    scores = np.asarray(targets, dtype="float64")
    if not mapping:
        return np.full(scores.shape, np.nan)
    if mapping["type"] == "linear":
        zero_at, full_at = float(mapping["zero_at"]), float(mapping["full_at"])
        return zero_at + np.clip(scores, 0.0, 100.0) / 100.0 * (full_at - zero_at)
    if mapping["type"] == "ranges":
        ranges = mapping["ranges"]
        minimums = [float(r["min"]) for r in ranges if r["min"] is not None]
        floor = (min(minimums) - 1.0) if minimums else 0.0
        values = np.asarray([floor if r["min"] is None else float(r["min"]) for r in ranges])
        levels = np.asarray([float(r["score"]) for r in ranges])
        nearest = np.abs(np.nan_to_num(scores)[:, None] - levels[None, :]).argmin(axis=1)
        return np.where(np.isnan(scores), np.nan, values[nearest])
    raise ValueError(f"Unknown mapping type {mapping['type']!r}")


def weighted_mean(scores: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Row-wise mean of ``scores`` (accounts x items) weighted by ``weights``, ignoring NaN (renormalised).

    A row with no values is NaN.
    """
    if scores.shape[1] == 0:
        return np.full(scores.shape[0], np.nan)
    present = ~np.isnan(scores)
    used_weight = present @ weights
    total = np.where(present, scores, 0.0) @ weights
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(used_weight > 0, total / np.where(used_weight > 0, used_weight, 1.0), np.nan)


def bands_for(scores: np.ndarray, bands: list[dict]) -> np.ndarray:
    """Band key per score (bands sorted by min_score descending), None where the score is NaN."""
    scores = np.asarray(scores, dtype="float64")
    if not bands:
        return np.full(scores.shape, None, dtype=object)
    with np.errstate(invalid="ignore"):
        conditions = [scores >= band["min_score"] for band in bands]
    keys = np.select(conditions, [band["key"] for band in bands], default=bands[-1]["key"]).astype(object)
    keys[np.isnan(scores)] = None
    return keys


@dataclass
class ScoreResult:
    """Everything a recompute writes, indexed by account id.

    ``measures``: measure scores (columns ``component.measure``); ``components``: component scores
    (rounded to one decimal); ``score``: the account's score (one decimal); ``status``: its band key.
    """

    raw: pd.DataFrame
    measures: pd.DataFrame
    components: pd.DataFrame
    score: pd.Series
    status: pd.Series


def score_accounts(raw: pd.DataFrame, card: dict) -> ScoreResult:
    """Score every row of ``raw`` with ``card`` (measures carry ``mapping`` and optional ``weight``).

    Columns of ``raw`` missing for a measure count as no data.
    """
    index = raw.index
    measure_scores: dict[str, np.ndarray] = {}
    component_scores: dict[str, np.ndarray] = {}
    for comp in card["components"]:
        columns, weights = [], []
        for item in comp["measures"]:
            column = measure_column(comp["key"], item["key"])
            values = raw[column].to_numpy(dtype="float64") if column in raw else np.full(len(index), np.nan)
            measure_scores[column] = map_values(values, item.get("mapping"))
            columns.append(measure_scores[column])
            weights.append(float(item.get("weight", 1)))
        matrix = np.column_stack(columns) if columns else np.empty((len(index), 0))
        # Components are shown rounded to one decimal; the score is computed from what is shown.
        component_scores[comp["key"]] = round_half_up(weighted_mean(matrix, np.asarray(weights, dtype="float64")))
    comp_matrix = (
        np.column_stack([component_scores[c["key"]] for c in card["components"]])
        if card["components"] else np.empty((len(index), 0))
    )
    comp_weights = np.asarray([float(c["weight"]) for c in card["components"]], dtype="float64")
    score = round_half_up(weighted_mean(comp_matrix, comp_weights))
    status = bands_for(score, card["bands"])
    return ScoreResult(
        raw=raw,
        measures=pd.DataFrame(measure_scores, index=index),
        components=pd.DataFrame(component_scores, index=index),
        score=pd.Series(score, index=index, name="score"),
        status=pd.Series(status, index=index, name="status", dtype=object),
    )


def band_rank(status: pd.Series, bands: list[dict]) -> pd.Series:
    """0 for the best band, 1 for the next... NaN for no band: comparing ranks tells a drop."""
    ranks = {band["key"]: i for i, band in enumerate(bands)}
    return status.map(ranks).astype("float64")
