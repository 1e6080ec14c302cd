"""`kill -9` of the worker mid-delivery loses nothing: the deliveries it held stay "delivering" until their lease
expires, then another worker takes them again and every event reaches the receiver."""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest
from django.db import transaction

from core.registries.events import publish_many
from integrations.loopback_receiver import LoopbackReceiver
from integrations.models import WebhookDelivery
from tests.celery_support import (
    BROKER_KEYS,
    TEST_REDIS_URL,
    celery_app_using,
    redis_client,
    require_test_redis,
    start_worker,
    stop_worker,
    wait_for_worker,
)
from tests.integrations.conftest import make_webhook, ticket_created

WORKER_ENV = {"WEBHOOK_ALLOW_PRIVATE_HOSTS": "1", "WEBHOOK_LEASE_SECONDS": "3", "WEBHOOK_TIMEOUT_SECONDS": "60",
              "WEBHOOK_POLL_BUDGET_SECONDS": "5"}


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_kill_9_of_the_worker_mid_delivery_loses_nothing(tenant, allow_private, tmp_path):
    require_test_redis()
    broker = redis_client()
    broker.delete(*BROKER_KEYS)
    release = threading.Event()

    def hang_until_released(number, event_id, path):
        release.wait(timeout=60)  # bounded: the test never hangs for good
        return 200

    first, second = tmp_path / "first.log", tmp_path / "second.log"
    with LoopbackReceiver(hang_until_released) as receiver:
        make_webhook(tenant, receiver.url, max_in_flight=8)
        with transaction.atomic():
            publish_many("ticket.created", tenant_id=tenant.pk, payloads=[ticket_created(i) for i in range(5)])
        worker = start_worker(first, hostname="doomed", **WORKER_ENV)
        replacement = None
        try:
            with celery_app_using(TEST_REDIS_URL) as app:
                deadline = time.monotonic() + 120
                wait_for_worker(app, worker, "doomed", first, deadline)
                app.send_task("integrations.deliver_due", queue="webhooks")
                while len(receiver.event_ids) < 5:  # all five are in flight, the receiver holding them
                    assert worker.poll() is None and time.monotonic() < deadline, first.read_text()
                    time.sleep(0.05)
                os.killpg(worker.pid, signal.SIGKILL)
                worker.wait()
                assert set(WebhookDelivery.all_tenants.values_list("status", flat=True)) == {"delivering"}
                receiver.respond = lambda number, event_id, path: 200
                release.set()

                replacement = start_worker(second, hostname="rescuer", **WORKER_ENV)
                wait_for_worker(app, replacement, "rescuer", second, deadline)
                while WebhookDelivery.all_tenants.exclude(status="succeeded").exists():
                    assert replacement.poll() is None and time.monotonic() < deadline, second.read_text()
                    app.send_task("integrations.deliver_due", queue="webhooks")  # what beat does every 2 s
                    time.sleep(1)
        finally:
            release.set()
            stop_worker(worker)
            if replacement is not None:
                stop_worker(replacement)
            broker.delete(*BROKER_KEYS)
    rows = list(WebhookDelivery.all_tenants.values_list("event_id", "attempts", "status"))
    assert len(rows) == 5 and all(status == "succeeded" and attempts == 2 for _, attempts, status in rows)
    assert {str(event_id) for event_id, _, _ in rows} <= set(receiver.succeeded_ids)
