"""Celery jobs of the integrations app (thin: the engine is integrations.delivery)."""

from __future__ import annotations

from celery import shared_task

from integrations import delivery, retention


@shared_task(name="integrations.deliver_due", acks_late=True, ignore_result=True)
def deliver_due() -> dict:
    """Beat's job, every ``WEBHOOK_POLL_SECONDS``: deliver what is due, across tenants (SKIP LOCKED claims, so
    several workers share the work and a killed one's deliveries come back when their lease expires)."""
    return delivery.deliver_due()


@shared_task(name="integrations.prune_delivery_data", acks_late=True, ignore_result=True)
def prune_delivery_data() -> dict:
    """Beat's nightly job: delete finished deliveries, their attempts and events past ``WEBHOOK_RETENTION_DAYS``
    (batched, each batch its own transaction; idempotent)."""
    return retention.prune()
