"""What a delivery sends: the body (bytes, signed exactly as sent) and its headers. Pure."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime

USER_AGENT = "CSP-Webhooks/1.0 (+https://github.com/csp)"


def event_body(*, event_id: str, event: str, created_at: datetime, data: dict) -> bytes:
    """API.md: ``{"id", "event", "created_at", "data"}``, compact JSON, UTF-8."""
    return json.dumps(
        {"id": event_id, "event": event, "created_at": created_at.isoformat(), "data": data},
        separators=(",", ":"), ensure_ascii=False,
    ).encode()


def signature(secret: str, body: bytes) -> str:
    """``sha256=<hex>``: the HMAC-SHA256 of the raw body keyed with the endpoint's secret."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def headers(*, event_id: str, event: str, body: bytes, secret: str, attempt: int) -> dict[str, str]:
    out = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Event-Id": event_id,
        "X-Event-Type": event,
        "X-Delivery-Attempt": str(attempt),
    }
    if secret:
        out["X-Signature"] = signature(secret, body)
    return out


def verify(secret: str, body: bytes, header: str) -> bool:
    """What a receiver does (README): constant-time comparison of the header with the expected signature."""
    return hmac.compare_digest(signature(secret, body), header or "")
