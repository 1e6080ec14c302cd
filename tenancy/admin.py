from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from tenancy.admin_base import CrossTenantAdmin, CrossTenantReadOnlyAdmin
from tenancy.models import ApiKey, Membership, Tenant, User


@admin.register(Tenant)
class TenantAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "timezone", "currency", "created_at")
    search_fields = ("name", "slug")


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ("email",)
    list_display = ("email", "full_name", "is_staff", "is_active", "last_login")
    search_fields = ("email", "full_name")
    fieldsets = (
        (None, {"fields": ("email", "password", "full_name")}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)


@admin.register(Membership)
class MembershipAdmin(CrossTenantAdmin):
    list_display = ("user", "tenant", "role", "created_at")
    list_filter = ("role",)
    search_fields = ("user__email", "tenant__slug")
    raw_id_fields = ("user", "tenant")


@admin.register(ApiKey)
class ApiKeyAdmin(CrossTenantReadOnlyAdmin):
    """Keys are created and revoked in the tenant's settings (the raw key is shown once, there)."""

    list_display = ("name", "prefix", "tenant", "scopes", "created_at", "last_used_at", "revoked_at")
    exclude = ("key_hash",)
