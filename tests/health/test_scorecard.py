"""health/scorecard.py: validation of the tenant's scorecard (pure)."""

from __future__ import annotations

import pytest

from health.scorecard import ScorecardInvalid, default_scorecard, validate_scorecard


def test_default_scorecard_is_valid_with_default_bands():
    card = validate_scorecard(default_scorecard())
    assert sum(c["weight"] for c in card["components"]) == 100
    assert [(b["key"], b["min_score"]) for b in card["bands"]] == [("green", 80), ("yellow", 60), ("red", 0)]


def test_bands_are_sorted_descending_and_get_colours():
    data = default_scorecard()
    data["bands"] = [{"key": "red", "label": "Red", "min_score": 0}, {"key": "green", "label": "Green", "min_score": 70},
                     {"key": "yellow", "label": "Yellow", "min_score": 50.5}]
    card = validate_scorecard(data)
    assert [b["key"] for b in card["bands"]] == ["green", "yellow", "red"]
    assert [b["colour"] for b in card["bands"]] == ["green", "yellow", "red"]
    assert card["bands"][1]["min_score"] == 50.5


@pytest.mark.parametrize("mutate, field", [
    (lambda d: d["components"][0].update(weight=41), "components"),
    (lambda d: d["components"][0].update(weight=49.5), "components[0]"),
    (lambda d: d["components"][0].update(weight="50"), "components[0]"),
    (lambda d: d.update(components=[]), "components"),
    (lambda d: d["components"][1].update(key="usage"), "components[1]"),
    (lambda d: d["components"][0].update(measures=[]), "components[0]"),
    (lambda d: d["components"][0]["measures"][0].update(mapping={"type": "linear", "zero_at": 1, "full_at": 1}),
     "components[0].measures[0].mapping"),
    (lambda d: d["components"][0]["measures"][0].update(mapping={"type": "ranges", "ranges": [
        {"min": 1, "score": 10}, {"min": 2, "score": 20}]}), "components[0].measures[0].mapping"),
    (lambda d: d["components"][0]["measures"][0].update(mapping={"type": "ranges", "ranges": [
        {"min": None, "score": 10}, {"min": 2, "score": 20}]}), "components[0].measures[0].mapping"),
    (lambda d: d["components"][0]["measures"][0].update(mapping={"type": "step"}), "components[0].measures[0].mapping"),
    (lambda d: d["components"][0]["measures"][0].update(window_days=0), "components[0].measures[0]"),
    (lambda d: d["components"][0]["measures"][0].update(source="Bad Key"), "components[0].measures[0]"),
    (lambda d: d.update(bands=d["bands"][:2]), "bands"),
    (lambda d: d["bands"].extend([{"key": "x", "min_score": 10}, {"key": "y", "min_score": 5}]), "bands"),
    (lambda d: d["bands"][2].update(min_score=10), "bands"),
    (lambda d: d["bands"][1].update(min_score=80), "bands"),
    (lambda d: d["bands"][1].update(key="green"), "bands[1]"),
    (lambda d: d["bands"][0].update(min_score=101), "bands[0]"),
    (lambda d: d["bands"][0].update(colour="pink"), "bands[0]"),
])
def test_invalid_scorecards_name_the_field(mutate, field):
    data = default_scorecard()
    mutate(data)
    with pytest.raises(ScorecardInvalid) as info:
        validate_scorecard(data)
    assert field in info.value.errors


def test_unknown_sources_are_allowed_until_registered():
    data = default_scorecard()
    data["components"][0]["measures"].append({"key": "tickets", "label": "Tickets", "source": "tickets_per_seat_90d"})
    assert validate_scorecard(data)["components"][0]["measures"][-1]["source"] == "tickets_per_seat_90d"


def test_not_an_object():
    with pytest.raises(ScorecardInvalid):
        validate_scorecard(["x"])
