"""Job status for background work someone asked for (``GET /api/v1/jobs/{id}/``).

A service creates the job in the transaction that enqueues its task (through the outbox) and passes
``job_id`` to the task; the task wraps its work in :func:`job_run`. State changes are compare-and-set
updates, so a redelivered task (a worker killed mid-task; the broker hands the message out again after
its visibility timeout) runs the work again (tasks are idempotent) and a job that already ended is
left alone.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from core.models import Job, JobStatus
from tenancy.models import Tenant

logger = logging.getLogger(__name__)

ENDED = (JobStatus.SUCCEEDED, JobStatus.FAILED)


@transaction.atomic
def job_create(*, tenant: Tenant, kind: str) -> Job:
    return Job.all_tenants.create(tenant=tenant, kind=kind)


def job_run(job_id: str | None, work: Callable[[], Any]) -> Any:
    """Run ``work`` as the job ``job_id`` (None: untracked): running, then succeeded with its result or
    failed with the error (re-raised). A job that already ended is not run again."""
    if not job_id:
        return work()
    started = Job.all_tenants.filter(pk=job_id).exclude(status__in=ENDED).update(
        status=JobStatus.RUNNING, started_at=timezone.now(), attempts=F("attempts") + 1,
    )
    if not started:
        job = Job.all_tenants.filter(pk=job_id).first()
        logger.info("job %s: %s, not run again", job_id, job.status if job else "unknown")
        return job.result if job else None
    try:
        result = work()
    except Exception as exc:
        Job.all_tenants.filter(pk=job_id, status=JobStatus.RUNNING).update(
            status=JobStatus.FAILED, finished_at=timezone.now(), error=f"{exc.__class__.__name__}: {exc}"[:2000],
        )
        raise
    Job.all_tenants.filter(pk=job_id, status=JobStatus.RUNNING).update(
        status=JobStatus.SUCCEEDED, finished_at=timezone.now(), result=result, error="",
    )
    return result


def job_get(*, pk: str) -> Job:
    """The current tenant's job (Job.DoesNotExist for another tenant's or a malformed id)."""
    try:
        uuid.UUID(str(pk))
    except ValueError as exc:
        raise Job.DoesNotExist from exc
    return Job.objects.get(pk=pk)
