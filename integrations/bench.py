"""Webhook delivery throughput and exactly-once under failures: `python manage.py bench webhooks`.

1. ``--events`` (10,000) ``ticket.created`` events are published (``publish_many``, the recorder's INSERTs) to one
   webhook whose receiver is a threaded ``http.server`` on loopback (``WEBHOOK_ALLOW_PRIVATE_HOSTS`` on for the
   run), then ONE worker (the ``integrations.deliver_due`` task body in this process: SKIP LOCKED claims, the
   endpoint's ``--in-flight`` deliveries posted in parallel threads) delivers them: target under 60 s; reports
   events/s.
2. The same again with ``--flaky-events`` events and a receiver that fails half the requests (503, seeded coin),
   with the backoff compressed (``WEBHOOK_BACKOFF_BASE_SECONDS`` 0.02 s, cap 0.5 s) and the breaker threshold
   raised out of the way (a fair coin gives runs of 15 failures in 20,000 tries): every event must be answered
   2xx exactly once in the end (distinct ``X-Event-Id``), whatever the number of attempts.

Prints the machine load (``uptime``) with the figures.
"""

from __future__ import annotations

import random
import subprocess
import threading
import time

from django.conf import settings
from django.db import transaction
from django.db.models import Count
from django.test.utils import override_settings

from core.registries.events import publish_many
from integrations import delivery, services
from integrations.loopback_receiver import LoopbackReceiver
from integrations.models import (
    DeliveryAttempt,
    DeliveryStatus,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)
from tenancy.context import tenant_context
from tenancy.models import Tenant

SLUG = "bench-webhooks"
PUBLISH_BATCH = 1000


def add_arguments(parser) -> None:
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--flaky-events", type=int, default=10_000)
    parser.add_argument("--in-flight", type=int, default=64, help="The endpoint's concurrency limit")
    parser.add_argument("--timeout", type=float, default=300, help="Give up a phase after this many seconds")


def _uptime() -> str:
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True, timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def _reset(tenant: Tenant) -> None:
    with tenant_context(tenant):
        WebhookEndpoint.objects.all().delete()
        WebhookEvent.objects.all().delete()


def _publish(tenant: Tenant, n: int, *, offset: int) -> float:
    began = time.perf_counter()
    for start in range(0, n, PUBLISH_BATCH):
        payloads = [
            {"ticket_id": offset + i, "account_id": (offset + i) % 500, "account_name": f"Account {i % 500}",
             "subject": f"Bench ticket {offset + i}", "severity": "sev2", "status": "open",
             "created_at": "2026-03-02T09:00:00+00:00"}
            for i in range(start, min(n, start + PUBLISH_BATCH))
        ]
        with transaction.atomic():
            publish_many("ticket.created", tenant_id=tenant.pk, payloads=payloads)
    return time.perf_counter() - began


def _deliver_all(endpoint: WebhookEndpoint, *, timeout: float, out) -> dict:
    """Run the worker's loop until the endpoint has nothing unfinished; returns the totals and the time taken."""
    totals = {"claimed": 0, "succeeded": 0, "retrying": 0, "failed": 0, "paused": 0}
    began = time.perf_counter()
    last_report = began
    client = delivery.http_client()
    try:
        while True:
            step = delivery.deliver_due(budget_seconds=5, client=client)
            for key, value in step.items():
                totals[key] += value
            unfinished = WebhookDelivery.all_tenants.filter(
                endpoint=endpoint, status__in=[DeliveryStatus.PENDING, DeliveryStatus.DELIVERING]).exists()
            if not unfinished or time.perf_counter() - began > timeout:
                break
            if not step["claimed"]:
                time.sleep(0.01)  # retries not due yet (compressed backoff)
            if time.perf_counter() - last_report > 5:
                out.write(f"  ... {totals['succeeded']} delivered, {totals['retrying']} retries scheduled\n")
                last_report = time.perf_counter()
    finally:
        client.close()
    return {**totals, "seconds": round(time.perf_counter() - began, 2)}


def _phase(tenant: Tenant, *, events: int, in_flight: int, timeout: float, respond, out, offset: int) -> dict:
    with LoopbackReceiver(respond, keep_bodies=False) as receiver:
        with tenant_context(tenant):
            endpoint = services.endpoint_create(tenant=tenant, url=receiver.url, events=["ticket.created"],
                                                secret=services.new_secret(), max_in_flight=in_flight)
        publish_seconds = _publish(tenant, events, offset=offset)
        out.write(f"  published {events} events in {publish_seconds:.1f} s; delivering ...\n")
        run = _deliver_all(endpoint, timeout=timeout, out=out)
    statuses = _status_counts(endpoint)
    answers = {
        str(row["status_code"] or "no answer"): row["n"]
        for row in DeliveryAttempt.all_tenants.filter(delivery__endpoint=endpoint).values("status_code")
        .annotate(n=Count("pk"))
    }
    ok_ids = receiver.succeeded_ids
    endpoint.delete()  # its receiver is gone: the next phase's events are not for it
    return {
        "events": events, "publish_seconds": round(publish_seconds, 2), "deliver_seconds": run["seconds"],
        "events_per_second": round(events / run["seconds"], 1) if run["seconds"] else None,
        "requests": len(receiver.event_ids), "distinct_event_ids": len(set(receiver.event_ids)),
        "answered_2xx": len(ok_ids), "distinct_2xx": len(set(ok_ids)),
        "exactly_once": len(ok_ids) == len(set(ok_ids)) == events, "deliveries": statuses,
        "attempts_by_answer": answers,
    }


def _status_counts(endpoint: WebhookEndpoint) -> dict[str, int]:
    rows = WebhookDelivery.all_tenants.filter(endpoint=endpoint).values("status").annotate(n=Count("pk"))
    return {row["status"]: row["n"] for row in rows}


def run(options, out) -> dict:
    tenant, _ = Tenant.objects.get_or_create(slug=SLUG, defaults={"name": "Bench webhooks"})
    _reset(tenant)
    load_before = _uptime()
    out.write(f"{load_before}\n")
    with override_settings(WEBHOOK_ALLOW_PRIVATE_HOSTS=True):
        out.write(f"phase 1: {options['events']} events to a receiver that answers 200 ...\n")
        steady = _phase(tenant, events=options["events"], in_flight=options["in_flight"], timeout=options["timeout"],
                        respond=None, out=out, offset=0)
        out.write(f"  {steady}\n")
        coin = random.Random(5)
        lock = threading.Lock()

        def half(number, event_id, path):
            with lock:
                return 503 if coin.random() < 0.5 else 200

        out.write(f"phase 2: {options['flaky_events']} events to a receiver that fails half the time ...\n")
        with override_settings(WEBHOOK_BACKOFF_BASE_SECONDS=0.02, WEBHOOK_BACKOFF_CAP_SECONDS=0.5,
                               WEBHOOK_BREAKER_FAILURES=1_000_000):
            flaky = _phase(tenant, events=options["flaky_events"], in_flight=options["in_flight"],
                           timeout=options["timeout"], respond=half, out=out, offset=10_000_000)
        out.write(f"  {flaky}\n")
    _reset(tenant)
    load_after = _uptime()
    out.write(f"{load_after}\n")
    return {
        "benchmark": "webhooks", "one_worker_threads": min(options["in_flight"], _threads()),
        "steady": {**steady, "target_seconds": 60, "ok": steady["deliver_seconds"] < 60 and steady["exactly_once"]},
        "half_failing": {**flaky, "ok": flaky["exactly_once"]},
        "uptime_before": load_before, "uptime_after": load_after,
    }


def _threads() -> int:
    return settings.WEBHOOK_SEND_THREADS
