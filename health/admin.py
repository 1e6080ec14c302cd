"""Django admin for platform staff: cross-tenant and read-only (writes go through health.services).

Usage rows (composite primary key, millions of rows) are not in the admin: read them through the API.
"""

from django.contrib import admin

from core.admin import CrossTenantReadOnlyAdmin
from health.models import HealthSnapshot, Scorecard, Sentiment


@admin.register(Scorecard)
class ScorecardAdmin(CrossTenantReadOnlyAdmin):
    list_display = ("tenant", "version", "updated_at", "updated_by")


@admin.register(HealthSnapshot)
class HealthSnapshotAdmin(CrossTenantReadOnlyAdmin):
    list_display = ("computed_at", "tenant", "account_id", "score", "status", "scorecard_version")
    list_filter = ("status",)
    show_full_result_count = False


@admin.register(Sentiment)
class SentimentAdmin(CrossTenantReadOnlyAdmin):
    list_display = ("created_at", "tenant", "account_id", "score", "expires_at", "author")
