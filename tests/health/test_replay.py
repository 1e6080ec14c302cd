"""The replay of a proposed scorecard on stored raw values (pure), and the inverse mapping the demo history
is synthesised with."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from health.replay import replay_plan, rescore
from health.scoring import map_values, raw_for_scores


def card(*components, bands=None):
    return {"components": list(components), "bands": bands or [
        {"key": "green", "label": "Green", "min_score": 80}, {"key": "yellow", "label": "Yellow", "min_score": 60},
        {"key": "red", "label": "Red", "min_score": 0}]}


def comp(key, weight, *measures):
    return {"key": key, "label": key.title(), "weight": weight, "measures": list(measures)}


def meas(key, source, window=30, mapping=None):
    return {"key": key, "label": key, "source": source, "window_days": window,
            "mapping": mapping or {"type": "linear", "zero_at": 0, "full_at": 1}}


CURRENT = card(comp("usage", 60, meas("seats", "seat_utilisation")), comp("relationship", 40, meas("champ", "champion_present", None)))


def test_plan_reads_each_source_where_the_current_card_stored_it():
    proposed = card(
        comp("product", 50, meas("utilisation", "seat_utilisation")),  # renamed and moved: replayable
        comp("relationship", 30, meas("champ", "champion_present", None)),
        comp("voice", 20, meas("nps", "nps_latest", None), meas("seats60", "seat_utilisation", 60)),
    )
    plan = replay_plan(CURRENT, proposed)
    assert plan.paths == {"product.utilisation": ["usage", "seats"], "relationship.champ": ["relationship", "champ"]}
    assert [(u.measure, u.reason.split(",")[0].split(";")[0]) for u in plan.unreplayable] == [
        ("nps", "its source is not on the current scorecard"), ("seats60", "its window changes from 30 to 60 days")]


def test_rescore_by_hand_with_new_weights_mapping_and_bands():
    proposed = card(comp("usage", 20, meas("seats", "seat_utilisation", mapping={"type": "linear", "zero_at": 0, "full_at": 0.5})),
                    comp("relationship", 80, meas("champ", "champion_present", None,
                                                  {"type": "ranges", "ranges": [{"min": 1, "score": 100}, {"min": None, "score": 25}]})),
                    bands=[{"key": "good", "label": "Good", "min_score": 50}, {"key": "poor", "label": "Poor", "min_score": 30},
                           {"key": "bad", "label": "Bad", "min_score": 0}])
    raw = pd.DataFrame({"usage.seats": [0.25, 1.0, np.nan], "relationship.champ": [0.0, 1.0, np.nan]})
    result = rescore(raw, proposed)
    # 0.2 * 50 + 0.8 * 25 = 30 (poor); 0.2 * 100 + 0.8 * 100 = 100 (good); no data: no score, no band
    assert result.score.tolist()[:2] == [30.0, 100.0] and np.isnan(result.score.iloc[2])
    assert result.status.tolist() == ["poor", "good", None]


def test_a_measure_history_cannot_replay_counts_as_no_data():
    proposed = card(comp("usage", 50, meas("seats", "seat_utilisation")), comp("voice", 50, meas("nps", "nps_latest")))
    plan = replay_plan(CURRENT, proposed)
    result = rescore(pd.DataFrame({"usage.seats": [0.7]}), proposed)
    assert plan.columns == ["usage.seats"] and result.score.tolist() == [70.0]  # voice renormalised away


@given(st.floats(0, 100), st.floats(-50, 50), st.floats(-50, 50).filter(lambda x: abs(x) > 0.01))
def test_raw_for_scores_inverts_a_linear_mapping(target, zero_at, span):
    mapping = {"type": "linear", "zero_at": zero_at, "full_at": zero_at + span}
    assert abs(map_values(raw_for_scores(np.array([target]), mapping), mapping)[0] - target) < 1e-6


def test_raw_for_scores_picks_the_nearest_range_and_keeps_nan():
    mapping = {"type": "ranges", "ranges": [{"min": 3, "score": 100}, {"min": 1, "score": 50}, {"min": None, "score": 0}]}
    raw = raw_for_scores(np.array([90.0, 60.0, 20.0, np.nan]), mapping)
    assert raw[:3].tolist() == [3.0, 1.0, 0.0] and np.isnan(raw[3])
    assert map_values(raw[:3], mapping).tolist() == [100.0, 50.0, 0.0]
