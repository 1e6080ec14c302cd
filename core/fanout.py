"""The shape of every periodic job: beat calls an ``*_all_tenants`` task that fans out one task per
tenant (with ``expires``, so a stalled worker never runs a stale copy late), and each per-tenant task
runs inside ``tenant_job(tenant_id)``. One place for both, instead of a copy per app."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from tenancy.context import tenant_context
from tenancy.models import Tenant


def all_tenant_ids() -> list[int]:
    return list(Tenant.objects.order_by("pk").values_list("pk", flat=True))


def fan_out(task, *, expires: int, tenant_ids: Iterable[int] | None = None) -> int:
    """Send ``task(tenant_id)`` once per tenant (every tenant unless ``tenant_ids`` is given), each copy
    expiring after ``expires`` seconds. Returns how many were sent."""
    ids = list(tenant_ids) if tenant_ids is not None else all_tenant_ids()
    for tenant_id in ids:
        task.apply_async(args=[tenant_id], expires=expires)
    return len(ids)


@contextmanager
def tenant_job(tenant_id: int) -> Iterator[Tenant | None]:
    """The tenant of a per-tenant task, set as the current tenant; ``None`` (and no context) when the
    tenant was deleted after the task was sent, so the task can return quietly."""
    tenant = Tenant.objects.filter(pk=tenant_id).first()
    if tenant is None:
        yield None
        return
    with tenant_context(tenant):
        yield tenant
