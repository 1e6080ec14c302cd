"""The delivery engine: claim due deliveries, post them, record what happened.

``deliver_due()`` (the beat-polled Celery task's body) loops over batches:

1. **claim** (one statement): lock the active, unpaused endpoints that no other worker is claiming for
   (``FOR UPDATE SKIP LOCKED``), take their due deliveries (``FOR UPDATE SKIP LOCKED`` too: a row another worker
   is recording the outcome of is skipped) (pending and due, or ``delivering`` with an expired
   lease: a worker that died mid-delivery) that no earlier unfinished delivery about the same object to the same
   endpoint is waiting before (order per subscription and object), at most ``max_in_flight`` per endpoint counting
   those still in flight, and mark them ``delivering`` with a lease;
2. **send** them in parallel threads through ``base.outbound.post`` (SSRF re-checked at send time), one shared
   HTTP client (keep-alive);
3. **record** (three statements): the outcomes, compare-and-set on (status, attempts) so a delivery reclaimed
   after its lease is never overwritten by a late answer; the attempt log; the endpoints' consecutive failures,
   pausing an endpoint (the circuit breaker) after ``WEBHOOK_BREAKER_FAILURES`` in a row.

A retry is a later ``next_attempt_at`` (``integrations.backoff``), never a Celery countdown.
"""

from __future__ import annotations

import json
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from base import outbound
from integrations import backoff, signing
from integrations.models import DeliveryAttempt, DeliveryStatus, EndpointKind, WebhookDelivery
from integrations.slack import slack_message

CLAIM_SQL = """
WITH endpoints AS (
    SELECT e.id, e.max_in_flight FROM integrations_webhookendpoint e
    WHERE e.active AND e.paused_at IS NULL
    FOR UPDATE OF e SKIP LOCKED
),
picked AS (
    -- Per endpoint, its first due deliveries in order, as many as it has room for (an index range scan each).
    SELECT due.id, due.next_attempt_at FROM endpoints
    CROSS JOIN LATERAL (
        SELECT count(*) AS n FROM integrations_webhookdelivery f
        WHERE f.endpoint_id = endpoints.id AND f.status = 'delivering' AND f.lease_expires_at > %(now)s
    ) in_flight
    CROSS JOIN LATERAL (
        SELECT d.id, d.next_attempt_at FROM integrations_webhookdelivery d
        WHERE d.endpoint_id = endpoints.id
          AND d.status IN ('pending', 'delivering') AND d.next_attempt_at <= %(now)s
          AND (d.status = 'pending' OR d.lease_expires_at <= %(now)s)
          AND (d.object_key = '' OR NOT EXISTS (
              SELECT 1 FROM integrations_webhookdelivery earlier
              WHERE earlier.endpoint_id = d.endpoint_id AND earlier.object_key = d.object_key AND earlier.id < d.id
                AND earlier.status IN ('pending', 'delivering')))
        ORDER BY d.next_attempt_at  -- the index's order (ties by id): the scan stops at the limit, no sort
        LIMIT greatest(endpoints.max_in_flight - in_flight.n, 0)
        FOR UPDATE OF d SKIP LOCKED
    ) due
    ORDER BY due.next_attempt_at, due.id
    LIMIT %(batch)s
)
UPDATE integrations_webhookdelivery d
SET status = 'delivering', attempts = d.attempts + 1, lease_expires_at = %(lease)s, last_attempt_at = %(now)s
FROM picked WHERE d.id = picked.id AND d.status IN ('pending', 'delivering')
RETURNING d.id
"""

# Outcomes of one batch: compare-and-set on the claim (status, attempts) so a reclaimed delivery is left alone.
RECORD_SQL = """
UPDATE integrations_webhookdelivery d
SET status = v.status, next_attempt_at = coalesce(v.next_attempt_at, d.next_attempt_at), lease_expires_at = NULL,
    last_status_code = v.status_code, last_latency_ms = v.latency_ms, last_response = v.response,
    last_error = v.error, delivered_at = CASE WHEN v.status = 'succeeded' THEN v.at ELSE d.delivered_at END
FROM (VALUES {values}) AS v(id, attempts, status, next_attempt_at, status_code, latency_ms, response, error, at)
WHERE d.id = v.id AND d.status = 'delivering' AND d.attempts = v.attempts
RETURNING d.id
"""
RECORD_ROW = "(%s::bigint, %s::int, %s, %s::timestamptz, %s::int, %s::int, %s, %s, %s::timestamptz)"

# Consecutive failures per endpoint, and the breaker. v.reset: a success was seen (the count restarts at
# v.trail, the failures after the last success); otherwise v.failures more in a row.
BREAKER_SQL = """
UPDATE integrations_webhookendpoint e
SET consecutive_failures = CASE WHEN v.reset THEN v.trail ELSE e.consecutive_failures + v.failures END,
    paused_at = CASE WHEN e.paused_at IS NULL AND e.active
                      AND (CASE WHEN v.reset THEN v.trail ELSE e.consecutive_failures + v.failures END) >= %s
                     THEN %s ELSE e.paused_at END,
    paused_reason = CASE WHEN e.paused_at IS NULL AND e.active
                          AND (CASE WHEN v.reset THEN v.trail ELSE e.consecutive_failures + v.failures END) >= %s
                         THEN %s || v.last_error ELSE e.paused_reason END
FROM (VALUES {values}) AS v(id, reset, trail, failures, last_error)
WHERE e.id = v.id
"""
BREAKER_ROW = "(%s::bigint, %s::boolean, %s::int, %s::int, %s)"


@dataclass(frozen=True)
class Claimed:
    id: int
    tenant_id: int
    attempts: int
    retry_until: datetime
    endpoint_id: int
    endpoint_failures: int
    kind: str
    url: str
    secret: str
    event_id: str
    event: str
    created_at: datetime
    data: dict


@dataclass(frozen=True)
class Outcome:
    claimed: Claimed
    response: outbound.OutboundResponse
    attempted_at: datetime


def _no_fsync_wait(cursor) -> None:
    """The engine's own transactions commit without waiting for the WAL flush (``synchronous_commit = off``, this
    transaction only). A database crash may forget the last few milliseconds of them: a forgotten claim leaves
    the delivery pending, a forgotten outcome sends it again: at-least-once either way, as the contract says
    (receivers deduplicate by ``X-Event-Id``). Events themselves are written by the publisher's transaction, which
    keeps its durable commit: a crash loses no event."""
    if connection.in_atomic_block and not connection.savepoint_ids:
        cursor.execute("SET LOCAL synchronous_commit TO OFF")


def claim(*, now: datetime, batch: int) -> list[Claimed]:
    """Claim up to ``batch`` due deliveries (two queries: the claim, then what to send)."""
    lease = now + timedelta(seconds=settings.WEBHOOK_LEASE_SECONDS)
    with transaction.atomic():
        with connection.cursor() as cursor:
            _no_fsync_wait(cursor)
            # Every step of the claim has its index; right after a burst of events (before autovacuum's next
            # ANALYZE) stale statistics make the planner prefer scanning the whole table, every claim. (Nor is a
            # millisecond query worth JIT-compiling, which the planner's inflated costs would then ask for.)
            cursor.execute("SET LOCAL enable_seqscan TO OFF; SET LOCAL jit TO OFF")
            cursor.execute(CLAIM_SQL, {"now": now, "lease": lease, "batch": batch})
            ids = [row[0] for row in cursor.fetchall()]
    if not ids:
        return []
    rows = (
        WebhookDelivery.all_tenants.filter(pk__in=ids).order_by("next_attempt_at", "pk")
        .values_list("pk", "tenant_id", "attempts", "retry_until", "endpoint_id", "endpoint__consecutive_failures",
                     "endpoint__kind", "endpoint__url", "endpoint__secret", "event_id", "event__event",
                     "event__created_at", "event__data")
    )
    return [Claimed(*row[:9], str(row[9]), *row[10:]) for row in rows]


def request_for(c: Claimed) -> tuple[bytes, dict[str, str]]:
    if c.kind == EndpointKind.SLACK:
        body = json.dumps(slack_message(c.event, c.data), ensure_ascii=False).encode()
        return body, signing.headers(event_id=c.event_id, event=c.event, body=body, secret="", attempt=c.attempts)
    body = signing.event_body(event_id=c.event_id, event=c.event, created_at=c.created_at, data=c.data)
    return body, signing.headers(event_id=c.event_id, event=c.event, body=body, secret=c.secret, attempt=c.attempts)


def send_one(c: Claimed, client: httpx.Client) -> Outcome:
    attempted_at = timezone.now()
    body, headers = request_for(c)
    try:
        response = outbound.post(c.url, body, headers, timeout=settings.WEBHOOK_TIMEOUT_SECONDS, client=client)
    except outbound.UnsafeURL as exc:
        response = outbound.OutboundResponse(status=None, elapsed_ms=0, error=str(exc))
    return Outcome(c, response, attempted_at)


def http_client() -> httpx.Client:
    timeout = settings.WEBHOOK_TIMEOUT_SECONDS
    return httpx.Client(timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)), follow_redirects=False,
                        limits=httpx.Limits(max_connections=64, max_keepalive_connections=32))


def _describe(response: outbound.OutboundResponse) -> str:
    return f"HTTP {response.status}" if response.status is not None else (response.error or "no answer")


def record(outcomes: list[Outcome], *, now: datetime | None = None) -> dict[str, int]:
    """Write a batch's outcomes (three statements, whatever the batch size); returns counts."""
    if not outcomes:
        return {"succeeded": 0, "retrying": 0, "failed": 0, "paused": 0}
    now = now or timezone.now()
    counts = {"succeeded": 0, "retrying": 0, "failed": 0}
    params: list = []
    for o in outcomes:
        c, r = o.claimed, o.response
        if r.ok:
            status, when = DeliveryStatus.SUCCEEDED, None
            counts["succeeded"] += 1
        else:
            when = backoff.next_attempt(now, c.attempts, retry_until=c.retry_until,
                                        base=settings.WEBHOOK_BACKOFF_BASE_SECONDS,
                                        cap=settings.WEBHOOK_BACKOFF_CAP_SECONDS)
            status = DeliveryStatus.PENDING if when else DeliveryStatus.FAILED
            counts["retrying" if when else "failed"] += 1
        params += [c.id, c.attempts, status, when, r.status, r.elapsed_ms, r.body_prefix, r.error[:2000], now]
    with transaction.atomic():
        with connection.cursor() as cursor:
            _no_fsync_wait(cursor)
            cursor.execute(RECORD_SQL.format(values=", ".join([RECORD_ROW] * len(outcomes))), params)
            recorded = {row[0] for row in cursor.fetchall()}
        DeliveryAttempt.all_tenants.bulk_create([
            DeliveryAttempt(tenant_id=o.claimed.tenant_id, delivery_id=o.claimed.id, number=o.claimed.attempts,
                            attempted_at=o.attempted_at, status_code=o.response.status,
                            latency_ms=o.response.elapsed_ms, response=o.response.body_prefix,
                            error=o.response.error[:2000])
            for o in outcomes if o.claimed.id in recorded
        ])
        paused = _count_failures([o for o in outcomes if o.claimed.id in recorded], now)
    return {**counts, "paused": paused}


def _count_failures(outcomes: list[Outcome], now: datetime) -> int:
    per_endpoint: dict[int, dict] = {}
    for o in outcomes:
        e = per_endpoint.setdefault(o.claimed.endpoint_id, {
            "reset": False, "trailing": 0, "failures": 0, "before": o.claimed.endpoint_failures, "last": "",
        })
        if o.response.ok:
            e["reset"], e["trailing"] = True, 0
        else:
            e["trailing"] += 1
            e["failures"] += 1
            e["last"] = _describe(o.response)
    changed = [(pk, e) for pk, e in per_endpoint.items() if e["failures"] or e["before"]]
    if not changed:
        return 0
    threshold = settings.WEBHOOK_BREAKER_FAILURES
    reason = f"Paused after {threshold} failed deliveries in a row (last: "
    params: list = [threshold, now, threshold, reason]
    values = []
    for pk, e in changed:
        values.append(BREAKER_ROW)
        params += [pk, e["reset"], e["trailing"], e["failures"], e["last"][:200] + ")."]
    with connection.cursor() as cursor:
        cursor.execute(BREAKER_SQL.format(values=", ".join(values)) + " RETURNING e.paused_at = %s", [*params, now])
        return sum(1 for (just_paused,) in cursor.fetchall() if just_paused)


def deliver_due(*, batch: int | None = None, budget_seconds: float | None = None,
                client: httpx.Client | None = None) -> dict[str, int]:
    """Deliver what is due until nothing is due or the time budget is spent, as a pipeline: claim up to ``batch``
    deliveries, post them in parallel threads, and each time at least half of those in flight have answered,
    record their outcomes (one ``record`` call) and claim more to fill the room they left. Each claim and each
    record is a constant number of queries whatever its size."""
    batch = batch or settings.WEBHOOK_BATCH_SIZE
    budget = settings.WEBHOOK_POLL_BUDGET_SECONDS if budget_seconds is None else budget_seconds
    totals = {"claimed": 0, "succeeded": 0, "retrying": 0, "failed": 0, "paused": 0}
    started = time.monotonic()
    own_client = client is None
    client = client or http_client()
    in_flight: set[Future] = set()
    try:
        with ThreadPoolExecutor(max_workers=settings.WEBHOOK_SEND_THREADS) as pool:
            while True:
                if time.monotonic() - started < budget and len(in_flight) <= batch // 2:
                    claimed = claim(now=timezone.now(), batch=batch - len(in_flight))
                    totals["claimed"] += len(claimed)
                    in_flight |= {pool.submit(send_one, c, client) for c in claimed}
                if not in_flight:
                    break
                answered: list[Outcome] = []
                target = max(1, len(in_flight) // 2)
                while in_flight and len(answered) < target:
                    done, in_flight = wait(in_flight, return_when=FIRST_COMPLETED)
                    answered += [future.result() for future in done]
                for key, value in record(answered).items():
                    totals[key] += value
    finally:
        if own_client:
            client.close()
    return totals
