"""What surveys give the other apps through the registries (``AdvocacyConfig.ready`` registers them):

* health sources (``core.registries.health``): ``nps_latest`` (the account's latest NPS answer 0-10 within
  the window, default 365 days; mapped 0 -> 0, 10 -> 100) and ``csat_average_90d`` (the average CSAT
  1-5 over the window, default 90 days; mapped 1 -> 0, 5 -> 100), category ``relationship``/``support``;
* the expansion trigger ``promoter_response`` (``core.registries.expansion``): accounts whose latest NPS
  answer in the last ``days`` is a promoter's (9-10).

Each is one aggregate query over all the tenant's accounts (or the ids given).
"""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
from django.db import connection

from advocacy import nps as math
from advocacy.models import SurveyResponse
from core.registries.expansion import TriggerContext, register_expansion_trigger
from core.registries.health import moment_for, register_source

_LATEST_NPS_SQL = """
SELECT DISTINCT ON (account_id) account_id, score, responded_at
FROM {table}
WHERE tenant_id = %(tenant)s AND kind = 'nps' AND responded_at >= %(since)s AND responded_at < %(until)s {ids}
ORDER BY account_id, responded_at DESC, id DESC
"""

_CSAT_SQL = """
SELECT account_id, AVG(score)::float8
FROM {table}
WHERE tenant_id = %(tenant)s AND kind = 'csat' AND responded_at >= %(since)s AND responded_at < %(until)s {ids}
GROUP BY account_id
"""


def _rows(sql: str, tenant, account_ids, as_of: date, window_days: int) -> list[tuple]:
    until = moment_for(tenant, as_of)
    params = {"tenant": tenant.pk, "since": until - timedelta(days=window_days), "until": until}
    ids = ""
    if account_ids is not None:
        params["ids"] = [int(pk) for pk in account_ids]
        ids = "AND account_id = ANY(%(ids)s)"
    with connection.cursor() as cursor:
        cursor.execute(sql.format(table=SurveyResponse._meta.db_table, ids=ids), params)
        return cursor.fetchall()


def latest_nps(tenant, account_ids, as_of: date, window_days: int = 365) -> pd.Series:
    rows = _rows(_LATEST_NPS_SQL, tenant, account_ids, as_of, window_days)
    return pd.Series({account_id: float(score) for account_id, score, _ in rows}, dtype="float64")


def csat_average(tenant, account_ids, as_of: date, window_days: int = 90) -> pd.Series:
    rows = _rows(_CSAT_SQL, tenant, account_ids, as_of, window_days)
    return pd.Series(dict(rows), dtype="float64")


def promoter_response(ctx: TriggerContext) -> dict[int, str]:
    days = int(ctx.params["days"])
    ids = [int(pk) for pk in ctx.account_ids]
    rows = _rows(_LATEST_NPS_SQL, ctx.tenant, ids, ctx.as_of, days)
    return {
        account_id: f"Latest NPS answer {score} on {responded_at:%Y-%m-%d} (a promoter, within {days} days)."
        for account_id, score, responded_at in rows if score >= math.PROMOTER_MIN
    }


def register() -> None:
    register_source(
        "nps_latest", "Latest NPS answer", latest_nps, "count", {"type": "linear", "zero_at": 0, "full_at": 10},
        window_days=365, category="relationship",
        description="The account's latest NPS answer (0-10) within the window.",
    )
    register_source(
        "csat_average_90d", "CSAT average", csat_average, "score", {"type": "linear", "zero_at": 1, "full_at": 5},
        window_days=90, category="support",
        description="Average CSAT answer (1-5) over the window.",
    )
    register_expansion_trigger(
        "promoter_response", "Promoter response", promoter_response, params={"days": 90},
        param_labels={"days": "Latest NPS within days"},
        description="The account's latest NPS answer in the window is 9 or 10.",
    )

