"""Retention (``integrations.retention.prune``): finished deliveries, their attempts and unreferenced events past
``WEBHOOK_RETENTION_DAYS`` go, in batches of one statement each; unfinished ones and the events they refer to
stay; a second run deletes nothing. And an endpoint's deletion is one statement whatever the size of its log."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from integrations import retention, services
from integrations.models import DeliveryAttempt, WebhookDelivery, WebhookEndpoint, WebhookEvent
from tests.factories.integrations import WebhookDeliveryFactory, WebhookEndpointFactory, WebhookEventFactory

NOW = datetime(2026, 6, 30, 12, 0, tzinfo=UTC)


def _delivery(endpoint, *, status: str, last_attempt_days_ago: float | None, event=None, attempts: int = 1):
    at = NOW - timedelta(days=last_attempt_days_ago) if last_attempt_days_ago is not None else None
    event = event or WebhookEventFactory(tenant=endpoint.tenant, created_at=(at or NOW) - timedelta(minutes=5))
    row = WebhookDeliveryFactory(endpoint=endpoint, event=event, status=status, attempts=attempts,
                                 last_attempt_at=at, created_at=event.created_at)
    DeliveryAttempt.all_tenants.bulk_create([
        DeliveryAttempt(tenant_id=row.tenant_id, delivery=row, number=n, attempted_at=at or NOW, status_code=503,
                        latency_ms=10)
        for n in range(1, attempts + 1)
    ])
    return row


def _prune_statements(queries) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if "DELETE" in q["sql"]]


@pytest.mark.django_db(transaction=True)
def test_prune_deletes_only_finished_old_rows_in_bounded_batches_and_is_idempotent(tenant, other_tenant, settings):
    settings.WEBHOOK_RETENTION_DAYS = 30
    with time_machine.travel(NOW, tick=False):
        mine, theirs = WebhookEndpointFactory(tenant=tenant), WebhookEndpointFactory(tenant=other_tenant)
        old = [_delivery(e, status=s, last_attempt_days_ago=40, attempts=3)
               for e in (mine, theirs) for s in ("succeeded", "failed", "succeeded")]
        recent = _delivery(mine, status="succeeded", last_attempt_days_ago=29)
        pending = _delivery(mine, status="pending", last_attempt_days_ago=45)  # a paused endpoint's backlog
        delivering = _delivery(theirs, status="delivering", last_attempt_days_ago=45)
        # An old event that an old finished delivery AND a pending one refer to: the event stays.
        shared = WebhookEventFactory(tenant=tenant, created_at=NOW - timedelta(days=50))
        _delivery(theirs, status="failed", last_attempt_days_ago=50, event=shared)
        WebhookDeliveryFactory(endpoint=mine, event=shared, status="pending")
        # Recorded for replay only (no delivery): old ones go, recent ones (and the grace hour) stay.
        unreferenced_old = WebhookEventFactory(tenant=other_tenant, created_at=NOW - timedelta(days=31))
        in_grace = WebhookEventFactory(tenant=tenant, created_at=NOW - timedelta(days=30, minutes=30))
        unreferenced_new = WebhookEventFactory(tenant=tenant, created_at=NOW - timedelta(days=1))

        with CaptureQueriesContext(connection) as queries:
            result = retention.prune(batch=2)

    # The 6 old deliveries' events and the unreferenced old one (the shared one stays: a pending delivery).
    assert result["deliveries"] == 7 and result["events"] == 7
    # One DELETE statement per batch (each in its own transaction), whatever the rows: 4 delivery batches
    # (2+2+2+1), then windows of 2 over the 10 events older than the horizon and its grace hour (5 full, 1 empty).
    assert result["batches"] == len(_prune_statements(queries)) == 4 + 6
    assert len(queries.captured_queries) <= 3 * result["batches"]  # + SAVEPOINT-free BEGIN/COMMIT at most
    gone = {d.pk for d in old}
    assert not WebhookDelivery.all_tenants.filter(pk__in=gone).exists()
    assert not DeliveryAttempt.all_tenants.filter(delivery_id__in=gone).exists()
    assert set(WebhookDelivery.all_tenants.values_list("pk", flat=True)) >= {recent.pk, pending.pk, delivering.pk}
    assert DeliveryAttempt.all_tenants.filter(delivery=pending).count() == 1
    kept_events = set(WebhookEvent.all_tenants.values_list("pk", flat=True))
    assert {shared.pk, recent.event_id, pending.event_id, delivering.event_id, in_grace.pk,
            unreferenced_new.pk} == kept_events
    assert unreferenced_old.pk not in kept_events

    with time_machine.travel(NOW, tick=False):
        # Nothing more: one empty delivery batch, two windows over the 3 old events still referred to.
        assert retention.prune(batch=2) == {"deliveries": 0, "events": 0, "batches": 3}


@pytest.mark.django_db
def test_prune_batch_statement_count_does_not_grow_with_the_rows_of_a_batch(tenant, settings):
    settings.WEBHOOK_RETENTION_DAYS = 30
    with time_machine.travel(NOW, tick=False):
        endpoint = WebhookEndpointFactory(tenant=tenant)
        for _ in range(30):
            _delivery(endpoint, status="succeeded", last_attempt_days_ago=40, attempts=2)
        with CaptureQueriesContext(connection) as queries:
            result = retention.prune(batch=5000)
    assert result == {"deliveries": 30, "events": 30, "batches": 2}
    assert len(_prune_statements(queries)) == 2
    assert not DeliveryAttempt.all_tenants.exists() and not WebhookEvent.all_tenants.exists()


def test_prune_task_is_on_the_default_queue_and_scheduled():
    from config.celery import app

    route = app.amqp.router.route({}, "integrations.prune_delivery_data")
    assert route["queue"].name == "default"
    assert app.amqp.router.route({}, "integrations.deliver_due")["queue"].name == "webhooks"
    from django.conf import settings
    assert settings.CELERY_BEAT_SCHEDULE["integrations-prune-delivery-data"]["task"] == "integrations.prune_delivery_data"


@pytest.mark.django_db(transaction=True)
def test_deleting_an_endpoint_is_one_statement_whatever_its_log(tenant):
    counts = []
    for size in (2, 300):
        endpoint, other = WebhookEndpointFactory(tenant=tenant), WebhookEndpointFactory(tenant=tenant)
        events = WebhookEventFactory.create_batch(size, tenant=tenant)
        rows = WebhookDelivery.all_tenants.bulk_create([
            WebhookDelivery(tenant=tenant, endpoint=e, event=ev, status="failed", retry_until=NOW)
            for ev in events for e in (endpoint, other)
        ])
        DeliveryAttempt.all_tenants.bulk_create([
            DeliveryAttempt(tenant=tenant, delivery=r, number=n, attempted_at=NOW, latency_ms=5)
            for r in rows for n in (1, 2)
        ])
        with CaptureQueriesContext(connection) as queries:
            services.endpoint_delete(endpoint=endpoint)
        counts.append([q["sql"] for q in queries.captured_queries if q["sql"] not in ("BEGIN", "COMMIT")])
        assert not WebhookEndpoint.all_tenants.filter(pk=endpoint.pk).exists()
        assert not WebhookDelivery.all_tenants.filter(endpoint_id=endpoint.pk).exists()
        assert not DeliveryAttempt.all_tenants.filter(delivery__endpoint_id=endpoint.pk).exists()
        # The other endpoint's log and the shared events are untouched.
        assert WebhookDelivery.all_tenants.filter(endpoint=other).count() == size
        assert DeliveryAttempt.all_tenants.filter(delivery__endpoint=other).count() == 2 * size
        assert WebhookEvent.all_tenants.filter(pk__in=[e.pk for e in events]).count() == size
    assert len(counts[0]) == len(counts[1]) == 1  # the endpoint's DELETE: the database cascades the log


@pytest.mark.django_db(transaction=True)
def test_prune_skips_a_row_another_transaction_holds_without_waiting(tenant, settings):
    """A replay (or a worker) holding a finished delivery's row lock is neither waited for nor overridden: the
    row is left for the next run."""
    import threading

    from django.db import connections, transaction

    settings.WEBHOOK_RETENTION_DAYS = 30
    with time_machine.travel(NOW, tick=False):
        endpoint = WebhookEndpointFactory(tenant=tenant)
        held, free = (_delivery(endpoint, status="succeeded", last_attempt_days_ago=40) for _ in range(2))
    locked, release = threading.Event(), threading.Event()

    def hold():
        try:
            with transaction.atomic():
                WebhookDelivery.all_tenants.select_for_update().get(pk=held.pk)
                locked.set()
                release.wait(10)
        finally:
            connections.close_all()

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert locked.wait(10)
        with time_machine.travel(NOW, tick=False):
            result = retention.prune(batch=10, budget_seconds=5)
        assert result["deliveries"] == 1
        assert set(WebhookDelivery.all_tenants.values_list("pk", flat=True)) == {held.pk}  # free's is gone
        assert not DeliveryAttempt.all_tenants.filter(delivery_id=free.pk).exists()
        assert WebhookEvent.all_tenants.filter(pk=held.event_id).exists()  # still referred to
    finally:
        release.set()
        holder.join(10)
    with time_machine.travel(NOW, tick=False):
        assert retention.prune(batch=10)["deliveries"] == 1
    assert not WebhookDelivery.all_tenants.exists() and not WebhookEvent.all_tenants.exists()
