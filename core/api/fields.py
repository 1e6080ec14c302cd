from __future__ import annotations

from rest_framework import serializers

from tenancy.selectors import tenant_user_by_email


class TenantPrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """A related id resolved inside the current tenant (another tenant's id is "does not exist")."""

    def __init__(self, model, **kwargs):
        self.related_model = model
        if not kwargs.get("read_only"):
            kwargs["queryset"] = model.all_tenants.none()  # placeholder; get_queryset scopes at use
        super().__init__(**kwargs)

    def get_queryset(self):
        return self.related_model.objects.all()


class TenantUserEmailField(serializers.Field):
    """A user of the current tenant named by email (in and out)."""

    default_error_messages = {"unknown": "No member of this tenant has the email {email}."}

    def to_representation(self, value):
        return value.email if value else None

    def to_internal_value(self, data):
        if data in (None, ""):
            return None
        if not isinstance(data, str):
            self.fail("unknown", email=data)
        user = tenant_user_by_email(data)
        if user is None:
            self.fail("unknown", email=data)
        return user
