"""The recorder (``core.registries.events.record_with``): event rows and their deliveries, written in the
publisher's transaction (a rollback records nothing; once committed, nothing is lost).

Three queries per publish whatever the number of occurrences: the tenant's subscribed endpoints, one INSERT
of the events, one INSERT of the deliveries. An event no endpoint wants is not recorded at all.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from integrations.catalogue import (
    RECORDED_EVENTS,
    SLACK_NOTIFICATIONS,
    WEBHOOK_EVENTS,
    object_key,
    slack_wants,
)
from integrations.models import EndpointKind, WebhookDelivery, WebhookEndpoint, WebhookEvent


def subscribers_filter(event: str) -> Q:
    """Endpoints (of either kind) that may want ``event``: a webhook listing it, a Slack endpoint with one of
    the notifications built on it (whether an occurrence applies is decided per payload)."""
    wanted = Q(pk__in=[])
    if event in WEBHOOK_EVENTS:
        wanted |= Q(kind=EndpointKind.WEBHOOK, events__contains=[event])
    slack_keys = [key for key, n in SLACK_NOTIFICATIONS.items() if n.event == event]
    if slack_keys:
        wanted |= Q(kind=EndpointKind.SLACK, events__has_any_keys=slack_keys)
    return wanted


def wants(endpoint_kind: str, endpoint_events: list[str], event: str, data: dict) -> bool:
    if endpoint_kind == EndpointKind.SLACK:
        return slack_wants(event, data, endpoint_events)
    return event in endpoint_events


def retry_window() -> timedelta:
    return timedelta(seconds=settings.WEBHOOK_RETRY_WINDOW_SECONDS)


def record_events(event: str, tenant_id: int, payloads: list[dict]) -> None:
    if event not in RECORDED_EVENTS:
        return
    endpoints = list(
        WebhookEndpoint.all_tenants.filter(subscribers_filter(event), tenant_id=tenant_id, active=True)
        .values_list("pk", "kind", "events")
    )
    if not endpoints:
        return
    now = timezone.now()
    rows, deliveries = [], []
    for data in payloads:
        targets = [pk for pk, kind, events in endpoints if wants(kind, events, event, data)]
        if not targets:
            continue
        row = WebhookEvent(tenant_id=tenant_id, event=event, created_at=now, data=data)
        rows.append(row)
        key = object_key(event, data)
        deliveries += [
            WebhookDelivery(tenant_id=tenant_id, event=row, endpoint_id=pk, object_key=key, next_attempt_at=now,
                            retry_until=now + retry_window(), created_at=now)
            for pk in targets
        ]
    if rows:
        WebhookEvent.all_tenants.bulk_create(rows)
        WebhookDelivery.all_tenants.bulk_create(deliveries)
