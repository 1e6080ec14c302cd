"""Email in and the triage list of unknown senders."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.models import Account, Contact
from core.api.fields import TenantPrimaryKeyRelatedField
from core.api.viewsets import TenantScopedMixin
from tenancy.permissions import TICKETS_WRITE
from tickets import email_intake, selectors
from tickets.api.common import ActorMixin
from tickets.api.serializers import TicketSerializer
from tickets.models import InboundEmail


class InboundEmailInSerializer(serializers.Serializer):
    sender = serializers.CharField(max_length=500, help_text='Sent as "from": "Name <email>" or "email".')
    to = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    subject = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    text = serializers.CharField(required=False, allow_blank=True, default="", trim_whitespace=False)
    message_id = serializers.CharField(max_length=500)
    in_reply_to = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000,
                                        help_text="The email's In-Reply-To header (threads a reply onto its ticket).")
    references = serializers.CharField(required=False, allow_blank=True, default="", max_length=20000,
                                       help_text="The email's References header.")

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = fields.pop("sender")
        return fields


class InboundEmailSerializer(serializers.ModelSerializer):
    ticket_number = serializers.IntegerField(source="ticket.number", read_only=True, allow_null=True)

    class Meta:
        model = InboundEmail
        fields = ["id", "message_id", "from_email", "from_name", "to_email", "subject", "text", "received_at",
                  "outcome", "ticket", "ticket_number", "comment"]
        read_only_fields = fields


class TriageConvertSerializer(serializers.Serializer):
    account = TenantPrimaryKeyRelatedField(model=Account)
    contact = TenantPrimaryKeyRelatedField(model=Contact, required=False, allow_null=True)
    severity = serializers.IntegerField(min_value=1, max_value=4, default=3)


class InboundEmailViewSet(
    ActorMixin, TenantScopedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Email in. POST creates a ticket for a known contact (or comments when the subject has `[#number]`);
    unknown senders wait in the triage list. Idempotent on `message_id` (a repeat answers 200)."""

    serializer_class = InboundEmailSerializer
    write_capability = TICKETS_WRITE
    filterset_fields = ["outcome"]

    def get_base_queryset(self):
        return selectors.inbound_emails()

    @extend_schema(
        request=InboundEmailInSerializer,
        responses={201: InboundEmailSerializer, 200: OpenApiResponse(InboundEmailSerializer, "Already received")},
        summary="Receive an email",
    )
    def create(self, request):
        serializer = InboundEmailInSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        result = email_intake.email_receive(
            message_id=data["message_id"], sender=data["from"], to=data["to"], subject=data["subject"], text=data["text"],
            in_reply_to=data["in_reply_to"], references=data["references"],
        )
        code = status.HTTP_200_OK if result.duplicate else status.HTTP_201_CREATED
        return Response(InboundEmailSerializer(result.email).data, status=code)

    @extend_schema(responses=InboundEmailSerializer(many=True), summary="Emails from unknown senders awaiting triage")
    @action(detail=False, methods=["get"])
    def triage(self, request):
        page = self.paginate_queryset(selectors.triage_emails())
        return self.get_paginated_response(InboundEmailSerializer(page, many=True).data)

    @extend_schema(request=TriageConvertSerializer, responses={201: TicketSerializer}, summary="Turn into a ticket")
    @action(detail=True, methods=["post"], serializer_class=TriageConvertSerializer)
    def convert(self, request, pk=None):
        email = self.get_object()
        serializer = TriageConvertSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        ticket = email_intake.triage_convert(email=email, **serializer.validated_data, **self.actor_kwargs())
        return Response(TicketSerializer(ticket).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: InboundEmailSerializer}, summary="Dismiss from triage")
    @action(detail=True, methods=["post"])
    def dismiss(self, request, pk=None):
        email = email_intake.triage_dismiss(email=self.get_object())
        return Response(InboundEmailSerializer(email).data)

