"""Fixtures of the webhooks tests: a loopback receiver (private hosts allowed for it) and publishing helpers."""

from __future__ import annotations

import pytest
from django.db import transaction

from core.registries.events import publish, publish_many
from integrations import services
from integrations.loopback_receiver import LoopbackReceiver

SECRET = "whsec_0123456789abcdef0123"


@pytest.fixture
def allow_private(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_HOSTS = True
    settings.WEBHOOK_TIMEOUT_SECONDS = 5


@pytest.fixture
def receiver(allow_private):
    """A receiver whose answer the test can change: ``receiver.respond = lambda n, event_id, path: 503``."""
    with LoopbackReceiver() as r:
        yield r


def make_webhook(tenant, url, events=("ticket.created",), **kwargs):
    return services.endpoint_create(tenant=tenant, url=url, events=list(events), secret=SECRET, **kwargs)


def ticket_created(ticket_id: int, *, account_id: int = 1, severity: str = "sev2") -> dict:
    return {"ticket_id": ticket_id, "account_id": account_id, "account_name": "Initech", "subject": f"Help {ticket_id}",
            "severity": severity, "status": "open", "created_at": "2026-03-02T09:00:00+00:00"}


def publish_now(event: str, tenant, payload: dict | None = None, *, payloads: list[dict] | None = None) -> None:
    """Publish in a committed transaction of its own (as a service would)."""
    with transaction.atomic():
        if payloads is not None:
            publish_many(event, tenant_id=tenant.pk, payloads=payloads)
        else:
            publish(event, tenant_id=tenant.pk, payload=payload)
