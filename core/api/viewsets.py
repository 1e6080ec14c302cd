"""The base of every tenant-owned API viewset.

Querysets are always scoped to the tenant: subclasses say what to read in
``get_base_queryset`` (usually a selector) and may not override ``get_queryset``
(the PostHog rule; the escape hatch would be named ``dangerously_get_queryset``).
Another tenant's object therefore is a 404.
"""

from __future__ import annotations

from django.db.models import QuerySet
from rest_framework import mixins, viewsets

from tenancy.context import get_current_tenant
from tenancy.managers import CurrentTenantId
from tenancy.models import TenantModel


class TenantScopedMixin:
    write_capability: str | None = None

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "get_queryset" in cls.__dict__:
            raise TypeError(
                f"{cls.__name__} overrides get_queryset; define get_base_queryset instead so tenant scoping stays."
            )

    def get_base_queryset(self) -> QuerySet:
        raise NotImplementedError

    def get_queryset(self) -> QuerySet:
        queryset = self.get_base_queryset()
        if not issubclass(queryset.model, TenantModel):
            raise TypeError(f"{queryset.model.__name__} is not tenant-owned")
        return queryset.filter(tenant_id=CurrentTenantId())

    @property
    def tenant(self):
        return get_current_tenant()

    @property
    def acting_user(self):
        """The member behind a session request, or None for an API key."""
        return getattr(self.request.user, "user", None)


class TenantModelViewSet(TenantScopedMixin, viewsets.ModelViewSet):
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]


class TenantReadOnlyViewSet(TenantScopedMixin, viewsets.ReadOnlyModelViewSet):
    pass


class TenantCreateListRetrieveViewSet(
    TenantScopedMixin, mixins.CreateModelMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    pass
