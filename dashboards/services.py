"""Asking for a refresh of the dashboard aggregates now (the "Refresh" button): a job (``core.jobs``) whose
task goes through the outbox, or, without a broker (eager mode), done inline."""

from __future__ import annotations

from celery import current_app
from django.db import transaction

from core import jobs, outbox
from dashboards.refresh import refresh_all
from tenancy.models import Tenant

JOB_KIND = "dashboards.refresh"


def request_refresh(*, tenant: Tenant) -> dict:
    """``{"status": "queued", "job_id"}`` or, in eager mode, ``{"status": "done", "job_id", ...}``."""
    with transaction.atomic():
        job = jobs.job_create(tenant=tenant, kind=JOB_KIND)
        if not current_app.conf.task_always_eager:
            outbox.enqueue("dashboards.refresh_tenant", args=[tenant.pk], kwargs={"job_id": str(job.pk)},
                           tenant_id=tenant.pk)
            return {"status": "queued", "job_id": str(job.pk)}
    outcome = jobs.job_run(str(job.pk), lambda: refresh_all(tenant=tenant, full=True))
    return {"status": "done", "job_id": str(job.pk), **outcome}
