from django.contrib import admin

from accounts.models import Account, Contact
from core.admin import CrossTenantReadOnlyAdmin


@admin.register(Account)
class AccountAdmin(CrossTenantReadOnlyAdmin):
    list_display = ("name", "tenant", "segment", "arr", "health_score", "health_status", "status")
    list_filter = ("status", "segment")
    search_fields = ("name", "external_id")
    show_full_result_count = False


@admin.register(Contact)
class ContactAdmin(CrossTenantReadOnlyAdmin):
    list_display = ("name", "email", "tenant", "account", "role", "is_champion")
    search_fields = ("name", "email")
    list_select_related = ("tenant", "account")
