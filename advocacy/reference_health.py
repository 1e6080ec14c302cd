"""The "reference_activity" health source (``core.registries.health``): how much an account advocated in the
window, as points, for the relationship component of the handbooks' scorecards.

Points per account over the ``window_days`` days ending at the score's moment: 2 per reference request
completed (by ``completed_at``), 1 per request agreed and still open (by ``requested_at``), 1 per review or
referral (by ``occurred_on``), 1 per reward given (by ``given_on``). The default mapping is linear from 0
points (0) to 4 points (100); accounts without any activity have 0 points. One query for all accounts.
"""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
from django.db import connection

from core.registries.health import moment_for, register_source

WINDOW_DAYS = 365
FULL_AT = 4

_SQL = """
SELECT account_id, SUM(points)::float8 AS value FROM (
    SELECT account_id, CASE WHEN status = 'completed' THEN 2 ELSE 1 END AS points
    FROM advocacy_referencerequest
    WHERE tenant_id = %(tenant)s {ids}
      AND ((status = 'completed' AND completed_at > %(start)s AND completed_at <= %(end)s)
        OR (status = 'agreed' AND requested_at > %(start)s AND requested_at <= %(end)s))
    UNION ALL
    SELECT account_id, 1 FROM advocacy_advocacyactivity
    WHERE tenant_id = %(tenant)s {ids} AND occurred_on > %(start_day)s AND occurred_on <= %(end_day)s
    UNION ALL
    SELECT account_id, 1 FROM advocacy_referencereward
    WHERE tenant_id = %(tenant)s {ids} AND given_on > %(start_day)s AND given_on <= %(end_day)s
) points
GROUP BY account_id
"""


def reference_activity(tenant, account_ids: list[int] | None, as_of: date, window_days: int = WINDOW_DAYS) -> pd.Series:
    end = moment_for(tenant, as_of)
    params = {
        "tenant": tenant.pk, "start": end - timedelta(days=window_days), "end": end,
        "start_day": as_of - timedelta(days=window_days), "end_day": as_of,
    }
    ids = ""
    if account_ids is not None:
        params["account_ids"] = list(account_ids)
        ids = "AND account_id = ANY(%(account_ids)s)"
    with connection.cursor() as cursor:
        cursor.execute(_SQL.format(ids=ids), params)
        rows = cursor.fetchall()
    return pd.Series({account_id: value for account_id, value in rows}, dtype="float64")


def register() -> None:
    register_source(
        "reference_activity", "Reference activity", reference_activity, "count",
        {"type": "linear", "zero_at": 0, "full_at": FULL_AT}, window_days=WINDOW_DAYS, fill_missing=0,
        category="relationship",
        description="Points in the window: 2 per reference completed, 1 per reference agreed, review, referral "
                    "or reward.",
    )
