"""Catching the domain events a write publishes (core.registries.events), for the publishers' tests.

``published``: a recorder (``record_with``) that keeps every (event, tenant id, payload) in a list, isolated
from the project's recorders. ``outbox_rows_after(event, write)``: the write's events as they reach the
transactional outbox (a subscribed task, a broker that is down): what a subscriber would get, only on commit.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field

import pytest
from django.db import transaction

from core.models import OutboxMessage
from core.registries import events
from tests.celery_support import UNREACHABLE_REDIS, celery_app_using

SUBSCRIBER = "core.drain_outbox"  # any registered task: the rows are read, never run


@dataclass
class Published:
    seen: list[tuple[str, int, dict]] = field(default_factory=list)
    batches: list[str] = field(default_factory=list)  # one entry per publish / publish_many call

    def record(self, event: str, tenant_id: int, payloads: list[dict]) -> None:
        assert transaction.get_connection().in_atomic_block, "published outside the writer's transaction"
        self.seen += [(event, tenant_id, payload) for payload in payloads]
        self.batches.append(event)

    def of(self, event: str) -> list[dict]:
        return [payload for name, _, payload in self.seen if name == event]

    def tenants(self, event: str) -> set[int]:
        return {tenant_id for name, tenant_id, _ in self.seen if name == event}

    def clear(self) -> None:
        self.seen.clear()
        self.batches.clear()


@pytest.fixture
def published(monkeypatch):
    monkeypatch.setattr(events, "_RECORDERS", [])
    catcher = Published()
    events.record_with(catcher.record)
    return catcher


@contextlib.contextmanager
def subscribed(event: str, monkeypatch):
    """``event`` reaches the outbox (a subscriber, a broker that is down) inside the block."""
    monkeypatch.setattr(events, "_SUBSCRIBERS", {})
    events.subscribe(event, SUBSCRIBER)
    with celery_app_using(UNREACHABLE_REDIS):
        yield


def outbox_payloads(event_subscriber: str = SUBSCRIBER) -> list[dict]:
    return [row.kwargs["payload"] for row in OutboxMessage.objects.filter(task_name=event_subscriber).order_by("pk")]


def rolled_back(write) -> None:
    """Run ``write()`` in a transaction that then fails."""
    with contextlib.suppress(_Abort), transaction.atomic():
        write()
        raise _Abort


class _Abort(Exception):
    pass
