"""Product events API: Segment-compatible ``track``, ``identify``, ``group`` and ``batch`` calls, and the
tenant's event-to-metric mappings (``/api/v1/event-mappings/``). See README, "Product events"."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from core.api.viewsets import TenantScopedMixin
from health import selectors
from health.api import HealthApiView
from health.services import events
from health.services.ingest import UsageBatchInvalid
from tenancy.api_auth import ApiKeyAuthentication, TenantSessionAuthentication, WriteKeyAuthentication
from tenancy.permissions import HEALTH_CONFIGURE, HEALTH_WRITE

EVENT_RESULTS = inline_serializer("EventsAccepted", {
    "accepted": serializers.IntegerField(),
    "results": inline_serializer("EventResult", {
        "index": serializers.IntegerField(), "type": serializers.CharField(),
        "status": serializers.CharField(help_text=(
            "counted | duplicate (this messageId counted already) | unmapped (no mapping for the event) | "
            "unknown_account (no account with that external id: skipped) | no_account (no groupId) | "
            "contact_created | contact_updated | linked | matched | skipped: <reason>")),
    }, many=True),
})


class SegmentMessageSerializer(serializers.Serializer):
    """Documentation of one Segment message (the endpoint validates in bulk)."""

    type = serializers.ChoiceField(choices=events.TYPES, required=False, help_text="Implied by the endpoint.")
    event = serializers.CharField(required=False, help_text="track: the event's name (mapped to a metric).")
    messageId = serializers.CharField(required=False, help_text="track: unique per event; retries count once.")  # noqa: N815
    userId = serializers.CharField(required=False)  # noqa: N815
    anonymousId = serializers.CharField(required=False)  # noqa: N815
    groupId = serializers.CharField(required=False, help_text="group: the account's external id.")  # noqa: N815
    timestamp = serializers.DateTimeField(required=False, help_text="The event's time (default now).")
    properties = serializers.DictField(required=False)
    traits = serializers.DictField(required=False, help_text="identify: email, name.")
    context = serializers.DictField(required=False, help_text="track/identify: groupId names the account.")


class EventsView(HealthApiView):
    """One Segment call; ``kind`` is the endpoint's message type (None: ``/batch``)."""

    write_capability = HEALTH_WRITE
    authentication_classes = [WriteKeyAuthentication, ApiKeyAuthentication, TenantSessionAuthentication]
    kind: str | None = None

    def post(self, request):
        try:
            outcome = events.events_ingest(messages=request.data, kind=self.kind)
        except UsageBatchInvalid as exc:
            raise ValidationError(exc.errors) from exc
        return Response(outcome)


_DOC = ("Malformed messages reject the call whole (400, each bad index named, as usage does); well-formed "
        "ones that cannot apply are skipped with their status.")


class TrackView(EventsView):
    kind = "track"

    @extend_schema(request=SegmentMessageSerializer, responses=EVENT_RESULTS, description=(
        "Count a product event into its mapped metric: one per distinct messageId per day, for the account "
        "whose external id is context.groupId. " + _DOC))
    def post(self, request):
        return super().post(request)


class IdentifyView(EventsView):
    kind = "identify"

    @extend_schema(request=SegmentMessageSerializer, responses=EVENT_RESULTS, description=(
        "Upsert a contact of the account (context.groupId) by userId or traits.email. " + _DOC))
    def post(self, request):
        return super().post(request)


class GroupView(EventsView):
    kind = "group"

    @extend_schema(request=SegmentMessageSerializer, responses=EVENT_RESULTS, description=(
        "Find the account by external id (groupId); with a userId, link that user's contact to it. " + _DOC))
    def post(self, request):
        return super().post(request)


class BatchView(EventsView):
    @extend_schema(
        request=inline_serializer("SegmentBatch", {"batch": SegmentMessageSerializer(many=True)}),
        responses=EVENT_RESULTS,
        description="Up to 10,000 messages of any type, each with its `type`. " + _DOC,
    )
    def post(self, request):
        return super().post(request)


class EventMappingSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    event = serializers.CharField(max_length=200, help_text="A tracked event's name.")
    metric = serializers.CharField(max_length=100, help_text="The usage metric it feeds (then owned by events).")
    created_at = serializers.DateTimeField(read_only=True)


class EventMappingViewSet(TenantScopedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                          mixins.DestroyModelMixin, viewsets.GenericViewSet):
    """Which tracked events feed which usage metrics (admins)."""

    serializer_class = EventMappingSerializer
    write_capability = HEALTH_CONFIGURE

    def get_base_queryset(self):
        return selectors.event_mappings()

    def create(self, request):
        serializer = EventMappingSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        mapping = events.event_mapping_create(**serializer.validated_data)
        return Response(EventMappingSerializer(mapping).data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance):
        events.event_mapping_delete(mapping=instance)
