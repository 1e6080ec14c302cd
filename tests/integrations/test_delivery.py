"""The delivery engine against a real receiver on loopback: signatures, retries with a frozen clock, ordering,
the circuit breaker, SSRF at send time, leases, and a constant number of queries per batch."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from integrations import delivery
from integrations.models import DeliveryAttempt, WebhookDelivery, WebhookEndpoint, WebhookEvent
from tests.integrations.conftest import SECRET, make_webhook, publish_now, ticket_created

pytestmark = pytest.mark.django_db


def test_a_delivery_is_signed_and_the_receiver_can_verify_it(tenant, receiver):
    make_webhook(tenant, receiver.url)
    publish_now("ticket.created", tenant, ticket_created(7))

    totals = delivery.deliver_due()

    assert totals["claimed"] == 1 and totals["succeeded"] == 1
    [request] = receiver.requests
    body, headers = request["body"], request["headers"]
    expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(headers["X-Signature"], expected)
    sent = json.loads(body)
    event = WebhookEvent.all_tenants.get()
    assert sent == {"id": str(event.pk), "event": "ticket.created", "created_at": event.created_at.isoformat(),
                    "data": ticket_created(7)}
    assert headers["X-Event-Id"] == str(event.pk) and headers["Content-Type"] == "application/json"
    assert headers["User-Agent"].startswith("CSP-Webhooks/")
    row = WebhookDelivery.all_tenants.get()
    assert (row.status, row.attempts, row.last_status_code, row.last_response) == ("succeeded", 1, 200, "ok")
    assert row.last_latency_ms is not None and row.delivered_at is not None and row.lease_expires_at is None
    assert DeliveryAttempt.all_tenants.get().status_code == 200


def test_a_tampered_body_fails_verification(tenant, receiver):
    from integrations.signing import verify

    make_webhook(tenant, receiver.url)
    publish_now("ticket.created", tenant, ticket_created(1))
    delivery.deliver_due()
    [request] = receiver.requests
    assert verify(SECRET, request["body"], request["headers"]["X-Signature"])
    assert not verify(SECRET, request["body"].replace(b"Help", b"Halp"), request["headers"]["X-Signature"])
    assert not verify("another-secret-0123456", request["body"], request["headers"]["X-Signature"])


def test_failures_are_retried_with_backoff_then_fail_after_the_window(tenant, receiver, settings):
    settings.WEBHOOK_BACKOFF_BASE_SECONDS = 30
    settings.WEBHOOK_BACKOFF_CAP_SECONDS = 3600
    settings.WEBHOOK_BREAKER_FAILURES = 1000
    receiver.respond = lambda n, event_id, path: 503
    make_webhook(tenant, receiver.url)
    start = timezone.now().replace(microsecond=0)
    with time_machine.travel(start, tick=False) as clock:
        publish_now("ticket.created", tenant, ticket_created(1))
        delivery.deliver_due()
        row = WebhookDelivery.all_tenants.get()
        assert (row.status, row.attempts, row.last_status_code) == ("pending", 1, 503)
        assert start <= row.next_attempt_at <= start + timedelta(seconds=30)
        assert row.retry_until == start + timedelta(hours=24)

        clock.move_to(row.next_attempt_at - timedelta(microseconds=1))
        assert delivery.deliver_due()["claimed"] == 0  # not due yet: no Celery countdown, a row

        ceilings = []
        for attempt in range(2, 9):
            clock.move_to(row.next_attempt_at)
            now = timezone.now()
            assert delivery.deliver_due()["claimed"] == 1
            row.refresh_from_db()
            assert row.attempts == attempt and row.status == "pending"
            ceilings.append(min(3600, 30 * 2 ** (attempt - 1)))
            assert now <= row.next_attempt_at <= now + timedelta(seconds=ceilings[-1])

        clock.move_to(start + timedelta(hours=24))
        WebhookDelivery.all_tenants.update(next_attempt_at=timezone.now())
        delivery.deliver_due()
        row.refresh_from_db()
        assert row.status == "failed" and row.attempts == 9
    assert len(set(receiver.event_ids)) == 1 and len(receiver.event_ids) == 9  # one X-Event-Id, every retry
    assert list(DeliveryAttempt.all_tenants.order_by("number").values_list("number", flat=True)) == list(range(1, 10))


def test_a_timeout_is_a_failed_attempt_with_its_error(tenant, allow_private, settings):
    settings.WEBHOOK_TIMEOUT_SECONDS = 0.5
    with socket.socket() as listener:  # accepts connections, never answers
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        make_webhook(tenant, f"http://127.0.0.1:{listener.getsockname()[1]}/slow")
        publish_now("ticket.created", tenant, ticket_created(1))
        delivery.deliver_due()
    row = WebhookDelivery.all_tenants.get()
    assert row.status == "pending" and row.last_status_code is None and "No answer within 0.5 s" in row.last_error


def test_deliveries_about_one_object_keep_their_order(tenant, receiver, settings):
    settings.WEBHOOK_BREAKER_FAILURES = 1000
    failing = {"id": None}
    receiver.respond = lambda n, event_id, path: 503 if event_id == failing["id"] else 200
    make_webhook(tenant, receiver.url, events=["ticket.created", "ticket.sla_breached"], max_in_flight=8)
    publish_now("ticket.created", tenant, ticket_created(1))
    publish_now("ticket.sla_breached", tenant, {"ticket_id": 1, "account_id": 1, "metric": "first_response"})
    publish_now("ticket.created", tenant, ticket_created(2))
    first, second, other = WebhookEvent.all_tenants.order_by("created_at", "event").values_list("pk", flat=True)
    failing["id"] = str(first)

    delivery.deliver_due()  # the first fails: the second waits behind it; the other ticket's goes

    by_event = {d.event_id: d for d in WebhookDelivery.all_tenants.all()}
    assert by_event[first].status == "pending" and by_event[first].attempts == 1
    assert by_event[second].attempts == 0, "sent before the earlier delivery about the same ticket"
    assert by_event[other].status == "succeeded"
    failing["id"] = None
    with time_machine.travel(by_event[first].next_attempt_at + timedelta(seconds=1), tick=False):
        delivery.deliver_due()
    assert sorted(receiver.event_ids[:2]) == sorted([str(first), str(other)])  # sent in parallel
    assert receiver.event_ids[2:] == [str(first), str(second)]
    assert set(WebhookDelivery.all_tenants.values_list("status", flat=True)) == {"succeeded"}


def test_the_breaker_pauses_a_failing_endpoint_without_delaying_the_others(tenant, receiver, settings):
    settings.WEBHOOK_BREAKER_FAILURES = 3
    receiver.respond = lambda n, event_id, path: 500 if path.startswith("/dead") else 200
    dead = make_webhook(tenant, receiver.url.replace("/hook", "/dead"), max_in_flight=2)
    healthy = make_webhook(tenant, receiver.url)
    publish_now("ticket.created", tenant, payloads=[ticket_created(i) for i in range(1, 6)])

    with time_machine.travel(timezone.now(), tick=False) as clock:
        for _ in range(3):
            delivery.deliver_due()
            clock.shift(timedelta(hours=1))  # past any backoff
        delivery.deliver_due()

    dead.refresh_from_db()
    assert dead.is_paused and dead.consecutive_failures >= 3
    assert "3 failed deliveries in a row" in dead.paused_reason and "HTTP 500" in dead.paused_reason
    dead_requests = sum(1 for r in receiver.requests if r["path"] == "/dead")
    assert dead_requests == dead.consecutive_failures  # nothing sent once paused
    assert WebhookDelivery.all_tenants.filter(endpoint=healthy, status="succeeded").count() == 5
    assert WebhookDelivery.all_tenants.filter(endpoint=dead, status="pending").count() == 5  # they wait


def test_a_name_that_resolves_to_loopback_at_send_time_is_refused(tenant, receiver, settings, monkeypatch):
    """Saved while the name was public; at send time it points at 127.0.0.1 (DNS rebinding): nothing is sent."""
    real = socket.getaddrinfo
    answers = {"rebind.example": "93.184.216.34"}

    def fake(host, port, *args, **kwargs):
        if host in answers:
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (answers[host], port))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    settings.WEBHOOK_ALLOW_PRIVATE_HOSTS = False
    port = int(receiver.url.split(":")[2].split("/")[0])
    make_webhook(tenant, f"http://rebind.example:{port}/hook")
    answers["rebind.example"] = "127.0.0.1"
    publish_now("ticket.created", tenant, ticket_created(1))

    delivery.deliver_due()

    row = WebhookDelivery.all_tenants.get()
    assert row.status == "pending" and row.last_status_code is None
    assert "resolves to 127.0.0.1, a loopback address" in row.last_error
    assert receiver.requests == []


def test_a_delivery_left_delivering_by_a_dead_worker_is_taken_again_after_its_lease(tenant, receiver, settings):
    make_webhook(tenant, receiver.url)
    publish_now("ticket.created", tenant, ticket_created(1))
    now = timezone.now()
    claimed = delivery.claim(now=now, batch=10)  # ... and the worker dies before sending
    assert len(claimed) == 1
    assert delivery.deliver_due()["claimed"] == 0  # its lease holds
    with time_machine.travel(now + timedelta(seconds=settings.WEBHOOK_LEASE_SECONDS + 1), tick=False):
        assert delivery.deliver_due()["succeeded"] == 1
    row = WebhookDelivery.all_tenants.get()
    assert row.status == "succeeded" and row.attempts == 2 and len(receiver.event_ids) == 1


def test_a_late_answer_never_overwrites_a_reclaimed_delivery(tenant, receiver):
    make_webhook(tenant, receiver.url)
    publish_now("ticket.created", tenant, ticket_created(1))
    [stale] = delivery.claim(now=timezone.now(), batch=10)
    WebhookDelivery.all_tenants.update(attempts=2)  # another worker took it after the lease expired
    result = delivery.record([delivery.Outcome(stale, delivery.outbound.OutboundResponse(status=500, elapsed_ms=3),
                                               timezone.now())])
    assert result["retrying"] == 1  # counted, but compare-and-set kept the row as the other worker has it
    row = WebhookDelivery.all_tenants.get()
    assert row.status == "delivering" and row.last_status_code is None and not DeliveryAttempt.all_tenants.exists()


def test_the_per_endpoint_limit_holds_deliveries_in_flight(tenant, receiver):
    endpoint = make_webhook(tenant, receiver.url, max_in_flight=3)
    publish_now("ticket.created", tenant, payloads=[ticket_created(i) for i in range(10)])
    first = delivery.claim(now=timezone.now(), batch=50)
    assert len(first) == 3
    assert delivery.claim(now=timezone.now(), batch=50) == []  # three in flight already
    WebhookEndpoint.all_tenants.filter(pk=endpoint.pk).update(max_in_flight=5)
    assert len(delivery.claim(now=timezone.now(), batch=50)) == 2


def _queries_for(tenant, n: int) -> tuple[int, int]:
    """Queries of one claim and of one record, for a batch of ``n`` deliveries."""
    publish_now("ticket.created", tenant, payloads=[ticket_created(1000 * n + i) for i in range(n)])
    with CaptureQueriesContext(connection) as claiming:
        claimed = delivery.claim(now=timezone.now(), batch=64)
    assert len(claimed) == n
    with delivery.http_client() as client:
        outcomes = [delivery.send_one(c, client) for c in claimed]
    with CaptureQueriesContext(connection) as recording:
        assert delivery.record(outcomes)["succeeded"] == n
    return len(claiming), len(recording)


def test_the_poller_runs_a_constant_number_of_queries_per_batch(tenant, receiver, settings):
    make_webhook(tenant, receiver.url, max_in_flight=64)
    small = _queries_for(tenant, 3)
    large = _queries_for(tenant, 40)
    assert small == large and small[0] <= 6 and small[1] <= 6, (small, large)


def test_the_breaker_counts_a_batch_in_the_order_answers_came(tenant, receiver, settings):
    settings.WEBHOOK_BREAKER_FAILURES = 100
    endpoint = make_webhook(tenant, receiver.url, max_in_flight=1)
    receiver.respond = lambda n, event_id, path: 500
    publish_now("ticket.created", tenant, payloads=[ticket_created(i) for i in range(3)])
    with time_machine.travel(timezone.now(), tick=False) as clock:
        for _ in range(3):
            delivery.deliver_due()
            clock.shift(timedelta(hours=2))
        endpoint.refresh_from_db()
        assert endpoint.consecutive_failures >= 3
        receiver.respond = lambda n, event_id, path: 200
        delivery.deliver_due()
    endpoint.refresh_from_db()
    assert endpoint.consecutive_failures == 0
