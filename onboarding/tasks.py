"""Onboarding's Celery jobs: thin, idempotent, one task per tenant (``core.fanout``)."""

from __future__ import annotations

from celery import shared_task

from core.fanout import fan_out, tenant_job
from onboarding.services import plans_mark_overdue

MARK_OVERDUE_EXPIRES = 6 * 60 * 60  # a daily job: a copy not run within 6 hours is dropped


@shared_task(name="onboarding.mark_overdue_all_tenants", acks_late=True, ignore_result=True)
def mark_overdue_all_tenants() -> int:
    """Beat's daily entry point: fan out one `onboarding.mark_overdue` per tenant."""
    return fan_out(mark_overdue, expires=MARK_OVERDUE_EXPIRES)


@shared_task(name="onboarding.mark_overdue", acks_late=True, ignore_result=True)
def mark_overdue(tenant_id: int) -> dict | None:
    """Mark one tenant's overdue plan tasks and phases and open/close late-plan CTAs (idempotent)."""
    with tenant_job(tenant_id) as tenant:
        if tenant is None:
            return None
        return plans_mark_overdue()
