"""Dashboards' Celery jobs: beat fans out one refresh per tenant every 5 minutes (``core.fanout``); the
on-demand refresh runs the same task as a job (``dashboards.services.request_refresh``)."""

from __future__ import annotations

from celery import shared_task

from core import jobs
from core.fanout import fan_out, tenant_job
from dashboards.kpi_refresh import refresh_feature_adoption, refresh_kpi_actuals
from dashboards.refresh import refresh_all

REFRESH_EXPIRES = 4 * 60  # refreshed every 5 minutes: a copy not run within 4 is dropped (the next one comes)


@shared_task(name="dashboards.refresh_all_tenants", acks_late=True, ignore_result=True)
def refresh_all_tenants() -> int:
    return fan_out(refresh_tenant, expires=REFRESH_EXPIRES)


@shared_task(name="dashboards.refresh_tenant", acks_late=True, ignore_result=True)
def refresh_tenant(tenant_id: int, job_id: str | None = None) -> dict | None:
    """Refresh one tenant's aggregates (idempotent), as job ``job_id`` when someone asked for it (then over the
    whole support window; beat's runs rewrite it in full once a day, else the last days)."""
    with tenant_job(tenant_id) as tenant:
        if tenant is None:
            return None
        return jobs.job_run(job_id, lambda: _refresh(tenant, on_demand=bool(job_id)))


def _refresh(tenant, *, on_demand: bool) -> dict:
    """The aggregates, then the KPI targets' feature adoption (once a day, or now when asked for), then the
    Targets panel's actuals, which read both."""
    result = refresh_all(tenant=tenant, full=True if on_demand else None)
    adoption = refresh_feature_adoption(tenant=tenant, force=on_demand)
    return {**result, "feature_adoption": adoption, "kpi_actuals": refresh_kpi_actuals(tenant=tenant)}
