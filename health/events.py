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
    ids = accounts.index[changed.to_numpy()]
    columns = zip(ids.tolist(), accounts.loc[ids, "name"].tolist(), previous[ids].tolist(), status[ids].tolist(),
                  result.score.reindex(ids).tolist(), strict=True)
    return [
        {
            "account_id": int(account_id), "account_name": name, "from_status": _band(before), "to_status": after,
            "score": None if math.isnan(score) else round(score, 1), "is_bottom_band": after == bottom,
            "computed_at": stamp,
        }
        for account_id, name, before, after, score in columns
    ]


def _band(value) -> str | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else value


def publish_status_changes(
    *, tenant_id: int, accounts: pd.DataFrame, result: ScoreResult, bands: list[dict], computed_at: datetime
) -> int:
    payloads = status_changed_payloads(accounts=accounts, result=result, bands=bands, computed_at=computed_at)
    if payloads:
        publish_many(STATUS_CHANGED, tenant_id=tenant_id, payloads=payloads)
    return len(payloads)
