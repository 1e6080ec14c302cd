"""Bases for the Django admin of tenant-owned models, which is for platform staff and so crosses
tenants on purpose. They live beside ``TenantModel`` (tenancy registers its own models with them);
apps import them as ``core.admin``.

Tenant-owned rows are read through ``all_tenants``; writes that matter go through each app's
services (pages and API), so most admin pages are read-only.
"""

from django.contrib import admin


class CrossTenantAdmin(admin.ModelAdmin):
    list_select_related = ("tenant",)

    def get_queryset(self, request):
        return self.model.all_tenants.select_related("tenant")


class CrossTenantReadOnlyAdmin(CrossTenantAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
