"""The tickets endpoint: tickets with their SLA state, comments, transitions, assignment, escalation, logs and
attachments. Every write calls a service; another tenant's ticket is 404."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from base.errors import DomainError
from core.api.parsers import FormParser, JSONParser, MultiPartParser
from core.api.viewsets import TenantScopedMixin
from tenancy.permissions import TICKETS_WRITE
from tickets import selectors
from tickets.access import access_attachment
from tickets.api.common import ActorMixin
from tickets.api.serializers import (
    AssignSerializer,
    AttachmentSerializer,
    CommentSerializer,
    EscalateSerializer,
    EventSerializer,
    TicketFilter,
    TicketSerializer,
    TransitionSerializer,
)
from tickets.models import Channel, Ticket
from tickets.services import assignment, lifecycle
from tickets.services.attachments import ticket_attach
from tickets.views.common import attachment_response


class TicketViewSet(
    ActorMixin, TenantScopedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
    mixins.UpdateModelMixin, viewsets.GenericViewSet,
):
    """Support tickets with their SLA state. Another tenant's ticket is 404."""

    serializer_class = TicketSerializer
    filterset_class = TicketFilter
    write_capability = TICKETS_WRITE
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_base_queryset(self):
        return selectors.ticket_list_queryset()

    def _ticket(self) -> Ticket:
        return self.get_object()

    @extend_schema(
        methods=["GET"], responses=CommentSerializer(many=True), summary="List the ticket's comments",
    )
    @extend_schema(
        methods=["POST"], request=CommentSerializer, responses={201: CommentSerializer},
        summary="Add a comment",
        description="A comment naming a `contact` is the customer speaking (a pending or resolved ticket goes "
                    "back to open); any other comment is the tenant's side. The first public comment from the "
                    "tenant's side sets `first_response_at`.",
    )
    @action(detail=True, methods=["get", "post"], serializer_class=CommentSerializer)
    def comments(self, request, pk=None):
        ticket = self._ticket()
        if request.method == "GET":
            page = self.paginate_queryset(selectors.ticket_comments(ticket))
            return self.get_paginated_response(CommentSerializer(page, many=True).data)
        serializer = CommentSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        comment = lifecycle.ticket_reply(
            ticket=ticket, body=data["body"], public=data["public"], contact=data.get("contact"),
            actor=None if data.get("contact") else self.acting_user, channel=Channel.API,
            actor_label=self.actor_label,
        )
        return Response(CommentSerializer(comment).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=TransitionSerializer, responses={200: TicketSerializer, 409: OpenApiTypes.OBJECT},
                   summary="Change status (new -> open -> pending_customer -> resolved -> closed; reopen)")
    @action(detail=True, methods=["post"], serializer_class=TransitionSerializer)
    def transition(self, request, pk=None):
        ticket = self._ticket()
        serializer = TransitionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        ticket = lifecycle.ticket_transition(
            ticket=ticket, to_status=serializer.validated_data["status"], note=serializer.validated_data["note"],
            **self.actor_kwargs(),
        )
        return Response(TicketSerializer(ticket, context=self.get_serializer_context()).data)

    @extend_schema(request=AssignSerializer, responses={200: TicketSerializer}, summary="Assign (email) or unassign (null)")
    @action(detail=True, methods=["post"], serializer_class=AssignSerializer)
    def assign(self, request, pk=None):
        ticket = self._ticket()
        serializer = AssignSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        ticket = assignment.ticket_assign(ticket=ticket, assignee=serializer.validated_data["assignee"],
                                        **self.actor_kwargs())
        return Response(TicketSerializer(ticket, context=self.get_serializer_context()).data)

    @extend_schema(request=EscalateSerializer, responses={200: TicketSerializer, 409: OpenApiTypes.OBJECT},
                   summary="Escalate one support level (max L3)")
    @action(detail=True, methods=["post"], serializer_class=EscalateSerializer)
    def escalate(self, request, pk=None):
        ticket = self._ticket()
        serializer = EscalateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        ticket = assignment.ticket_escalate(ticket=ticket, reason=serializer.validated_data["reason"],
                                          **self.actor_kwargs())
        return Response(TicketSerializer(ticket, context=self.get_serializer_context()).data)

    @extend_schema(
        request=None, responses={200: TicketSerializer}, summary="Re-apply the tenant's current SLA policy",
        description="Tickets keep the targets they were opened with; after a policy table or account segment "
                    "change this recomputes them from `opened_at` (paused time kept out). Logged when they differ.",
    )
    @action(detail=True, methods=["post"], url_path="reapply-sla")
    def reapply_sla(self, request, pk=None):
        ticket = lifecycle.ticket_reapply_sla(ticket=self._ticket(), **self.actor_kwargs())
        return Response(TicketSerializer(ticket, context=self.get_serializer_context()).data)

    @extend_schema(responses=EventSerializer(many=True), summary="SLA event log and change log, in time order")
    @action(detail=True, methods=["get"], serializer_class=EventSerializer, pagination_class=None, filterset_class=None)
    def events(self, request, pk=None):
        events = selectors.ticket_events(self._ticket())
        return Response(EventSerializer(events, many=True).data)

    @extend_schema(methods=["GET"], responses=AttachmentSerializer(many=True), summary="List attachments")
    @extend_schema(methods=["POST"], request={"multipart/form-data": AttachmentSerializer},
                   responses={201: AttachmentSerializer}, summary="Upload an attachment (multipart, field `file`)")
    @action(detail=True, methods=["get", "post"], serializer_class=AttachmentSerializer, pagination_class=None,
            parser_classes=[MultiPartParser, FormParser, JSONParser])
    def attachments(self, request, pk=None):
        ticket = self._ticket()
        if request.method == "GET":
            attachments = selectors.ticket_attachments(ticket)
            return Response(AttachmentSerializer(attachments, many=True, context=self.get_serializer_context()).data)
        serializer = AttachmentSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        comment_id = serializer.validated_data.get("comment_id")
        comment = selectors.ticket_comment(ticket, comment_id) if comment_id else None
        if comment_id and comment is None:
            raise DomainError("Unknown comment for this ticket.", field="comment")
        attachment = ticket_attach(
            ticket=ticket, file=serializer.validated_data["file"], actor=self.acting_user, comment=comment,
            actor_label=self.actor_label,
        )
        return Response(AttachmentSerializer(attachment, context=self.get_serializer_context()).data,
                        status=status.HTTP_201_CREATED)

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY},
                   summary="Download an attachment (404 unless it belongs to this ticket)")
    @action(detail=True, methods=["get"], url_path=r"attachments/(?P<attachment_id>[0-9]+)/download",
            pagination_class=None, filterset_class=None)
    def attachment_download(self, request, pk=None, attachment_id=None):
        attachment = access_attachment(self._ticket(), attachment_id, principal=request.user)
        return attachment_response(attachment)

