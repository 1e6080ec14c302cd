"""Django admin for support staff of the platform (cross-tenant, read-mostly: writes go through services)."""

from django.contrib import admin

from core.admin import CrossTenantAdmin
from tickets.models import (
    InboundEmail,
    SlaPolicy,
    SupportSettings,
    Ticket,
    TicketChange,
    TicketComment,
    TicketSlaEvent,
)


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return self.model.all_tenants.all()


class CommentInline(ReadOnlyInline):
    model = TicketComment
    fields = ("created_at", "public", "from_customer", "author", "contact", "body")


class SlaEventInline(ReadOnlyInline):
    model = TicketSlaEvent
    fields = ("at", "kind", "metric", "due_at", "detail")


class ChangeInline(ReadOnlyInline):
    model = TicketChange
    fields = ("at", "action", "actor", "actor_label", "changes", "note")


@admin.register(Ticket)
class TicketAdmin(CrossTenantAdmin):
    list_display = ("number", "tenant", "subject", "severity", "status", "sla_state", "support_level", "opened_at")
    list_filter = ("status", "severity", "sla_state", "tenant")
    search_fields = ("subject",)
    raw_id_fields = ("account", "contact", "assignee", "created_by", "sla_policy")
    readonly_fields = [f.name for f in Ticket._meta.fields]
    inlines = [CommentInline, SlaEventInline, ChangeInline]
    list_select_related = ("tenant",)

    def has_add_permission(self, request):
        return False


@admin.register(SlaPolicy)
class SlaPolicyAdmin(CrossTenantAdmin):
    list_display = ("tenant", "severity", "segment", "response_minutes", "resolution_minutes", "clock")
    list_filter = ("tenant",)


@admin.register(SupportSettings)
class SupportSettingsAdmin(CrossTenantAdmin):
    list_display = ("tenant", "timezone", "at_risk_percent", "escalate_after_minutes")


@admin.register(InboundEmail)
class InboundEmailAdmin(CrossTenantAdmin):
    list_display = ("received_at", "tenant", "from_email", "subject", "outcome")
    list_filter = ("outcome", "tenant")
    readonly_fields = [f.name for f in InboundEmail._meta.fields]
