"""Core's Celery jobs: draining the transactional outbox (see ``core.outbox``)."""

from __future__ import annotations

from celery import shared_task

from core import outbox


@shared_task(name="core.drain_outbox", acks_late=True, ignore_result=True)
def drain_outbox() -> dict:
    """Beat's job: publish the follow-up work that could not be published on commit (broker down)."""
    return outbox.drain()
