"""Renewals' Celery jobs: thin, idempotent, one task per tenant (``core.fanout``)."""

from __future__ import annotations

from celery import shared_task

from core.fanout import fan_out, tenant_job
from renewals.cadence_services import touchpoints_open_due

OPEN_DUE_TOUCHPOINTS_EXPIRES = 6 * 60 * 60  # a daily job: a copy not run within 6 hours is dropped


@shared_task(name="renewals.open_due_touchpoints_all_tenants", acks_late=True, ignore_result=True)
def open_due_touchpoints_all_tenants() -> int:
    """Beat's daily entry point: fan out one `renewals.open_due_touchpoints` per tenant."""
    return fan_out(open_due_touchpoints, expires=OPEN_DUE_TOUCHPOINTS_EXPIRES)


@shared_task(name="renewals.open_due_touchpoints", acks_late=True, ignore_result=True)
def open_due_touchpoints(tenant_id: int) -> dict | None:
    """Open the "Prepare <touchpoint>" CTAs of one tenant's due touchpoints (idempotent)."""
    with tenant_job(tenant_id) as tenant:
        if tenant is None:
            return None
        return touchpoints_open_due()
