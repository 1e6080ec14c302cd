"""Core's Celery jobs: draining the transactional outbox (see ``core.outbox``), purging old Idempotency-Key records."""

from __future__ import annotations

from celery import shared_task

from core import idempotency, outbox


@shared_task(name="core.drain_outbox", acks_late=True, ignore_result=True)
def drain_outbox() -> dict:
    """Beat's job: publish the follow-up work that could not be published on commit (broker down)."""
    return outbox.drain()


@shared_task(name="core.purge_idempotency_records", acks_late=True, ignore_result=True)
def purge_idempotency_records() -> dict:
    """Beat's job: forget the Idempotency-Key records past their 24 hours (one sweep across tenants)."""
    return {"deleted": idempotency.purge_expired()}
