"""Read-only admin for platform staff: every tenant's onboarding rows, via the cross-tenant manager.
(Edits go through the tenant's pages and API, which scope and validate them.)"""

from django.contrib import admin

from core.admin import CrossTenantReadOnlyAdmin
from onboarding.models import OnboardingPlan, OnboardingTemplate, PlanTask


@admin.register(OnboardingTemplate)
class OnboardingTemplateAdmin(CrossTenantReadOnlyAdmin):
    list_display = ("name", "tenant", "is_default", "updated_at")
    list_filter = ("tenant",)
    search_fields = ("name",)


@admin.register(OnboardingPlan)
class OnboardingPlanAdmin(CrossTenantReadOnlyAdmin):
    list_display = ("account", "tenant", "status", "start_date", "target_go_live_date", "go_live_date", "progress")
    list_filter = ("tenant", "status")


@admin.register(PlanTask)
class PlanTaskAdmin(CrossTenantReadOnlyAdmin):
    list_display = ("title", "plan", "status", "due_date", "owner", "overdue")
    list_filter = ("tenant", "status", "overdue")
