"""Reads behind the webhooks pages and API (constant queries whatever the number of rows)."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from integrations.models import DeliveryStatus, EndpointKind, WebhookDelivery, WebhookEndpoint


def endpoints(kind: str | None = None) -> QuerySet[WebhookEndpoint]:
    queryset = WebhookEndpoint.objects.annotate(
        pending=Count("deliveries", filter=Q(deliveries__status__in=[DeliveryStatus.PENDING,
                                                                      DeliveryStatus.DELIVERING])),
        failed=Count("deliveries", filter=Q(deliveries__status=DeliveryStatus.FAILED)),
    ).order_by("kind", "created_at", "pk")
    return queryset.filter(kind=kind) if kind else queryset


def webhooks_for_api() -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.filter(kind=EndpointKind.WEBHOOK).order_by("pk")


def deliveries(endpoint: WebhookEndpoint) -> QuerySet[WebhookDelivery]:
    """The endpoint's delivery log, newest first, with its event."""
    return (
        WebhookDelivery.objects.filter(endpoint=endpoint).select_related("event")
        .order_by("-pk")
    )
