"""Read-only admin for platform staff: every tenant's onboarding rows, via the cross-tenant manager.
(Edits go through the tenant's pages and API, which scope and validate them.)"""

from django.contrib import admin

from onboarding.models import OnboardingPlan, OnboardingTemplate, PlanTask


class CrossTenantAdmin(admin.ModelAdmin):
    def get_queryset(self, request):
        return self.model.all_tenants.all()

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(OnboardingTemplate)
class OnboardingTemplateAdmin(CrossTenantAdmin):
    list_display = ("name", "tenant", "is_default", "updated_at")
    list_filter = ("tenant",)
    search_fields = ("name",)


@admin.register(OnboardingPlan)
class OnboardingPlanAdmin(CrossTenantAdmin):
    list_display = ("account", "tenant", "status", "start_date", "target_go_live_date", "go_live_date", "progress")
    list_filter = ("tenant", "status")


@admin.register(PlanTask)
class PlanTaskAdmin(CrossTenantAdmin):
    list_display = ("title", "plan", "status", "due_date", "owner", "overdue")
    list_filter = ("tenant", "status", "overdue")
