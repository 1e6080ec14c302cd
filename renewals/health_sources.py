"""Renewals' scorecard sources (registered through ``core.registries.health`` from ``RenewalsConfig.ready()``),
so a handbook's "growth" component (000: 20%) has real inputs. Each is one query over all the tenant's
accounts (or the ``account_ids`` being scored), never one per account.

``renewal_outlook`` (unit: days, 0 to 365): how safe the next renewal looks, from its days to go and its
forecast. The days to renewal are counted from ``as_of`` to the open renewal's contract end, else to the
account's renewal date (no open renewal yet: treated as ``probable``), floored at 0 and capped at 365:

* ``commit``: 365 (a committed renewal is no risk, however close);
* ``probable``: the days to renewal;
* ``at_risk``: a quarter of the days to renewal;
* ``lost``: 0.

Default mapping linear 0 -> 0 points, 90 -> 100 points: a probable renewal a quarter or more away scores
full, one due tomorrow almost nothing; an at-risk one needs a year of runway to score full. An account with
neither an open renewal nor a renewal date has no data (the measure renormalises away).

``open_expansion`` (unit: ratio): the open recurring expansion pipeline (open stages, professional services
left out: one-time) over the account's ARR. Default mapping linear 0 -> 0, 0.25 -> 100: open pipeline worth
a quarter of the ARR scores full; no open opportunity counts as 0; no ARR is no data.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
from django.db.models import DecimalField, OuterRef, Subquery, Sum

from accounts.models import Account, AccountStatus
from core.registries.health import register_source
from renewals.models import Forecast, Opportunity, Renewal
from renewals.models.opportunities import ONE_TIME_KINDS, OPEN_STAGES

RUNWAY_CAP_DAYS = 365
AT_RISK_FACTOR = 0.25
FULL_RUNWAY_DAYS = 90
FULL_PIPELINE_RATIO = 0.25


def _active_accounts(account_ids):
    accounts = Account.objects.filter(status=AccountStatus.ACTIVE)
    return accounts if account_ids is None else accounts.filter(pk__in=list(account_ids))


def outlook_days(days: pd.Series, forecast: pd.Series) -> pd.Series:
    """The ``renewal_outlook`` value from days to renewal and forecast (pure; the mapping above)."""
    runway = days.astype("float64").clip(lower=0, upper=RUNWAY_CAP_DAYS)
    value = runway.copy()
    value[forecast == Forecast.COMMIT] = float(RUNWAY_CAP_DAYS)
    value[forecast == Forecast.AT_RISK] = runway[forecast == Forecast.AT_RISK] * AT_RISK_FACTOR
    value[forecast == Forecast.LOST] = 0.0
    return value


def renewal_outlook(tenant, account_ids, as_of: date) -> pd.Series:
    """One query: each active account's open renewal (the soonest) or renewal date, with the forecast."""
    soonest = Renewal.objects.filter(account_id=OuterRef("pk"), outcome__isnull=True).order_by("contract_end", "id")
    rows = list(
        _active_accounts(account_ids)
        .annotate(open_end=Subquery(soonest.values("contract_end")[:1]),
                  open_forecast=Subquery(soonest.values("forecast")[:1]))
        .values_list("pk", "renewal_date", "open_end", "open_forecast")
    )
    if not rows:
        return pd.Series(dtype="float64")
    frame = pd.DataFrame.from_records(rows, columns=["account_id", "renewal_date", "open_end", "forecast"])
    frame = frame.set_index("account_id")
    ends = frame["open_end"].where(frame["open_end"].notna(), frame["renewal_date"])
    known = ends.notna()
    days = pd.Series(np.nan, index=frame.index)
    days[known] = [(end - as_of).days for end in ends[known]]
    forecast = frame["forecast"].fillna(Forecast.PROBABLE)
    return outlook_days(days, forecast)[known]


def open_expansion(tenant, account_ids, as_of: date) -> pd.Series:
    """One query: open recurring pipeline / ARR for the active accounts with ARR."""
    pipeline = (
        Opportunity.objects.filter(account_id=OuterRef("pk"), stage__in=OPEN_STAGES)
        .exclude(kind__in=ONE_TIME_KINDS).values("account_id").annotate(total=Sum("amount")).values("total")
    )
    rows = list(
        _active_accounts(account_ids).filter(arr__gt=0)
        .annotate(pipeline=Subquery(pipeline, output_field=DecimalField()))
        .values_list("pk", "pipeline", "arr")
    )
    return pd.Series(
        {pk: float(total or 0) / float(arr) for pk, total, arr in rows}, dtype="float64"
    )


def register_renewal_sources() -> None:
    register_source(
        "renewal_outlook", "Renewal outlook", renewal_outlook, "days",
        {"type": "linear", "zero_at": 0, "full_at": FULL_RUNWAY_DAYS}, category="growth",
        description=(
            "Days to the next renewal (open renewal's contract end, else the renewal date; 0 to 365) by "
            "forecast: commit 365, probable the days, at risk a quarter of the days, lost 0. "
            "Default: 0 days scores 0, 90 days or more 100."
        ),
    )
    register_source(
        "open_expansion", "Open expansion pipeline", open_expansion, "ratio",
        {"type": "linear", "zero_at": 0, "full_at": FULL_PIPELINE_RATIO}, category="growth",
        description=(
            "Open recurring expansion opportunities (professional services left out) over the account's ARR. "
            "Default: none scores 0, a quarter of the ARR or more 100."
        ),
    )
