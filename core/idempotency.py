"""Idempotent writes (API.md "Idempotent writes"): the store of ``Idempotency-Key`` claims and answers.

A POST under /api/v1/ from an API key that carries ``Idempotency-Key`` is run at most once per (API
key, key) within :data:`TTL`; ``core.api.idempotency`` (the middleware) applies these rules:

1. :func:`claim` before the endpoint runs: one ``INSERT ... ON CONFLICT`` in its own short
   transaction (autocommit), so a concurrent request with the same key sees the claim at once and
   never waits on a lock. It also takes over a claim whose lease ran out (a process that died
   mid-request) and a record past its 24 hours.
2. The endpoint runs. Its answer is stored with :func:`finish` when it is one the client should see
   again: every status below 500 except 429 (a throttled request never ran). A 5xx or a 429 releases
   the claim (:func:`release`) so that a retry with the same key runs.
3. The same key again with the same fingerprint (method, full path, SHA-256 of the body): the stored
   answer, byte for byte; while the first is still running: 409; with another fingerprint: 422.

The claim and the endpoint's writes commit separately: a process that dies after the endpoint
committed and before :func:`finish` leaves an in-progress claim that a retry may take over once
:data:`LEASE` has passed and run again (the endpoints' own upserts keep most of them harmless).
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import Enum

from django.conf import settings
from django.db import connection
from django.utils import timezone

from core.models import IdempotencyRecord, IdempotencyState

TTL = timedelta(hours=24)
MAX_KEY_LENGTH = 255
# Headers of the first answer that a replay repeats (besides the body and status).
REPLAYED_HEADERS = ("Content-Type", "Location", "Content-Disposition", "Content-Language")


def lease() -> timedelta:
    """How long an in-progress claim holds its key: past it, a retry takes the key over."""
    return timedelta(seconds=settings.IDEMPOTENCY_LEASE_SECONDS)


def key_error(key: str) -> str | None:
    """Why ``key`` cannot be an Idempotency-Key (None when it can): 1-255 printable ASCII characters."""
    if not key:
        return "Must not be empty."
    if len(key) > MAX_KEY_LENGTH:
        return f"At most {MAX_KEY_LENGTH} characters (got {len(key)})."
    if not all(" " <= ch <= "~" for ch in key):
        return "Only printable ASCII characters are allowed."
    return None


def request_fingerprint(*, method: str, path: str, body_sha256: str) -> str:
    return hashlib.sha256(f"{method.upper()}\n{path}\n{body_sha256}".encode()).hexdigest()


class Outcome(Enum):
    CLAIMED = "claimed"  # run the endpoint
    REPLAY = "replay"  # answer the stored response
    IN_PROGRESS = "in_progress"  # 409
    MISMATCH = "mismatch"  # 422


@dataclass(frozen=True)
class StoredResponse:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Claim:
    outcome: Outcome
    tenant_id: int | None = None
    record_id: int | None = None
    claim_id: uuid.UUID | None = None
    response: StoredResponse | None = None


_TABLE = IdempotencyRecord._meta.db_table

_CLAIM_SQL = f"""
INSERT INTO {_TABLE} AS r (tenant_id, api_key_id, key, fingerprint, state, claim_id, locked_until,
                           response_status, response_body, response_headers, created_at, expires_at)
VALUES (%(tenant)s, %(api_key)s, %(key)s, %(fingerprint)s, %(in_progress)s, %(claim)s, %(locked_until)s,
        NULL, NULL, '{{}}', %(now)s, %(expires_at)s)
ON CONFLICT (tenant_id, api_key_id, key) DO UPDATE
   SET fingerprint = EXCLUDED.fingerprint, state = EXCLUDED.state, claim_id = EXCLUDED.claim_id,
       locked_until = EXCLUDED.locked_until, response_status = NULL, response_body = NULL,
       response_headers = '{{}}', created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at
 WHERE r.expires_at <= EXCLUDED.created_at
    OR (r.state = %(in_progress)s AND r.locked_until <= EXCLUDED.created_at)
RETURNING r.id
"""

def claim(*, tenant_id: int, api_key_id: int, key: str, fingerprint: str, now: datetime | None = None) -> Claim:
    """Claim ``key`` for a request of ``fingerprint``, or say what the earlier request with it decides.

    One statement when the key is new (or stale); one more to read the earlier record otherwise.
    """
    now = now or timezone.now()
    params = {
        "tenant": tenant_id, "api_key": api_key_id, "key": key, "fingerprint": fingerprint,
        "in_progress": IdempotencyState.IN_PROGRESS, "now": now, "locked_until": now + lease(),
        "expires_at": now + TTL,
    }
    for _attempt in range(3):  # the earlier record may vanish (released, purged) between the two statements
        claim_id = uuid.uuid4()
        with connection.cursor() as cursor:
            cursor.execute(_CLAIM_SQL, {**params, "claim": claim_id})
            row = cursor.fetchone()
            if row is not None:
                return Claim(Outcome.CLAIMED, tenant_id=tenant_id, record_id=row[0], claim_id=claim_id)
        existing = (
            IdempotencyRecord.all_tenants.filter(tenant_id=tenant_id, api_key_id=api_key_id, key=key)
            .values_list("fingerprint", "state", "response_status", "response_body", "response_headers")
            .first()
        )
        if existing is not None:
            return _decide(fingerprint, *existing)
    return Claim(Outcome.IN_PROGRESS)


def _decide(fingerprint, stored_fingerprint, state, status, body, headers) -> Claim:
    if stored_fingerprint != fingerprint:
        return Claim(Outcome.MISMATCH)
    if state != IdempotencyState.DONE:
        return Claim(Outcome.IN_PROGRESS)
    return Claim(Outcome.REPLAY, response=StoredResponse(status=status, body=bytes(body), headers=headers or {}))


def _held(claimed: Claim):
    return IdempotencyRecord.all_tenants.filter(
        tenant_id=claimed.tenant_id, pk=claimed.record_id, claim_id=claimed.claim_id
    )


def should_store(status: int) -> bool:
    """Answers a retry should see again: everything the endpoint decided (2xx, 3xx, 4xx) but a 429."""
    return status < 500 and status != 429


def finish(claimed: Claim, response: StoredResponse) -> bool:
    """Store the answer of the request holding ``claimed``; False when its claim was taken over."""
    return bool(
        _held(claimed).update(
            state=IdempotencyState.DONE, locked_until=None, response_status=response.status,
            response_body=response.body, response_headers=response.headers,
        )
    )


def release(claimed: Claim) -> None:
    """Forget the claim (the endpoint failed): a retry with the same key runs the endpoint."""
    _held(claimed).delete()


def purge_expired(*, now: datetime | None = None, batch: int = 10_000) -> int:
    """Delete the records past their 24 hours (the beat job), ``batch`` rows a statement."""
    now = now or timezone.now()
    deleted = 0
    while True:
        ids = list(IdempotencyRecord.all_tenants.filter(expires_at__lte=now).values_list("pk", flat=True)[:batch])
        if not ids:
            return deleted
        count, _ = IdempotencyRecord.all_tenants.filter(pk__in=ids).delete()
        deleted += count
        if len(ids) < batch:
            return deleted
