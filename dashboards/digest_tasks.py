"""The digest's Celery jobs: beat fans out ``queue_digests`` to every tenant hourly (each tenant's morning in
its own time zone, ``digest_services.digests_queue``); each queued digest is sent by ``send_digest``, which the
outbox publishes (idempotent: a redelivered message finds the digest already handled)."""

from __future__ import annotations

from smtplib import SMTPException

from celery import shared_task

from core.fanout import fan_out, tenant_job
from dashboards import digest_services

QUEUE_EXPIRES = 50 * 60  # hourly: a copy not run within 50 minutes is dropped (the next hour catches up)


@shared_task(name="dashboards.queue_digests_all_tenants", acks_late=True, ignore_result=True)
def queue_digests_all_tenants() -> int:
    return fan_out(queue_digests, expires=QUEUE_EXPIRES)


@shared_task(name="dashboards.queue_digests", acks_late=True, ignore_result=True)
def queue_digests(tenant_id: int) -> int:
    with tenant_job(tenant_id) as tenant:
        return 0 if tenant is None else digest_services.digests_queue()


@shared_task(name="dashboards.send_digest", acks_late=True, ignore_result=True,
             autoretry_for=(SMTPException, ConnectionError), retry_backoff=60, max_retries=5)
def send_digest(tenant_id: int, digest_id: int) -> str:
    with tenant_job(tenant_id) as tenant:
        return "done" if tenant is None else digest_services.digest_send(digest_id=digest_id)
