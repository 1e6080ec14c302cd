"""Celery tasks: thin, idempotent, ``tenant_id`` explicit, acknowledged late (a lost worker's task reruns)."""

from __future__ import annotations

from celery import shared_task

from core import jobs
from core.fanout import fan_out, tenant_job
from health.services.pruning import prune_snapshots as prune_tenant_snapshots
from health.services.recompute import recompute_health
from health.services.scheduling import debounce_release


@shared_task(name="health.recompute_all_tenants", acks_late=True, ignore_result=True)
def recompute_all_tenants() -> int:
    """Beat's hourly job: fan out one recompute per tenant."""
    return fan_out(recompute_tenant, expires=50 * 60)


@shared_task(name="health.recompute_tenant", acks_late=True)
def recompute_tenant(tenant_id: int, job_id: str | None = None) -> dict:
    """Recompute every active account of one tenant (set-based; safe to run twice), as job ``job_id``
    when someone asked for it (a redelivered message reruns the work; an ended job is left alone)."""
    with tenant_job(tenant_id) as tenant:
        if tenant is None:
            return {"accounts": 0}
        debounce_release(tenant.pk)
        return jobs.job_run(job_id, lambda: recompute_health(tenant=tenant).as_dict())


@shared_task(name="health.recompute_accounts", acks_late=True)
def recompute_accounts(tenant_id: int, account_ids: list[int]) -> dict:
    """Recompute some accounts of one tenant after events that move them (debounced by the caller)."""
    with tenant_job(tenant_id) as tenant:
        if tenant is None or not account_ids:
            return {"accounts": 0}
        debounce_release(tenant.pk, account_ids)
        return recompute_health(tenant=tenant, account_ids=account_ids).as_dict()


@shared_task(name="health.prune_snapshots_all_tenants", acks_late=True, ignore_result=True)
def prune_snapshots_all_tenants() -> int:
    """Beat's nightly job: fan out one snapshot prune per tenant."""
    return fan_out(prune_snapshots, expires=6 * 60 * 60)


@shared_task(name="health.prune_snapshots", acks_late=True)
def prune_snapshots(tenant_id: int) -> dict:
    """Thin one tenant's health history by its retention policy (set-based; a rerun deletes nothing)."""
    with tenant_job(tenant_id) as tenant:
        if tenant is None:
            return {"deleted": 0}
        return {"deleted": prune_tenant_snapshots(tenant=tenant)}
