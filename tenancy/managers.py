from __future__ import annotations

from django.db import models

from tenancy.context import get_current_tenant


class CurrentTenantId(models.Expression):
    """The current tenant's id, read when the SQL is compiled (i.e. when the query runs).

    Resolving at compile time rather than when the queryset is built lets libraries build
    querysets at import time (django-filter, DRF fields) while still failing closed: a query
    that runs with no tenant in context raises ``TenantNotSet``.
    """

    output_field = models.BigIntegerField()

    def as_sql(self, compiler, connection):
        return "%s", [get_current_tenant().pk]


class TenantQuerySet(models.QuerySet):
    pass


class TenantManager(models.Manager.from_queryset(TenantQuerySet)):
    """Default manager of every tenant-owned model: scoped to the current tenant, fails closed."""

    def get_queryset(self):
        return super().get_queryset().filter(tenant_id=CurrentTenantId())
