"""health/scoring.py alone: mappings, weights, renormalisation, rounding and band edges (no database)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from health.scorecard import band_for
from health.scoring import bands_for, map_values, round_half_up, score_accounts, weighted_mean

BANDS = [{"key": "green", "min_score": 80}, {"key": "yellow", "min_score": 60}, {"key": "red", "min_score": 0}]
FOUR = [{"key": "healthy", "min_score": 80}, {"key": "at_risk", "min_score": 60},
        {"key": "critical", "min_score": 40}, {"key": "churn_risk", "min_score": 0}]
IDENTITY = {"type": "linear", "zero_at": 0, "full_at": 100}


def card(weights: list[int], bands=BANDS) -> dict:
    return {"components": [{"key": f"c{i}", "label": f"C{i}", "weight": w,
                            "measures": [{"key": "m", "mapping": IDENTITY}]} for i, w in enumerate(weights)],
            "bands": bands}


def test_linear_mapping_clamps_and_inverts():
    values = np.array([-5, 0, 25, 100, 150, np.nan])
    assert np.allclose(map_values(values, IDENTITY)[:5], [0, 0, 25, 100, 100])
    assert math.isnan(map_values(values, IDENTITY)[5])
    days = map_values(np.array([7, 60, 33.5, 1, 90]), {"type": "linear", "zero_at": 60, "full_at": 7})
    assert np.allclose(days, [100, 0, 50, 100, 0])


def test_ranges_mapping_first_reached_minimum():
    mapping = {"type": "ranges", "ranges": [{"min": 0.8, "score": 100}, {"min": 0.5, "score": 60}, {"min": None, "score": 20}]}
    out = map_values(np.array([0.9, 0.8, 0.79, 0.5, 0.1, np.nan]), mapping)
    assert list(out[:5]) == [100, 100, 60, 60, 20] and math.isnan(out[5])
    strict = {"type": "ranges", "ranges": [{"min": 3, "score": 100}, {"min": 1, "score": 50}]}
    assert list(map_values(np.array([3, 2, 0.5]), strict)) == [100, 50, 0]


def test_component_with_no_data_is_null_and_others_renormalise():
    raw = pd.DataFrame({"c0.m": [90.0, np.nan, np.nan], "c1.m": [60.0, 50.0, np.nan]}, index=[1, 2, 3])
    result = score_accounts(raw, card([40, 60]))
    assert result.components.loc[1].tolist() == [90.0, 60.0]
    assert result.score[1] == 72.0  # (90*40 + 60*60) / 100
    assert math.isnan(result.components.loc[2, "c0"]) and result.score[2] == 50.0  # renormalised over c1
    assert math.isnan(result.score[3]) and result.status[3] is None


def test_measures_average_within_a_component_with_their_weights():
    spec = {"components": [{"key": "u", "label": "U", "weight": 100, "measures": [
        {"key": "a", "mapping": IDENTITY, "weight": 3}, {"key": "b", "mapping": IDENTITY}, {"key": "gone", "mapping": None},
    ]}], "bands": BANDS}
    raw = pd.DataFrame({"u.a": [100.0, np.nan], "u.b": [20.0, 40.0], "u.gone": [5.0, 5.0]}, index=[1, 2])
    result = score_accounts(raw, spec)
    assert result.components["u"].tolist() == [80.0, 40.0]
    assert math.isnan(result.measures.loc[1, "u.gone"])


def test_missing_column_counts_as_no_data():
    result = score_accounts(pd.DataFrame(index=pd.Index([7], name="id")), card([100]))
    assert math.isnan(result.score[7])


def test_rounding_half_up_to_one_decimal_and_band_edges():
    assert list(round_half_up(np.array([79.95, 79.94, 59.96, 0.05, 72.25]))) == [80.0, 79.9, 60.0, 0.1, 72.3]
    scores = np.array([80.0, 79.9, 60.0, 59.9, 0.0, np.nan])
    assert list(bands_for(scores, BANDS)) == ["green", "yellow", "yellow", "red", "red", None]
    assert list(bands_for(np.array([40.0, 39.9, 100.0]), FOUR)) == ["critical", "churn_risk", "healthy"]
    raw = pd.DataFrame({"c0.m": [79.95]}, index=[1])
    result = score_accounts(raw, card([100]))
    assert result.score[1] == 80.0 and result.status[1] == "green"


@settings(max_examples=150, deadline=None)
@given(
    weights=st.lists(st.integers(min_value=1, max_value=100), min_size=1, max_size=6),
    data=st.data(),
)
def test_score_is_the_renormalised_weighted_mean_of_components_with_data(weights, data):
    values = data.draw(st.lists(st.one_of(st.none(), st.floats(min_value=0, max_value=100)),
                                min_size=len(weights), max_size=len(weights)))
    raw = pd.DataFrame({f"c{i}.m": [np.nan if v is None else v] for i, v in enumerate(values)}, index=[1])
    result = score_accounts(raw, card(weights))
    present = [(w, round_half_up(np.array([v]))[0]) for w, v in zip(weights, values, strict=True) if v is not None]
    if not present:
        assert math.isnan(result.score[1]) and result.status[1] is None
        return
    expected = sum(w * v for w, v in present) / sum(w for w, _ in present)
    assert abs(result.score[1] - expected) <= 0.05 + 1e-9
    assert result.score[1] == round_half_up(np.array([expected]))[0]
    assert 0 <= result.score[1] <= 100
    assert result.status[1] == band_for(result.score[1], BANDS)


@settings(max_examples=100, deadline=None)
@given(score=st.floats(min_value=0, max_value=100), bands=st.sampled_from([BANDS, FOUR]))
def test_band_is_the_first_band_whose_minimum_the_score_reaches(score, bands):
    key = bands_for(np.array([score]), bands)[0]
    chosen = next(b for b in bands if b["key"] == key)
    assert score >= chosen["min_score"]
    better = bands[: bands.index(chosen)]
    assert all(score < b["min_score"] for b in better)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(min_value=0, max_value=100), min_size=1, max_size=5))
def test_equal_weights_scale_free(values):
    scores = np.array([values])
    assert np.isclose(weighted_mean(scores, np.ones(len(values)))[0], weighted_mean(scores, np.full(len(values), 7.0))[0])


@pytest.mark.parametrize("weights", [[100], [50, 50], [40, 20, 20, 20]])
def test_all_components_full_score_gives_100(weights):
    raw = pd.DataFrame({f"c{i}.m": [100.0] for i in range(len(weights))}, index=[1])
    assert score_accounts(raw, card(weights)).score[1] == 100.0
