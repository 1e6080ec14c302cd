"""Onboarding's Celery jobs: thin, idempotent, one task per tenant."""

from __future__ import annotations

from celery import shared_task

from tenancy.context import tenant_context
from tenancy.models import Tenant


@shared_task(name="onboarding.mark_overdue_all_tenants", acks_late=True, ignore_result=True)
def mark_overdue_all_tenants() -> int:
    """Beat's daily entry point: fan out one `onboarding.mark_overdue` per tenant."""
    tenant_ids = list(Tenant.objects.order_by("pk").values_list("pk", flat=True))
    for tenant_id in tenant_ids:
        mark_overdue.delay(tenant_id)
    return len(tenant_ids)


@shared_task(name="onboarding.mark_overdue", acks_late=True, ignore_result=True)
def mark_overdue(tenant_id: int) -> dict | None:
    """Mark one tenant's overdue plan tasks and phases and open/close late-plan CTAs (idempotent)."""
    from onboarding.services import plans_mark_overdue

    tenant = Tenant.objects.filter(pk=tenant_id).first()
    if tenant is None:
        return None
    with tenant_context(tenant):
        return plans_mark_overdue()
