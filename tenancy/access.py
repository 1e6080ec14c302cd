"""The one way a page or endpoint fetches a tenant object (Zulip's ``access_*`` helpers).

Each app's ``access.py`` names its objects (``access_ticket(pk, *, principal, for_write=False)``)
on top of :func:`access_object`, which

- scopes to the current tenant (the ``TenantModel`` manager; another tenant's row does not exist),
- raises :class:`base.errors.NotFound` (a 404 on pages and in the API) for a missing object, another
  tenant's object, or a malformed id,
- with ``for_write=True`` checks the capability (``PermissionDenied``, a 403 within one's own
  tenant) and locks the row (``SELECT ... FOR UPDATE``) for the rest of the caller's transaction.
  It must therefore be called inside ``transaction.atomic()``, the same block as the write.
"""

from __future__ import annotations

from typing import TypeVar

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, models, transaction

from base.errors import NotFound
from tenancy.models import TenantModel
from tenancy.principal import Principal

M = TypeVar("M", bound=TenantModel)


def access_object(
    source: type[M] | models.QuerySet,
    pk,
    *,
    principal: Principal | None,
    capability: str | None = None,
    for_write: bool = False,
) -> M:
    queryset = source if isinstance(source, models.QuerySet) else source.objects.all()
    if not issubclass(queryset.model, TenantModel):
        raise TypeError(f"{queryset.model.__name__} is not tenant-owned")
    if principal is None:
        raise NotFound
    if for_write:
        if capability is not None and not principal.can(capability):
            # Existence is not secret within one's own tenant (everyone may read), so 403 is honest here.
            _ = _get(queryset, pk)
            raise PermissionDenied(f"Your role may not do this ({capability}).")
        if not connection.in_atomic_block:
            raise transaction.TransactionManagementError(
                "access_* with for_write=True locks the row: call it inside transaction.atomic(), with the write."
            )
        queryset = queryset.select_for_update(of=("self",))
    return _get(queryset, pk)


def _get(queryset: models.QuerySet, pk):
    try:
        return queryset.get(pk=pk)
    except (queryset.model.DoesNotExist, ValueError, TypeError, ValidationError):
        raise NotFound from None
