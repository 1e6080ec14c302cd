"""The daily renewal job: beat calls ``renewals.open_renewals_all_tenants``, which fans out one
``renewals.open_renewals`` per tenant (``core.fanout``)."""

from __future__ import annotations

from celery import shared_task

from core.fanout import fan_out, tenant_job
from renewals.renewal_jobs import renewals_open

OPEN_RENEWALS_EXPIRES = 6 * 60 * 60  # a daily job: a copy not run within 6 hours is dropped


@shared_task(name="renewals.open_renewals_all_tenants", acks_late=True, ignore_result=True)
def open_renewals_all_tenants() -> int:
    return fan_out(open_renewals, expires=OPEN_RENEWALS_EXPIRES)


@shared_task(name="renewals.open_renewals", acks_late=True, ignore_result=True)
def open_renewals(tenant_id: int) -> dict | None:
    """Open the tenant's renewals within its window, their motions and risk CTAs; forecasts follow health."""
    with tenant_job(tenant_id) as tenant:
        if tenant is None:
            return None
        return renewals_open()
