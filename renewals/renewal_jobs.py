"""The daily renewal job's work for one tenant, set-based (a constant number of queries, whatever the
number of accounts) and idempotent:

1. open one renewal for every active account whose renewal date is within the tenant's window and that has
   no open renewal (one ``INSERT ... SELECT ... ON CONFLICT DO NOTHING``: never two for the same account
   and contract end), with its motions as CTAs for the account's CSM;
2. the forecast of every open renewal nobody overrode follows its account's health band (one UPDATE);
3. a bottom-band account renewing within 60 days gets one risk CTA per renewal (never reopened once
   closed by hand).
"""

from __future__ import annotations

from datetime import date, timedelta

from django.db import connection, transaction

from accounts.models import AccountStatus, Task, TaskPriority, TaskSource
from accounts.services import cta_open_bulk
from renewals import renewal_events
from renewals import renewal_selectors as selectors
from renewals.models import Forecast, RenewalStage
from renewals.renewal_services import motion_ctas, risk_key
from tenancy.context import get_current_tenant

RISK_DAYS = 60

_FORECAST_SQL = "CASE WHEN a.health_status = %s THEN %s WHEN a.health_status = %s THEN %s ELSE %s END"

_OPEN_SQL = f"""
WITH opened AS (
    INSERT INTO renewals_renewal (tenant_id, account_id, contract_end, arr, stage, forecast, forecast_reason,
                                  churn_reason, created_at)
    SELECT a.tenant_id, a.id, a.renewal_date, a.arr, %s, {_FORECAST_SQL}, '', '', NOW()
    FROM accounts_account a
    WHERE a.tenant_id = %s AND a.status = %s AND a.renewal_date BETWEEN %s AND %s
      AND NOT EXISTS (SELECT 1 FROM renewals_renewal r WHERE r.account_id = a.id AND r.outcome IS NULL)
    ON CONFLICT (tenant_id, account_id, contract_end) DO NOTHING
    RETURNING id, account_id, contract_end, arr, forecast
)
SELECT opened.id, opened.account_id, opened.contract_end, a.csm_id, a.name, opened.arr, opened.forecast
FROM opened JOIN accounts_account a ON a.id = opened.account_id
"""

_FOLLOW_SQL = f"""
UPDATE renewals_renewal r SET forecast = {_FORECAST_SQL}
FROM accounts_account a
WHERE a.id = r.account_id AND r.tenant_id = %s AND r.outcome IS NULL AND r.forecast_overridden_at IS NULL
  AND r.forecast <> {_FORECAST_SQL}
RETURNING r.id, r.account_id, r.contract_end, a.csm_id, a.name, r.arr, r.forecast
"""


def _forecast_params(top: str | None, bottom: str | None) -> list:
    # A missing band key never equals a health status ('' is no band).
    return [top or "", Forecast.COMMIT, bottom or "", Forecast.AT_RISK, Forecast.PROBABLE]


def open_new_renewals(*, tenant, today: date, window_days: int, top: str | None, bottom: str | None) -> list[dict]:
    with connection.cursor() as cursor:
        cursor.execute(_OPEN_SQL, [
            RenewalStage.OPEN, *_forecast_params(top, bottom), tenant.pk, AccountStatus.ACTIVE,
            today, today + timedelta(days=window_days),
        ])
        rows = cursor.fetchall()
    renewal_events.publish_at_risk(tenant_id=tenant.pk, rows=_at_risk(rows))
    return [{"id": row[0], "account_id": row[1], "contract_end": row[2], "csm_id": row[3]} for row in rows]


def forecasts_follow_health(*, tenant, top: str | None, bottom: str | None) -> int:
    """Returns how many forecasts moved; those that moved to at risk publish ``renewal.at_risk``."""
    with connection.cursor() as cursor:
        cursor.execute(_FOLLOW_SQL, [*_forecast_params(top, bottom), tenant.pk, *_forecast_params(top, bottom)])
        rows = cursor.fetchall()
    renewal_events.publish_at_risk(tenant_id=tenant.pk, rows=_at_risk(rows))
    return len(rows)


def _at_risk(rows: list[tuple]) -> list[dict]:
    """(id, account id, contract end, csm id, account name, arr, forecast) rows -> the at-risk ones' event rows."""
    return [
        {"renewal_id": pk, "account_id": account_id, "account_name": name, "renewal_date": end, "arr": arr}
        for pk, account_id, end, _, name, arr, forecast in rows if forecast == Forecast.AT_RISK
    ]


def risk_ctas_open(*, today: date, bottom: str | None) -> dict[str, int]:
    at_risk = selectors.renewals_at_risk(bottom=bottom, until=today + timedelta(days=RISK_DAYS))
    used = selectors.existing_cta_keys(risk_key(r["id"]) for r in at_risk)
    ctas = [
        Task(
            account_id=r["account_id"], owner_id=r["account__csm_id"], source=TaskSource.RENEWAL,
            priority=TaskPriority.HIGH, dedupe_key=risk_key(r["id"]), due_date=min(today + timedelta(days=7), r["contract_end"]),
            title=f"Renewal at risk: {r['account__name']} renews {r['contract_end'].isoformat()}"[:200],
            description=f"Health {r['account__health_score']} is in the bottom band and the contract ends "
                        f"{r['contract_end'].isoformat()} ({(r['contract_end'] - today).days} days).",
        )
        for r in at_risk
        if risk_key(r["id"]) not in used
    ]
    return cta_open_bulk(ctas=ctas)


@transaction.atomic
def renewals_open(*, today: date | None = None) -> dict[str, int]:
    """The daily job for the current tenant. Returns what it did (all 0 on a second run the same day)."""
    tenant = get_current_tenant()
    today = today or selectors.tenant_today()
    config = selectors.renewal_settings_get()
    top, bottom = selectors.band_keys()
    opened = open_new_renewals(tenant=tenant, today=today, window_days=config.window_days, top=top, bottom=bottom)
    motions = cta_open_bulk(ctas=motion_ctas(renewals=opened, motions=config.motions))
    followed = forecasts_follow_health(tenant=tenant, top=top, bottom=bottom)
    risks = risk_ctas_open(today=today, bottom=bottom)
    return {"opened": len(opened), "motions": len(motions), "forecasts": followed, "risk_ctas": len(risks)}
