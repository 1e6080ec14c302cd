"""``/api/v1/webhooks/`` (API.md "Webhooks"): endpoints (list / create / get / patch / delete; ``secret``
write-only), their delivery log (``/deliveries/``), replay of one delivery or of everything since a time,
test-send, pause and resume.

Every route here needs the ``integrations.manage`` capability (admins; read-write API keys), reads too: an
endpoint's URL may carry a credential. Slack endpoints are managed on the settings page, not here.
"""

from __future__ import annotations

from django.db import transaction
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view, inline_serializer
from rest_framework import permissions, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from base.errors import DomainError
from core.api.schema import OBJECT_READ_ERRORS, OBJECT_WRITE_ERRORS, READ_ERRORS, WRITE_ERRORS
from core.api.viewsets import TenantModelViewSet, TenantScopedMixin
from integrations import selectors, services
from integrations.access import access_delivery, access_webhook
from integrations.catalogue import WEBHOOK_EVENTS
from integrations.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from tenancy.permissions import INTEGRATIONS_MANAGE
from tenancy.principal import principal_of

CONFLICT = OpenApiResponse(description="The delivery is being sent right now: replay it once it has finished.")


class CanManageIntegrations(permissions.BasePermission):
    message = "Webhooks need a read-write API key (or an admin)."

    def has_permission(self, request, view) -> bool:
        principal = principal_of(request)
        return principal is not None and principal.can(INTEGRATIONS_MANAGE)


class WebhookSerializer(serializers.ModelSerializer):
    url = serializers.CharField(max_length=2000, help_text="https URL; loopback, private and link-local hosts are "
                                "refused (400) unless WEBHOOK_ALLOW_PRIVATE_HOSTS=1.")
    events = serializers.ListField(child=serializers.ChoiceField(choices=list(WEBHOOK_EVENTS)), allow_empty=False,
                                   help_text="Events to receive: " + ", ".join(WEBHOOK_EVENTS) + ".")
    secret = serializers.CharField(write_only=True, required=False, min_length=services.MIN_SECRET_LENGTH,
                                   max_length=200, help_text="Write-only (never returned): the HMAC-SHA256 key of "
                                   "`X-Signature`. Required on create.")
    active = serializers.BooleanField(required=False, default=True)
    description = serializers.CharField(required=False, allow_blank=True, max_length=200)
    max_in_flight = serializers.IntegerField(required=False, min_value=1, max_value=64, default=8,
                                             help_text="Deliveries in flight to this endpoint at once.")
    paused = serializers.BooleanField(source="is_paused", read_only=True,
                                      help_text="Paused by the circuit breaker (or by hand): nothing is sent until "
                                                "resumed or a test-send succeeds.")

    class Meta:
        model = WebhookEndpoint
        fields = ["id", "url", "events", "secret", "active", "description", "max_in_flight", "paused", "paused_at",
                  "paused_reason", "consecutive_failures", "created_at", "updated_at"]
        read_only_fields = ["id", "paused_at", "paused_reason", "consecutive_failures", "created_at", "updated_at"]

    def validate(self, attrs):
        if self.instance is None and not attrs.get("secret"):
            raise serializers.ValidationError({"secret": ["Required: the key the deliveries are signed with."]})
        return attrs

    def create(self, validated_data):
        return services.endpoint_create(tenant=self.context["view"].tenant, **validated_data)

    def update(self, instance, validated_data):
        view = self.context["view"]
        with transaction.atomic():
            locked = access_webhook(instance.pk, principal=principal_of(view.request), for_write=True)
            return services.endpoint_update(endpoint=locked, **validated_data)


class DeliverySerializer(serializers.ModelSerializer):
    event_id = serializers.UUIDField(read_only=True, help_text="The X-Event-Id (the same on every retry).")
    event = serializers.CharField(source="event.event", read_only=True)
    event_created_at = serializers.DateTimeField(source="event.created_at", read_only=True)
    status_code = serializers.IntegerField(source="last_status_code", read_only=True, allow_null=True,
                                           help_text="Of the last attempt; null when there was no answer.")
    latency_ms = serializers.IntegerField(source="last_latency_ms", read_only=True, allow_null=True)
    response = serializers.CharField(source="last_response", read_only=True,
                                     help_text="The first bytes (up to 1 KiB) of the last answer.")
    error = serializers.CharField(source="last_error", read_only=True)

    class Meta:
        model = WebhookDelivery
        fields = ["id", "event_id", "event", "event_created_at", "status", "attempts", "status_code", "latency_ms",
                  "response", "error", "last_attempt_at", "next_attempt_at", "delivered_at", "created_at"]
        read_only_fields = fields


class ReplaySinceSerializer(serializers.Serializer):
    since = serializers.DateTimeField(help_text="Events recorded at or after this time are sent again (at most "
                                                "`WEBHOOK_RETENTION_DAYS`, 30, days back).")


TestResult = inline_serializer("WebhookTestResult", {
    "ok": serializers.BooleanField(), "status_code": serializers.IntegerField(allow_null=True),
    "latency_ms": serializers.IntegerField(), "response": serializers.CharField(), "error": serializers.CharField(),
})
ReplayResult = inline_serializer("WebhookReplayResult", {"replayed": serializers.IntegerField()})


@extend_schema_view(
    list=extend_schema(summary="List webhooks", responses={200: WebhookSerializer, **READ_ERRORS}),
    create=extend_schema(summary="Add a webhook", responses={201: WebhookSerializer, **WRITE_ERRORS}),
    retrieve=extend_schema(responses={200: WebhookSerializer, **OBJECT_READ_ERRORS}),
    partial_update=extend_schema(summary="Change a webhook (a new secret applies to the next delivery)",
                                 responses={200: WebhookSerializer, **OBJECT_WRITE_ERRORS}),
    destroy=extend_schema(summary="Delete a webhook and its delivery log",
                          responses={204: None, **OBJECT_WRITE_ERRORS}),
)
class WebhookViewSet(TenantModelViewSet):
    """Signed webhooks: each delivery is a POST of `{"id", "event", "created_at", "data"}` with `X-Event-Id` and
    `X-Signature: sha256=<hex HMAC-SHA256 of the raw body keyed with the secret>`; non-2xx or no answer is
    retried with exponential backoff and jitter for 24 hours, then the delivery has failed."""

    serializer_class = WebhookSerializer
    write_capability = INTEGRATIONS_MANAGE
    permission_classes = [*TenantModelViewSet.permission_classes, CanManageIntegrations]
    filterset_class = None

    def get_base_queryset(self):
        return selectors.webhooks_for_api()

    def perform_destroy(self, instance):
        with transaction.atomic():
            services.endpoint_delete(endpoint=access_webhook(instance.pk, principal=principal_of(self.request),
                                                             for_write=True))

    @extend_schema(summary="A webhook's deliveries, newest first, with their outcome",
                   responses={200: DeliverySerializer(many=True), **OBJECT_READ_ERRORS},
                   parameters=[inline_serializer("DeliveryQuery", {"status": serializers.ChoiceField(
                       choices=DeliveryStatus.choices, required=False)})])
    @action(detail=True, methods=["get"], serializer_class=DeliverySerializer)
    def deliveries(self, request, pk=None):
        endpoint = self.get_object()
        queryset = selectors.deliveries(endpoint)
        wanted = request.query_params.get("status")
        if wanted:
            if wanted not in DeliveryStatus.values:
                raise DomainError(f"One of {', '.join(DeliveryStatus.values)}.", field="status")
            queryset = queryset.filter(status=wanted)
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(DeliverySerializer(page, many=True).data)

    @extend_schema(summary="Send every event recorded since a time again", request=ReplaySinceSerializer,
                   responses={202: ReplayResult, **OBJECT_WRITE_ERRORS},
                   description="Finished deliveries of events since `since` go back to pending (same `X-Event-Id`: "
                               "receivers deduplicate by it); recorded events of the subscribed types that this "
                               "webhook had no delivery for get one. Every event is recorded from the time the "
                               "tenant's first endpoint (webhook or Slack) existed, so a webhook added or "
                               "subscribed later is sent what happened before; events are kept "
                               "`WEBHOOK_RETENTION_DAYS` (30) days, so `since` reaches back that far at most.")
    @action(detail=True, methods=["post"], serializer_class=ReplaySinceSerializer)
    def replay(self, request, pk=None):
        with transaction.atomic():
            endpoint = access_webhook(pk, principal=principal_of(request), for_write=True)
            body = ReplaySinceSerializer(data=request.data)
            body.is_valid(raise_exception=True)
            count = services.replay_since(endpoint=endpoint, since=body.validated_data["since"])
        return Response({"replayed": count}, status=status.HTTP_202_ACCEPTED)

    @extend_schema(summary="Send a signed `webhook.test` event now and answer its outcome", request=None,
                   responses={200: TestResult, **OBJECT_WRITE_ERRORS},
                   description="A success also resumes a webhook the circuit breaker paused.")
    @action(detail=True, methods=["post"], serializer_class=None)
    def test(self, request, pk=None):
        endpoint = access_webhook(pk, principal=principal_of(request))
        result = services.endpoint_test_send(endpoint=endpoint)
        return Response({"ok": result.ok, "status_code": result.status, "latency_ms": result.elapsed_ms,
                         "response": result.body_prefix, "error": result.error})

    @extend_schema(summary="Pause a webhook (deliveries wait)", request=None,
                   responses={200: WebhookSerializer, **OBJECT_WRITE_ERRORS})
    @action(detail=True, methods=["post"], serializer_class=None)
    def pause(self, request, pk=None):
        with transaction.atomic():
            endpoint = services.endpoint_pause(
                endpoint=access_webhook(pk, principal=principal_of(request), for_write=True))
        return Response(WebhookSerializer(endpoint).data)

    @extend_schema(summary="Resume a paused webhook (waiting deliveries are due now)", request=None,
                   responses={200: WebhookSerializer, **OBJECT_WRITE_ERRORS})
    @action(detail=True, methods=["post"], serializer_class=None)
    def resume(self, request, pk=None):
        with transaction.atomic():
            endpoint = access_webhook(pk, principal=principal_of(request), for_write=True)
            services.endpoint_resume(endpoint=endpoint)
        return Response(WebhookSerializer(endpoint).data)


class DeliveryReplayView(TenantScopedMixin, APIView):
    write_capability = INTEGRATIONS_MANAGE
    permission_classes = [*APIView.permission_classes, CanManageIntegrations]

    @extend_schema(summary="Send one delivery again (same X-Event-Id)", request=None,
                   responses={202: DeliverySerializer, 409: CONFLICT, **OBJECT_WRITE_ERRORS})
    def post(self, request, pk: int, delivery_id: int):
        principal = principal_of(request)
        with transaction.atomic():
            endpoint = access_webhook(pk, principal=principal)
            delivery = access_delivery(delivery_id, endpoint=endpoint, principal=principal, for_write=True)
            services.delivery_replay(delivery=delivery)
        fresh = selectors.deliveries(endpoint).get(pk=delivery.pk)
        return Response(DeliverySerializer(fresh).data, status=status.HTTP_202_ACCEPTED)
