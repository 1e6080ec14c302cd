"""Renewals' events (core.registries.events), published inside the writer's transaction:

* ``renewal.outcome_recorded`` from ``renewal_services.renewal_record_outcome`` (the API's PATCH and the
  renewal page both record outcomes through it);
* ``renewal.at_risk`` when a renewal's forecast becomes ``at_risk``: opened at risk (by hand or by the daily
  job), overridden to it, or following its account into the bottom health band (the daily job's one UPDATE
  returns the renewals it moved): only on the transition, never again while it stays at risk.

Money is a decimal string with two places, dates and times ISO strings.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from core.registries.events import publish, publish_many
from renewals.models import Forecast, Renewal

OUTCOME_RECORDED = "renewal.outcome_recorded"
AT_RISK = "renewal.at_risk"


def money(value: Decimal | None) -> str | None:
    return None if value is None else f"{Decimal(value):.2f}"


def publish_outcome(renewal: Renewal, *, account_name: str, arr_before: Decimal) -> None:
    publish(OUTCOME_RECORDED, tenant_id=renewal.tenant_id, payload={
        "renewal_id": renewal.pk, "account_id": renewal.account_id, "account_name": account_name,
        "outcome": renewal.outcome, "arr_before": money(arr_before), "arr_after": money(renewal.renewed_arr),
        "contract_end": renewal.contract_end.isoformat(), "recorded_at": renewal.closed_at.isoformat(),
    })


def at_risk_payload(*, renewal_id: int, account_id: int, account_name: str, renewal_date: date, arr: Decimal) -> dict:
    return {
        "renewal_id": renewal_id, "account_id": account_id, "account_name": account_name,
        "renewal_date": renewal_date.isoformat(), "arr": money(arr), "forecast": Forecast.AT_RISK.value,
    }


def publish_at_risk(*, tenant_id: int, rows: Iterable[dict]) -> int:
    """``rows``: renewals whose forecast just became at risk (``renewal_id``, ``account_id``, ``account_name``,
    ``renewal_date``, ``arr``); one ``publish_many``."""
    payloads = [at_risk_payload(**row) for row in rows]
    if payloads:
        publish_many(AT_RISK, tenant_id=tenant_id, payloads=payloads)
    return len(payloads)


def publish_if_became_at_risk(renewal: Renewal, *, before: str | None) -> None:
    if renewal.forecast == Forecast.AT_RISK and before != Forecast.AT_RISK:
        publish_at_risk(tenant_id=renewal.tenant_id, rows=[{
            "renewal_id": renewal.pk, "account_id": renewal.account_id, "account_name": renewal.account.name,
            "renewal_date": renewal.contract_end, "arr": renewal.arr,
        }])
