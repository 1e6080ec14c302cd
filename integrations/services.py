"""Every write of the integrations app: endpoints (create, change, pause, resume, delete, test-send) and
replays. Validation errors are ``DomainError`` naming the field; nothing is written then."""

from __future__ import annotations

import json
import secrets
import uuid
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from base import outbound
from base.errors import DomainError, InvalidTransition
from integrations import retention, signing
from integrations.catalogue import SLACK_NOTIFICATIONS, WEBHOOK_EVENTS, object_key
from integrations.models import (
    DeliveryStatus,
    EndpointKind,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)
from integrations.recording import retry_window, wants

MIN_SECRET_LENGTH = 16
TEST_EVENT = "webhook.test"


def new_secret() -> str:
    return "whsec_" + secrets.token_hex(24)


def _clean_url(url: str) -> str:
    url = (url or "").strip()
    if not url:
        raise DomainError("Enter the URL to deliver to.", field="url")
    if len(url) > 2000:
        raise DomainError("The URL is longer than 2000 characters.", field="url")
    try:
        outbound.check_url(url)
    except outbound.UnsafeURL as exc:
        raise DomainError(str(exc), field="url") from None
    return url


def _clean_events(kind: str, events) -> list[str]:
    catalogue = SLACK_NOTIFICATIONS if kind == EndpointKind.SLACK else WEBHOOK_EVENTS
    if not isinstance(events, (list, tuple)) or not all(isinstance(e, str) for e in events):
        raise DomainError("A list of event names.", field="events")
    unknown = sorted(set(events) - set(catalogue))
    if unknown:
        raise DomainError(f"Unknown: {', '.join(unknown)}. Choose from {', '.join(catalogue)}.", field="events")
    if not events:
        raise DomainError("Choose at least one event.", field="events")
    return [e for e in catalogue if e in set(events)]


def _clean_secret(secret: str) -> str:
    if len(secret or "") < MIN_SECRET_LENGTH:
        raise DomainError(f"At least {MIN_SECRET_LENGTH} characters (e.g. `openssl rand -hex 32`).", field="secret")
    if len(secret) > 200:
        raise DomainError("At most 200 characters.", field="secret")
    return secret


def _clean_in_flight(value) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 64:
        raise DomainError("A whole number from 1 to 64.", field="max_in_flight")
    return value


@transaction.atomic
def endpoint_create(*, tenant, kind: str = EndpointKind.WEBHOOK, url: str, events, secret: str = "",
                    active: bool = True, description: str = "", max_in_flight: int = 8) -> WebhookEndpoint:
    if kind not in EndpointKind.values:
        raise DomainError(f"One of {', '.join(EndpointKind.values)}.", field="kind")
    endpoint = WebhookEndpoint(
        tenant=tenant, kind=kind, url=_clean_url(url), events=_clean_events(kind, events),
        secret=_clean_secret(secret) if kind == EndpointKind.WEBHOOK else "", active=bool(active),
        description=(description or "")[:200], max_in_flight=_clean_in_flight(max_in_flight),
    )
    endpoint.save()
    return endpoint


@transaction.atomic
def endpoint_update(*, endpoint: WebhookEndpoint, **changes) -> WebhookEndpoint:
    """Change the URL, events, secret (webhooks), active flag, description or concurrency; locked by the caller."""
    if "url" in changes:
        endpoint.url = _clean_url(changes["url"])
    if "events" in changes:
        endpoint.events = _clean_events(endpoint.kind, changes["events"])
    if changes.get("secret") and endpoint.kind == EndpointKind.WEBHOOK:
        endpoint.secret = _clean_secret(changes["secret"])
    if "active" in changes:
        endpoint.active = bool(changes["active"])
    if "description" in changes:
        endpoint.description = (changes["description"] or "")[:200]
    if "max_in_flight" in changes:
        endpoint.max_in_flight = _clean_in_flight(changes["max_in_flight"])
    endpoint.updated_at = timezone.now()
    endpoint.save()
    return endpoint


def endpoint_delete(*, endpoint: WebhookEndpoint) -> None:
    """Delete the endpoint and its delivery log: one DELETE whatever the log's size (the database cascades to the
    deliveries and their attempts; Django's cascade would load them all). Its events stay for the other
    endpoints and for retention to prune."""
    WebhookEndpoint.all_tenants.filter(pk=endpoint.pk).delete()


def endpoint_pause(*, endpoint: WebhookEndpoint, reason: str = "Paused by hand.") -> WebhookEndpoint:
    if endpoint.paused_at is None:
        endpoint.paused_at, endpoint.paused_reason = timezone.now(), reason[:300]
        endpoint.save(update_fields=["paused_at", "paused_reason"])
    return endpoint


def endpoint_resume(*, endpoint: WebhookEndpoint) -> int:
    """Unpause, restart the failure count, and make the endpoint's waiting deliveries due now; returns how many."""
    now = timezone.now()
    endpoint.paused_at, endpoint.paused_reason, endpoint.consecutive_failures = None, "", 0
    endpoint.save(update_fields=["paused_at", "paused_reason", "consecutive_failures"])
    return WebhookDelivery.objects.filter(
        endpoint=endpoint, status=DeliveryStatus.PENDING, next_attempt_at__gt=now,
    ).update(next_attempt_at=now)


def test_payload(tenant) -> tuple[str, dict]:
    return TEST_EVENT, {"message": f"A test delivery from {tenant.name}.", "tenant": tenant.slug}


def endpoint_test_send(*, endpoint: WebhookEndpoint) -> outbound.OutboundResponse:
    """Send one signed ``webhook.test`` event now (nothing recorded but the outcome); a success resumes a paused
    endpoint. Call outside a transaction: it waits for the receiver."""
    event, data = test_payload(endpoint.tenant)
    event_id = str(uuid.uuid4())
    if endpoint.kind == EndpointKind.SLACK:
        body = json.dumps({"text": data["message"], "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": f"*{data['message']}*"}},
        ]}).encode()
        headers = signing.headers(event_id=event_id, event=event, body=body, secret="", attempt=1)
    else:
        body = signing.event_body(event_id=event_id, event=event, created_at=timezone.now(), data=data)
        headers = signing.headers(event_id=event_id, event=event, body=body, secret=endpoint.secret, attempt=1)
    try:
        response = outbound.post(endpoint.url, body, headers, timeout=min(settings.WEBHOOK_TIMEOUT_SECONDS, 5.0))
    except outbound.UnsafeURL as exc:
        return outbound.OutboundResponse(status=None, elapsed_ms=0, error=str(exc))
    if response.ok and (endpoint.paused_at is not None or endpoint.consecutive_failures):
        with transaction.atomic():
            locked = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
            endpoint_resume(endpoint=locked)
        endpoint.paused_at, endpoint.paused_reason, endpoint.consecutive_failures = None, "", 0
    return response


@transaction.atomic
def delivery_replay(*, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send a delivery again (same ``X-Event-Id``), now, with a fresh retry window; locked by the caller."""
    if delivery.status == DeliveryStatus.DELIVERING:
        raise InvalidTransition("This delivery is being sent right now; replay it once it has finished.",
                                field="status")
    now = timezone.now()
    delivery.status, delivery.next_attempt_at, delivery.retry_until = DeliveryStatus.PENDING, now, now + retry_window()
    delivery.save(update_fields=["status", "next_attempt_at", "retry_until"])
    return delivery


REPLAY_BATCH = 2000


@transaction.atomic
def replay_since(*, endpoint: WebhookEndpoint, since: datetime) -> int:
    """Everything the endpoint subscribes to, recorded since ``since``, sent again (finished deliveries go back to
    pending; recorded events it had no delivery for get one). Returns how many deliveries are due now.

    Events are recorded once the tenant has any endpoint (``integrations.recording``) and kept
    ``WEBHOOK_RETENTION_DAYS``: a ``since`` older than that reaches back to the retention horizon only."""
    now = timezone.now()
    since = max(since, retention.replay_horizon(now))
    until = now + retry_window()
    again = WebhookDelivery.objects.filter(
        endpoint=endpoint, event__created_at__gte=since, status__in=[DeliveryStatus.SUCCEEDED, DeliveryStatus.FAILED],
    ).update(status=DeliveryStatus.PENDING, next_attempt_at=now, retry_until=until)
    names = (
        [n.event for key, n in SLACK_NOTIFICATIONS.items() if key in endpoint.events]
        if endpoint.kind == EndpointKind.SLACK else list(endpoint.events)
    )
    missing = (
        WebhookEvent.objects.filter(event__in=names, created_at__gte=since)
        .exclude(deliveries__endpoint=endpoint)
        .order_by("created_at", "pk").values_list("pk", "event", "data")
    )
    added = 0
    batch: list[WebhookDelivery] = []
    for pk, event, data in missing.iterator(chunk_size=REPLAY_BATCH):
        if wants(endpoint.kind, endpoint.events, event, data):
            batch.append(WebhookDelivery(tenant_id=endpoint.tenant_id, event_id=pk, endpoint=endpoint,
                                         object_key=object_key(event, data), next_attempt_at=now, retry_until=until))
        if len(batch) >= REPLAY_BATCH:
            added += len(WebhookDelivery.objects.bulk_create(batch, ignore_conflicts=True))
            batch = []
    if batch:
        added += len(WebhookDelivery.objects.bulk_create(batch, ignore_conflicts=True))
    return again + added
