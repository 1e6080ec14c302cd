"""The expansion triggers' daily job: one task per tenant (``core.fanout``), idempotent while CTAs are open."""

from __future__ import annotations

from celery import shared_task

from core.fanout import fan_out, tenant_job
from renewals import expansion_triggers

EXPANSION_TRIGGERS_EXPIRES = 6 * 60 * 60  # a daily job: a copy not run within 6 hours is dropped


@shared_task(name="renewals.expansion_triggers_all_tenants", acks_late=True, ignore_result=True)
def expansion_triggers_all_tenants() -> int:
    return fan_out(expansion_triggers_tenant, expires=EXPANSION_TRIGGERS_EXPIRES)


@shared_task(name="renewals.expansion_triggers", acks_late=True, ignore_result=True)
def expansion_triggers_tenant(tenant_id: int) -> dict | None:
    with tenant_job(tenant_id) as tenant:
        if tenant is None:
            return None
        return expansion_triggers.triggers_evaluate(tenant=tenant)
