"""The ledger's daily job: future-dated movements move the accounts' ARR on their date."""

from __future__ import annotations

from celery import shared_task

from core.fanout import fan_out, tenant_job
from renewals import ledger_services


@shared_task(name="renewals.arr_movements_fall_due_all_tenants", acks_late=True, ignore_result=True)
def arr_movements_fall_due_all_tenants() -> int:
    return fan_out(arr_movements_fall_due, expires=6 * 60 * 60)


@shared_task(name="renewals.arr_movements_fall_due", acks_late=True)
def arr_movements_fall_due(tenant_id: int) -> dict:
    with tenant_job(tenant_id) as tenant:
        if tenant is None:
            return {"accounts": 0}
        return {"accounts": ledger_services.movements_fall_due()}
