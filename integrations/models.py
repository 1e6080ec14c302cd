"""Outgoing webhooks and Slack notifications: endpoints, the events recorded for them, and their deliveries.

An event row is written by the recorder (``integrations.recording``) in the transaction of the change that
caused it, with one delivery row per subscribed endpoint. The delivery engine (``integrations.delivery``)
claims due deliveries with ``SELECT ... FOR UPDATE SKIP LOCKED``, posts them, and records the outcome; a
retry is a later ``next_attempt_at``, never a Celery countdown.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone

from tenancy.models import TenantModel


class EndpointKind(models.TextChoices):
    WEBHOOK = "webhook", "Webhook"
    SLACK = "slack", "Slack"


class WebhookEndpoint(TenantModel):
    """Where events go: a signed webhook, or a Slack-compatible incoming webhook (``events`` then holds the
    Slack notification keys of ``catalogue.SLACK_NOTIFICATIONS``)."""

    kind = models.CharField(max_length=16, choices=EndpointKind.choices, default=EndpointKind.WEBHOOK)
    url = models.URLField(max_length=2000)
    description = models.CharField(max_length=200, blank=True)
    events = models.JSONField(default=list)
    # Needed in clear to sign each delivery; never shown or returned once saved.
    secret = models.CharField(max_length=200, blank=True)
    active = models.BooleanField(default=True)
    max_in_flight = models.PositiveSmallIntegerField(default=8)
    consecutive_failures = models.PositiveIntegerField(default=0)
    paused_at = models.DateTimeField(null=True, blank=True)
    paused_reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["tenant", "kind"], name="webhook_endpoint_tenant_kind")]
        constraints = [
            models.CheckConstraint(condition=Q(max_in_flight__gte=1), name="webhook_endpoint_in_flight_positive"),
        ]

    def __str__(self):
        return self.url

    @property
    def is_paused(self) -> bool:
        return self.paused_at is not None


class WebhookEvent(TenantModel):
    """One occurrence of an event; ``id`` is the ``X-Event-Id`` of every delivery and retry of it."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    event = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    data = models.JSONField()

    class Meta:
        indexes = [
            models.Index(fields=["tenant", "created_at"], name="webhook_event_tenant_created"),
            # The retention prune's sweep across tenants (oldest first).
            models.Index(fields=["created_at", "id"], name="webhook_event_created"),
        ]


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    DELIVERING = "delivering", "Delivering"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


UNFINISHED = (DeliveryStatus.PENDING, DeliveryStatus.DELIVERING)
FINISHED = (DeliveryStatus.SUCCEEDED, DeliveryStatus.FAILED)


class WebhookDelivery(TenantModel):
    """One event to one endpoint, its state and the outcome of its last attempt.

    ``delivering`` holds a lease: a worker that died mid-delivery leaves the row ``delivering`` and the poller
    takes it again once ``lease_expires_at`` has passed. ``object_key`` orders deliveries about one object.
    """

    event = models.ForeignKey(WebhookEvent, on_delete=models.CASCADE, related_name="deliveries")
    # ON DELETE CASCADE in the database (migration 0002), not in Django: deleting an endpoint is one DELETE
    # whatever the size of its log (Django's cascade would load every delivery first). A migration that
    # re-creates this foreign key must keep the database cascade.
    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.DO_NOTHING, related_name="deliveries")
    object_key = models.CharField(max_length=80, blank=True)
    status = models.CharField(max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    retry_until = models.DateTimeField()
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_latency_ms = models.PositiveIntegerField(null=True, blank=True)
    last_response = models.TextField(blank=True)
    last_error = models.TextField(blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "event"], name="webhook_delivery_once_per_endpoint"),
        ]
        indexes = [
            # The poller: an endpoint's unfinished deliveries in the order it claims them (no sort: the claim
            # stops at its limit).
            models.Index(fields=["endpoint", "next_attempt_at", "id"], name="webhook_delivery_due",
                         condition=Q(status__in=UNFINISHED)),
            # The claim's count of deliveries in flight per endpoint.
            models.Index(fields=["endpoint", "lease_expires_at"], name="webhook_delivery_in_flight",
                         condition=Q(status=DeliveryStatus.DELIVERING)),
            # Ordering: an earlier unfinished delivery about the same object to the same endpoint.
            models.Index(fields=["endpoint", "object_key", "id"], name="webhook_delivery_order",
                         condition=Q(status__in=UNFINISHED)),
            # The delivery log, newest first.
            models.Index(fields=["tenant", "endpoint", "-id"], name="webhook_delivery_log"),
            # The retention prune: finished deliveries by their last attempt (integrations.retention).
            models.Index(fields=["last_attempt_at"], name="webhook_delivery_finished",
                         condition=Q(status__in=FINISHED)),
        ]


class DeliveryAttempt(TenantModel):
    """The log of every attempt: status code (null: no answer), latency, the answer's first bytes or the error."""

    # ON DELETE CASCADE in the database (migration 0002): an endpoint's deletion and the retention prune
    # (integrations.retention) delete deliveries set-based and their attempts go with them.
    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.DO_NOTHING, related_name="attempt_log")
    number = models.PositiveIntegerField()
    attempted_at = models.DateTimeField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    latency_ms = models.PositiveIntegerField()
    response = models.TextField(blank=True)
    error = models.TextField(blank=True)

    class Meta:
        indexes = [models.Index(fields=["tenant", "delivery", "number"], name="webhook_attempt_by_delivery")]
