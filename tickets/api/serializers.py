"""Serializers and the filter of the ticket endpoints (API.md "Tickets and SLAs")."""

from __future__ import annotations

import django_filters
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import Account, Contact
from base.limits import EARLIEST_DATETIME
from core.api.fields import TenantPrimaryKeyRelatedField
from tickets import selectors
from tickets.api.common import MemberEmailField
from tickets.models import Channel, SlaState, Ticket, TicketAttachment, TicketComment, TicketStatus
from tickets.services import lifecycle
from tickets.states import BREACHING_STATES

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
            ticket = lifecycle.ticket_create(**validated_data, **view.actor_kwargs())
            if wanted == TicketStatus.OPEN and ticket.status == TicketStatus.NEW:
                lifecycle.ticket_transition(ticket=ticket, to_status=TicketStatus.OPEN, **view.actor_kwargs())
        return ticket

    def update(self, instance, validated_data):
        return lifecycle.ticket_update(ticket=instance, **validated_data, **self.context["view"].actor_kwargs())


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
        states = BREACHING_STATES
        return queryset.filter(sla_state__in=states) if value else queryset.exclude(sla_state__in=states)

    def filter_tag(self, queryset, name, value):
        return queryset.filter(tags__contains=[value.strip().lower()])

    def filter_search(self, queryset, name, value):
        return queryset.filter(selectors.search_q(value.strip())) if value.strip() else queryset

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

