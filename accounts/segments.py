"""Segment from ARR by the tenant's thresholds (pure)."""

from __future__ import annotations

from decimal import Decimal


def sorted_thresholds(thresholds: list[dict]) -> list[tuple[str, Decimal]]:
    """[(key, min_arr)] from highest min_arr down."""
    return sorted(((t["key"], Decimal(str(t["min_arr"]))) for t in thresholds), key=lambda kv: kv[1], reverse=True)


def segment_for(arr: Decimal | int | float | str | None, thresholds: list[dict]) -> str:
    """The first segment (highest threshold first) whose `min_arr` the ARR reaches."""
    value = Decimal(str(arr)) if arr is not None else Decimal("0")
    ordered = sorted_thresholds(thresholds)
    for key, minimum in ordered:
        if value >= minimum:
            return key
    return ordered[-1][0]


def validate_thresholds(thresholds: list[dict]) -> list[str]:
    """Problems with a threshold table, as messages (empty when valid)."""
    errors: list[str] = []
    if not thresholds:
        return ["At least one segment is required."]
    keys = [t.get("key") for t in thresholds]
    if len(set(keys)) != len(keys):
        errors.append("Segment keys must be unique.")
    try:
        minimums = [Decimal(str(t.get("min_arr"))) for t in thresholds]
    except Exception:
        return errors + ["Every segment needs a numeric min_arr."]
    if min(minimums) != 0:
        errors.append("The lowest segment must start at 0 so every account has a segment.")
    return errors
