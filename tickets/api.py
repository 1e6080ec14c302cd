"""Tickets and SLAs API (API.md "Tickets and SLAs"): serializers and views; every write calls a service."""

from __future__ import annotations

import django_filters
from django.db import transaction
from django.db.models import F
from django.http import Http404
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Account, Contact
from base.errors import DomainError
from base.limits import EARLIEST_DATETIME
from core.api.fields import TenantPrimaryKeyRelatedField, TenantUserEmailField
from core.api.parsers import FormParser, JSONParser, MultiPartParser
from core.api.viewsets import TenantScopedMixin
from tenancy.permissions import TICKETS_CONFIGURE, TICKETS_WRITE
from tickets import email_intake, selectors, services
from tickets.models import (
    Channel,
    InboundEmail,
    SlaClock,
    SlaState,
    Ticket,
    TicketAttachment,
    TicketComment,
    TicketStatus,
)
from tickets.sla_engine import support_settings_get
from tickets.views import attachment_response


@extend_schema_field({"type": "string", "format": "email", "nullable": True})
class MemberEmailField(TenantUserEmailField):
    pass


class ActorMixin:
    """Who a request acts as, for the change log: the member, or the API key by name."""

    @property
    def actor_label(self) -> str:
        key = getattr(self.request.user, "api_key", None)
        return f"API key: {key.name}" if key is not None else ""

    def actor_kwargs(self) -> dict:
        return {"actor": self.acting_user, "actor_label": self.actor_label}


# --------------------------------------------------------------------------- tickets

TICKET_FIELDS = [
    "id", "number", "account", "contact", "subject", "description", "severity", "status", "channel", "assignee",
    "support_level", "tags", "opened_at", "first_response_at", "resolved_at", "closed_at", "response_due_at",
    "resolution_due_at", "response_breached", "resolution_breached", "sla_state", "response_state",
    "resolution_state", "escalated_at", "updated_at",
]
TICKET_READ_ONLY = [
    "id", "number", "first_response_at", "resolved_at", "closed_at", "response_due_at", "resolution_due_at",
    "response_breached", "resolution_breached", "sla_state", "response_state", "resolution_state", "escalated_at",
    "updated_at",
]


class TicketSerializer(serializers.ModelSerializer):
    account = TenantPrimaryKeyRelatedField(model=Account)
    contact = TenantPrimaryKeyRelatedField(model=Contact, required=False, allow_null=True)
    assignee = MemberEmailField(required=False, allow_null=True)
    severity = serializers.IntegerField(min_value=1, max_value=4, required=False, default=3)
    support_level = serializers.IntegerField(min_value=1, max_value=3, required=False, default=1)
    status = serializers.ChoiceField(choices=TicketStatus.choices, required=False)
    channel = serializers.ChoiceField(choices=Channel.choices, required=False, default=Channel.API)
    tags = serializers.ListField(child=serializers.CharField(max_length=50), required=False, max_length=20)
    opened_at = serializers.DateTimeField(
        required=False, help_text="Writable on create (imports), from 1900-01-01T00:00:00Z; default now.")
    sla_state = serializers.ChoiceField(choices=SlaState.choices, read_only=True)
    response_breached = serializers.BooleanField(read_only=True)
    resolution_breached = serializers.BooleanField(read_only=True)

    class Meta:
        model = Ticket
        fields = TICKET_FIELDS
        read_only_fields = TICKET_READ_ONLY

    def validate_opened_at(self, value):
        if value < EARLIEST_DATETIME:
            raise serializers.ValidationError(f"Give a time on or after {EARLIEST_DATETIME:%Y-%m-%dT%H:%M:%SZ}.")
        return value

    def validate_status(self, value):
        if self.instance is None and value not in (TicketStatus.NEW, TicketStatus.OPEN):
            raise serializers.ValidationError("A ticket starts as new (or open); change its status afterwards.")
        return value

    def validate(self, attrs):
        if self.instance is not None:
            if "account" in attrs and attrs["account"] != self.instance.account:
                raise serializers.ValidationError({"account": ["A ticket can't move to another account."]})
            attrs.pop("account", None)
            attrs.pop("opened_at", None)
            if not self.partial:  # PATCH only; defaults must not overwrite
                raise serializers.ValidationError({"non_field_errors": ["Use PATCH."]})
            for name in ("severity", "support_level", "channel"):
                if name not in self.initial_data:
                    attrs.pop(name, None)
        return attrs

    def create(self, validated_data):
        wanted = validated_data.pop("status", None)
        view = self.context["view"]
        with transaction.atomic():
            ticket = services.ticket_create(**validated_data, **view.actor_kwargs())
            if wanted == TicketStatus.OPEN and ticket.status == TicketStatus.NEW:
                services.ticket_transition(ticket=ticket, to_status=TicketStatus.OPEN, **view.actor_kwargs())
        return ticket

    def update(self, instance, validated_data):
        return services.ticket_update(ticket=instance, **validated_data, **self.context["view"].actor_kwargs())


class TicketFilter(django_filters.FilterSet):
    status = django_filters.CharFilter(method="filter_status", label="Status, or several comma-separated")
    severity = django_filters.NumberFilter()
    assignee = django_filters.CharFilter(field_name="assignee__email", lookup_expr="iexact", label="Assignee email")
    unassigned = django_filters.BooleanFilter(field_name="assignee", lookup_expr="isnull")
    account = django_filters.NumberFilter(field_name="account_id")
    contact = django_filters.NumberFilter(field_name="contact_id")
    channel = django_filters.ChoiceFilter(choices=Channel.choices)
    support_level = django_filters.NumberFilter()
    sla_state = django_filters.ChoiceFilter(choices=SlaState.choices)
    breaching = django_filters.BooleanFilter(method="filter_breaching", label="At risk or breached")
    number = django_filters.NumberFilter()
    tag = django_filters.CharFilter(method="filter_tag")
    opened_after = django_filters.IsoDateTimeFilter(field_name="opened_at", lookup_expr="gte")
    opened_before = django_filters.IsoDateTimeFilter(field_name="opened_at", lookup_expr="lt")
    search = django_filters.CharFilter(method="filter_search", label="Subject, #number or account name")
    ordering = django_filters.ChoiceFilter(
        method="filter_ordering", label="Order",
        choices=[("-number", "newest first"), ("number", "oldest first"), ("next_breach", "next SLA breach first"),
                 ("-opened_at", "opened, newest"), ("opened_at", "opened, oldest")],
    )

    class Meta:
        model = Ticket
        fields = ["severity", "channel", "support_level", "sla_state", "number"]

    def filter_status(self, queryset, name, value):
        statuses = [s.strip() for s in value.split(",") if s.strip()]
        unknown = [s for s in statuses if s not in TicketStatus.values]
        if unknown:
            raise serializers.ValidationError({"status": [f"Unknown status {unknown[0]!r}."]})
        return queryset.filter(status__in=statuses)

    def filter_breaching(self, queryset, name, value):
        states = selectors.BREACHING_STATES
        return queryset.filter(sla_state__in=states) if value else queryset.exclude(sla_state__in=states)

    def filter_tag(self, queryset, name, value):
        return queryset.filter(tags__contains=[value.strip().lower()])

    def filter_search(self, queryset, name, value):
        return queryset.filter(selectors._search_q(value.strip())) if value.strip() else queryset

    def filter_ordering(self, queryset, name, value):
        if value == "next_breach":
            return queryset.order_by(F("sla_next_due_at").asc(nulls_last=True), "id")
        return queryset.order_by(value, "-id")


class CommentSerializer(serializers.ModelSerializer):
    contact = TenantPrimaryKeyRelatedField(
        model=Contact, required=False, allow_null=True,
        help_text="Set when the customer (this contact) is speaking; omit for the tenant's side.",
    )
    public = serializers.BooleanField(default=True)
    author = serializers.EmailField(source="author.email", read_only=True, allow_null=True)
    attachments = serializers.SerializerMethodField()

    class Meta:
        model = TicketComment
        fields = ["id", "ticket", "body", "public", "contact", "author", "from_customer", "channel", "created_at",
                  "attachments"]
        read_only_fields = ["id", "ticket", "author", "from_customer", "channel", "created_at", "attachments"]

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_attachments(self, comment) -> list[str]:
        return [a.filename for a in comment.attachments.all()]


class AttachmentSerializer(serializers.ModelSerializer):
    file = serializers.FileField(write_only=True)
    url = serializers.SerializerMethodField()
    comment = serializers.IntegerField(required=False, allow_null=True, source="comment_id")

    class Meta:
        model = TicketAttachment
        fields = ["id", "ticket", "comment", "file", "filename", "content_type", "size", "url", "created_at"]
        read_only_fields = ["id", "ticket", "filename", "content_type", "size", "url", "created_at"]

    def get_url(self, attachment) -> str:
        """The tenant-checked download endpoint (never the storage URL: files are private to the tenant)."""
        path = reverse("api-ticket-attachment-download", args=[attachment.ticket_id, attachment.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path


class TransitionSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=TicketStatus.choices)
    note = serializers.CharField(required=False, allow_blank=True, default="")


class AssignSerializer(serializers.Serializer):
    assignee = MemberEmailField(allow_null=True)


class EscalateSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class EventSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    source = serializers.ChoiceField(choices=[("sla", "SLA event"), ("change", "change")])
    kind = serializers.CharField()
    metric = serializers.CharField()
    label = serializers.CharField()
    who = serializers.CharField()
    due_at = serializers.DateTimeField(allow_null=True)
    detail = serializers.JSONField()
    note = serializers.CharField()


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
        return Ticket.objects.select_related("account", "contact", "assignee").order_by("-number")

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
        comment = services.ticket_reply(
            ticket=ticket, body=data["body"], public=data["public"], contact=data.get("contact"),
            author=None if data.get("contact") else self.acting_user, channel=Channel.API,
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
        ticket = services.ticket_transition(
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
        ticket = services.ticket_assign(ticket=ticket, assignee=serializer.validated_data["assignee"],
                                        **self.actor_kwargs())
        return Response(TicketSerializer(ticket, context=self.get_serializer_context()).data)

    @extend_schema(request=EscalateSerializer, responses={200: TicketSerializer, 409: OpenApiTypes.OBJECT},
                   summary="Escalate one support level (max L3)")
    @action(detail=True, methods=["post"], serializer_class=EscalateSerializer)
    def escalate(self, request, pk=None):
        ticket = self._ticket()
        serializer = EscalateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        ticket = services.ticket_escalate(ticket=ticket, reason=serializer.validated_data["reason"],
                                          **self.actor_kwargs())
        return Response(TicketSerializer(ticket, context=self.get_serializer_context()).data)

    @extend_schema(
        request=None, responses={200: TicketSerializer}, summary="Re-apply the tenant's current SLA policy",
        description="Tickets keep the targets they were opened with; after a policy table or account segment "
                    "change this recomputes them from `opened_at` (paused time kept out). Logged when they differ.",
    )
    @action(detail=True, methods=["post"], url_path="reapply-sla")
    def reapply_sla(self, request, pk=None):
        ticket = services.ticket_reapply_sla(ticket=self._ticket(), **self.actor_kwargs())
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
        comment = TicketComment.objects.filter(pk=comment_id, ticket=ticket).first() if comment_id else None
        if comment_id and comment is None:
            raise DomainError("Unknown comment for this ticket.", field="comment")
        attachment = services.ticket_attach(
            ticket=ticket, file=serializer.validated_data["file"], uploaded_by=self.acting_user, comment=comment,
            actor_label=self.actor_label,
        )
        return Response(AttachmentSerializer(attachment, context=self.get_serializer_context()).data,
                        status=status.HTTP_201_CREATED)

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY},
                   summary="Download an attachment (404 unless it belongs to this ticket)")
    @action(detail=True, methods=["get"], url_path=r"attachments/(?P<attachment_id>[0-9]+)/download",
            pagination_class=None, filterset_class=None)
    def attachment_download(self, request, pk=None, attachment_id=None):
        ticket = self._ticket()
        attachment = TicketAttachment.objects.filter(pk=attachment_id, ticket=ticket).first()
        if attachment is None or not attachment.file:
            raise Http404("No such attachment")
        return attachment_response(attachment)


# --------------------------------------------------------------------------- configuration


class SlaPolicySerializer(serializers.Serializer):
    severity = serializers.IntegerField(min_value=1, max_value=4)
    segment = serializers.CharField(allow_null=True, required=False, default=None, max_length=50)
    response_minutes = serializers.IntegerField(min_value=1)
    resolution_minutes = serializers.IntegerField(min_value=1)
    clock = serializers.ChoiceField(choices=SlaClock.choices, default=SlaClock.ALWAYS)


class SlaPolicyView(APIView):
    """The tenant's SLA policy table: targets per (severity, segment); segment null = any segment."""

    write_capability = TICKETS_CONFIGURE

    @extend_schema(responses=SlaPolicySerializer(many=True), summary="SLA policies")
    def get(self, request):
        return Response(SlaPolicySerializer(selectors.sla_policies_effective(), many=True).data)

    @extend_schema(request=SlaPolicySerializer(many=True), responses=SlaPolicySerializer(many=True),
                   summary="Replace the SLA policy table",
                   description="Existing tickets keep their targets; new tickets and severity changes use the new table.")
    def put(self, request):
        if not isinstance(request.data, list):
            raise serializers.ValidationError({"non_field_errors": ["Send a list of policies."]})
        serializer = SlaPolicySerializer(data=request.data, many=True)
        serializer.is_valid(raise_exception=True)
        services.sla_policies_replace(policies=serializer.validated_data)
        return Response(SlaPolicySerializer(selectors.sla_policies_effective(), many=True).data)


class IntervalSerializer(serializers.Serializer):
    weekday = serializers.IntegerField(min_value=0, max_value=6, help_text="Monday = 0")
    start = serializers.RegexField(r"^\d{2}:\d{2}$", help_text="HH:MM")
    end = serializers.RegexField(r"^\d{2}:\d{2}$", help_text="HH:MM (24:00 = midnight)")


class BusinessHoursSerializer(serializers.Serializer):
    timezone = serializers.CharField(max_length=64)
    intervals = IntervalSerializer(many=True)
    holidays = serializers.ListField(child=serializers.DateField(), required=False, default=list)


class BusinessHoursView(APIView):
    """Business hours: the clock of business-hours SLA targets (tenant time zone, intervals, holidays)."""

    write_capability = TICKETS_CONFIGURE

    @extend_schema(responses=BusinessHoursSerializer, summary="Business hours")
    def get(self, request):
        return Response(BusinessHoursSerializer(selectors.business_hours_get()).data)

    @extend_schema(request=BusinessHoursSerializer, responses=BusinessHoursSerializer, summary="Set business hours")
    def put(self, request):
        serializer = BusinessHoursSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        services.business_hours_update(
            timezone_name=data["timezone"], intervals=[dict(i) for i in data["intervals"]],
            holidays=[day.isoformat() for day in data["holidays"]],
        )
        return Response(BusinessHoursSerializer(selectors.business_hours_get()).data)


class SupportSettingsSerializer(serializers.Serializer):
    at_risk_percent = serializers.IntegerField(min_value=1, max_value=100, required=False)
    escalate_after_minutes = serializers.IntegerField(min_value=1, allow_null=True, required=False)


class SupportSettingsView(APIView):
    """At-risk threshold (% of a target elapsed) and escalation age (minutes unresolved; null = never)."""

    write_capability = TICKETS_CONFIGURE

    @extend_schema(responses=SupportSettingsSerializer, summary="Support settings")
    def get(self, request):
        return Response(SupportSettingsSerializer(support_settings_get()).data)

    @extend_schema(request=SupportSettingsSerializer, responses=SupportSettingsSerializer,
                   summary="Change support settings")
    def patch(self, request):
        serializer = SupportSettingsSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        return Response(SupportSettingsSerializer(services.support_settings_update(**serializer.validated_data)).data)


# --------------------------------------------------------------------------- email in and triage


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
        return InboundEmail.objects.select_related("ticket").order_by("-received_at", "-id")

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

