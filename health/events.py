"""The ``health.status_changed`` event (core.registries.events): one payload per account whose health band
changed in a recompute (a first score, from no band, counts; an account losing its score does not), built
set-based from the recompute's frames and published with one ``publish_many`` in the recompute's transaction."""

from __future__ import annotations

import math
from datetime import datetime

import pandas as pd

from core.registries.events import publish_many
from health.scoring import ScoreResult

STATUS_CHANGED = "health.status_changed"


def status_changed_payloads(
    *, accounts: pd.DataFrame, result: ScoreResult, bands: list[dict], computed_at: datetime
) -> list[dict]:
    """``accounts``: the recompute's frame (index id; ``name``, ``previous_status``); bands best first."""
    previous = accounts["previous_status"]
    status = result.status.reindex(accounts.index)
    changed = status.notna() & (previous.isna() | (previous != status))
    if not changed.any():
        return []
    bottom = bands[-1]["key"] if bands else None
    stamp = computed_at.isoformat()
    scores = result.score.reindex(accounts.index)
    payloads = []
    for account_id in accounts.index[changed.to_numpy()]:
        score = float(scores[account_id])
        before = previous[account_id]
        payloads.append({
            "account_id": int(account_id),
            "account_name": accounts.at[account_id, "name"],
            "from_status": None if before is None or (isinstance(before, float) and math.isnan(before)) else before,
            "to_status": status[account_id],
            "score": None if math.isnan(score) else round(score, 1),
            "is_bottom_band": status[account_id] == bottom,
            "computed_at": stamp,
        })
    return payloads


def publish_status_changes(
    *, tenant_id: int, accounts: pd.DataFrame, result: ScoreResult, bands: list[dict], computed_at: datetime
) -> int:
    payloads = status_changed_payloads(accounts=accounts, result=result, bands=bands, computed_at=computed_at)
    if payloads:
        publish_many(STATUS_CHANGED, tenant_id=tenant_id, payloads=payloads)
    return len(payloads)
