"""A scorecard's structure, its validation and the default one. No database (mappings: core.registries.health).

A scorecard is tenant configuration (JSON, stored in ``health.Scorecard``)::

    {
      "components": [
        {"key": "usage", "label": "Product usage", "weight": 40,          # whole percent, all sum to 100
         "measures": [
           {"key": "seat_utilisation", "label": "Seat utilisation",
            "source": "seat_utilisation",                                # a registered source key
            "window_days": 30,                                           # optional: the source's default
            "weight": 1,                                                 # optional: relative, default 1
            "mapping": {"type": "linear", "zero_at": 0.2, "full_at": 0.9}}  # optional: the source's default
         ]},
      ],
      "bands": [{"key": "green", "label": "Green", "min_score": 80, "colour": "green"}, ...]
    }

Mappings turn a raw value into 0-100:

* ``{"type": "linear", "zero_at": X0, "full_at": X1}``: X0 scores 0, X1 scores 100, linear between,
  clamped outside (X0 > X1 means lower is better, e.g. days since the last touch).
* ``{"type": "ranges", "ranges": [{"min": 0.8, "score": 100}, {"min": 0.5, "score": 60},
  {"min": null, "score": 20}]}``: the first range (``min`` descending) whose ``min`` the value reaches;
  ``min: null`` (last only) catches everything else; a value reaching none scores 0.

Bands: three or four, sorted by ``min_score`` descending, the last at 0, so every score has a band.
"""

from __future__ import annotations

import math
from copy import deepcopy
from typing import Any

from core.registries.health import KEY_RE, is_finite_number, validate_mapping, whole_if_integral

BAND_COLOURS = ("green", "yellow", "orange", "red", "blue", "grey")
MIN_BANDS, MAX_BANDS = 3, 4
MAX_COMPONENTS = 10
MAX_MEASURES = 12
MAX_WINDOW_DAYS = 365

DEFAULT_BANDS = [
    {"key": "green", "label": "Green", "min_score": 80, "colour": "green"},
    {"key": "yellow", "label": "Yellow", "min_score": 60, "colour": "yellow"},
    {"key": "red", "label": "Red", "min_score": 0, "colour": "red"},
]


def measure(key: str, label: str, source: str | None = None, **extra: Any) -> dict:
    """A measure entry (the source defaults to the measure's key)."""
    return {"key": key, "label": label, "source": source or key, **extra}


def component(key: str, label: str, weight: int, measures: list[dict]) -> dict:
    return {"key": key, "label": label, "weight": weight, "measures": measures}


DEFAULT_COMPONENTS = [
    component("usage", "Product usage", 50, [
        measure("seat_utilisation", "Seat utilisation"),
        measure("usage_trend", "Usage trend"),
        measure("feature_adoption", "Feature adoption"),
    ]),
    component("engagement", "Engagement", 25, [
        measure("days_since_last_touch", "Days since last touch"),
        measure("meetings", "Meetings and QBRs"),
    ]),
    component("relationship", "Relationship", 25, [
        measure("champion_present", "Champion in place"),
        measure("executive_sponsor", "Executive sponsor"),
        measure("csm_sentiment", "CSM sentiment"),
    ]),
]


def default_scorecard() -> dict:
    return {"components": deepcopy(DEFAULT_COMPONENTS), "bands": deepcopy(DEFAULT_BANDS)}


class ScorecardInvalid(ValueError):
    """Validation failed; ``errors`` maps a field path (``components``, ``bands``...) to messages."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))
        self.errors = errors


class _Errors:
    def __init__(self) -> None:
        self.errors: dict[str, list[str]] = {}

    def add(self, path: str, message: str) -> None:
        self.errors.setdefault(path, []).append(message)

    def raise_if_any(self) -> None:
        if self.errors:
            raise ScorecardInvalid(self.errors)


def _validate_measure(raw: Any, path: str, errors: _Errors) -> dict | None:
    if not isinstance(raw, dict):
        errors.add(path, "A measure is an object with key, label and source.")
        return None
    source = raw.get("source") or raw.get("key")
    key = raw.get("key") or source
    if not isinstance(key, str) or not KEY_RE.match(key):
        errors.add(path, "Measure key must be lowercase letters, digits and underscores.")
        return None
    if not isinstance(source, str) or not KEY_RE.match(source):
        errors.add(path, f"Measure {key}: source must be a source key.")
        return None
    cleaned: dict[str, Any] = {"key": key, "label": str(raw.get("label") or key.replace("_", " ").capitalize())[:100],
                               "source": source}
    window = raw.get("window_days")
    if window is not None:
        if not isinstance(window, int) or isinstance(window, bool) or not 1 <= window <= MAX_WINDOW_DAYS:
            errors.add(path, f"Measure {key}: window_days must be a whole number of days from 1 to {MAX_WINDOW_DAYS}.")
        else:
            cleaned["window_days"] = window
    weight = raw.get("weight")
    if weight is not None:
        if not is_finite_number(weight) or not 0 < weight <= 100:
            errors.add(path, f"Measure {key}: weight must be a number above 0 (relative within its component).")
        else:
            cleaned["weight"] = whole_if_integral(weight)
    mapping = validate_mapping(raw.get("mapping"), f"{path}.mapping", errors)
    if mapping is not None:
        cleaned["mapping"] = mapping
    return cleaned


def _validate_components(components: Any, errors: _Errors) -> list[dict]:
    if not isinstance(components, list) or not components:
        errors.add("components", "Give at least one component.")
        return []
    if len(components) > MAX_COMPONENTS:
        errors.add("components", f"At most {MAX_COMPONENTS} components.")
        return []
    cleaned, keys, total = [], set(), 0
    for i, raw in enumerate(components):
        path = f"components[{i}]"
        if not isinstance(raw, dict):
            errors.add(path, "A component is an object with key, label, weight and measures.")
            continue
        key = raw.get("key")
        if not isinstance(key, str) or not KEY_RE.match(key):
            errors.add(path, "Component key must be lowercase letters, digits and underscores.")
            continue
        if key in keys:
            errors.add(path, f"Component key {key!r} is used twice.")
        keys.add(key)
        weight = raw.get("weight")
        if isinstance(weight, float) and weight.is_integer():
            weight = int(weight)
        if not isinstance(weight, int) or isinstance(weight, bool) or not 1 <= weight <= 100:
            errors.add(path, f"Component {key}: weight must be a whole percentage from 1 to 100.")
            weight = 0
        total += weight
        measures = raw.get("measures")
        if not isinstance(measures, list) or not measures or len(measures) > MAX_MEASURES:
            errors.add(path, f"Component {key}: give 1 to {MAX_MEASURES} measures.")
            measures = []
        cleaned_measures, measure_keys = [], set()
        for j, raw_measure in enumerate(measures):
            item = _validate_measure(raw_measure, f"{path}.measures[{j}]", errors)
            if item is None:
                continue
            if item["key"] in measure_keys:
                errors.add(f"{path}.measures[{j}]", f"Measure key {item['key']!r} is used twice in {key}.")
            measure_keys.add(item["key"])
            cleaned_measures.append(item)
        cleaned.append({"key": key, "label": str(raw.get("label") or key.capitalize())[:100], "weight": weight,
                        "measures": cleaned_measures})
    if total != 100 and "components" not in errors.errors:
        errors.add("components", f"Component weights must sum to 100 (they sum to {total}).")
    return cleaned


def _validate_bands(bands: Any, errors: _Errors) -> list[dict]:
    if not isinstance(bands, list) or not MIN_BANDS <= len(bands) <= MAX_BANDS:
        errors.add("bands", f"Give {MIN_BANDS} or {MAX_BANDS} bands.")
        return []
    cleaned, keys = [], set()
    for i, raw in enumerate(bands):
        path = f"bands[{i}]"
        if not isinstance(raw, dict):
            errors.add(path, "A band is an object with key, label and min_score.")
            continue
        key, min_score = raw.get("key"), raw.get("min_score")
        if not isinstance(key, str) or not KEY_RE.match(key):
            errors.add(path, "Band key must be lowercase letters, digits and underscores.")
            continue
        if key in keys:
            errors.add(path, f"Band key {key!r} is used twice.")
        keys.add(key)
        if not is_finite_number(min_score) or not 0 <= min_score <= 100:
            errors.add(path, f"Band {key}: min_score must be a number from 0 to 100.")
            continue
        colour = raw.get("colour") or None
        if colour is not None and colour not in BAND_COLOURS:
            errors.add(path, f"Band {key}: colour must be one of {', '.join(BAND_COLOURS)}.")
        cleaned.append({"key": key, "label": str(raw.get("label") or key.replace("_", " ").capitalize())[:50],
                        "min_score": whole_if_integral(min_score), "colour": colour})
    if len(cleaned) != len(bands):
        return cleaned
    cleaned.sort(key=lambda b: b["min_score"], reverse=True)
    mins = [b["min_score"] for b in cleaned]
    if len(set(mins)) != len(mins):
        errors.add("bands", "Each band needs its own min_score.")
    if mins and mins[-1] != 0:
        errors.add("bands", "The lowest band must start at 0 so every score has a band.")
    for band, default in zip(cleaned, _default_colours(len(cleaned)), strict=True):
        band["colour"] = band["colour"] or default
    return cleaned


def _default_colours(count: int) -> list[str]:
    return ["green", "yellow", "orange", "red"] if count == 4 else ["green", "yellow", "red"][:count]


def validate_scorecard(data: Any) -> dict:
    """Return the cleaned scorecard (bands sorted descending) or raise ``ScorecardInvalid``."""
    errors = _Errors()
    if not isinstance(data, dict):
        raise ScorecardInvalid({"non_field_errors": ["A scorecard is an object with components and bands."]})
    components = _validate_components(data.get("components"), errors)
    bands = _validate_bands(data.get("bands"), errors)
    errors.raise_if_any()
    return {"components": components, "bands": bands}


def band_for(score: float | None, bands: list[dict]) -> str | None:
    """The first band (sorted by min_score descending) whose min_score the score reaches."""
    if score is None or (isinstance(score, float) and math.isnan(score)):
        return None
    for band in bands:
        if score >= band["min_score"]:
            return band["key"]
    return bands[-1]["key"] if bands else None
