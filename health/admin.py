"""Django admin for platform staff: cross-tenant and read-only (writes go through health.services).

Usage rows (composite primary key, millions of rows) are not in the admin: read them through the API.
"""

from django.contrib import admin

from health.models import HealthSnapshot, Scorecard, Sentiment


class ReadOnlyTenantAdmin(admin.ModelAdmin):
    """Crosses tenants on purpose (``all_tenants``); nothing is edited here."""

    list_select_related = ("tenant",)

    def get_queryset(self, request):
        return self.model.all_tenants.select_related("tenant")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Scorecard)
class ScorecardAdmin(ReadOnlyTenantAdmin):
    list_display = ("tenant", "version", "updated_at", "updated_by")


@admin.register(HealthSnapshot)
class HealthSnapshotAdmin(ReadOnlyTenantAdmin):
    list_display = ("computed_at", "tenant", "account_id", "score", "status", "scorecard_version")
    list_filter = ("status",)
    show_full_result_count = False


@admin.register(Sentiment)
class SentimentAdmin(ReadOnlyTenantAdmin):
    list_display = ("created_at", "tenant", "account_id", "score", "expires_at", "author")
