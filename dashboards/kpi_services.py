"""KPI targets: create, edit, remove (validated here once for the settings page and the API alike) and the
idempotent seeding of a tenant's handbook targets."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction

from base.errors import DomainError
from dashboards import kpi_catalogue
from dashboards.kpi_status import Comparator
from dashboards.models import KpiTarget
from tenancy.context import get_current_tenant
from tenancy.models import User

FIELDS = ("metric", "comparator", "target", "note")
NOTE_LENGTH = 200


def _target(value: Any, kpi: kpi_catalogue.Kpi) -> Decimal:
    if isinstance(value, bool) or value is None or value == "":
        raise DomainError("Give the target as a number.", field="target")
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise DomainError("Give the target as a number.", field="target") from None
    if not number.is_finite():
        raise DomainError("Give the target as a number.", field="target")
    if number != number.quantize(Decimal("0.01")):
        raise DomainError("At most two decimals.", field="target")
    if not kpi.low <= number <= kpi.high:
        raise DomainError(kpi_catalogue.bounds_message(kpi), field="target")
    return number.quantize(Decimal("0.01"))


def clean_target(data: dict) -> dict:
    """A target's fields checked as a whole (every field present: the caller merges a partial edit)."""
    kpi = kpi_catalogue.BY_KEY.get(data.get("metric"))
    if kpi is None:
        raise DomainError("Choose one of the KPIs.", field="metric")
    if data.get("comparator") not in {c.value for c in Comparator}:
        raise DomainError("Choose at least or at most.", field="comparator")
    note = str(data.get("note") or "").strip()
    if len(note) > NOTE_LENGTH:
        raise DomainError(f"At most {NOTE_LENGTH} characters.", field="note")
    return {"metric": kpi.key, "comparator": Comparator(data["comparator"]).value,
            "target": _target(data.get("target"), kpi), "note": note}


def _check_unique(metric: str, *, exclude_pk: int | None) -> None:
    clash = KpiTarget.objects.filter(metric=metric)
    if exclude_pk is not None:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        raise DomainError(f"{kpi_catalogue.BY_KEY[metric].label} already has a target: edit that one.", field="metric")


@transaction.atomic
def kpi_target_create(*, actor: User | None = None, **data: Any) -> KpiTarget:
    kpi = kpi_catalogue.BY_KEY.get(data.get("metric"))
    defaults = {"comparator": kpi.comparator.value} if kpi else {}
    cleaned = clean_target({**defaults, **data})
    _check_unique(cleaned["metric"], exclude_pk=None)
    return KpiTarget.objects.create(tenant=get_current_tenant(), **cleaned)


@transaction.atomic
def kpi_target_update(*, kpi_target: KpiTarget, actor: User | None = None, **data: Any) -> KpiTarget:
    cleaned = clean_target({**{f: getattr(kpi_target, f) for f in FIELDS}, **data})
    _check_unique(cleaned["metric"], exclude_pk=kpi_target.pk)
    for field, value in cleaned.items():
        setattr(kpi_target, field, value)
    kpi_target.save()
    return kpi_target


@transaction.atomic
def kpi_target_delete(*, kpi_target: KpiTarget, actor: User | None = None) -> None:
    kpi_target.delete()


@transaction.atomic
def kpi_targets_seed(*, targets: list[dict]) -> int:
    """Add the given targets (``metric``, ``comparator``, ``target``, ``note``) that the tenant has no target for
    yet; a metric that already has one (seeded before, or set by an admin since) is left as it is, so running
    it again writes nothing. Returns how many were added."""
    cleaned = [clean_target(t) for t in targets]
    existing = set(KpiTarget.objects.values_list("metric", flat=True))
    tenant = get_current_tenant()
    fresh = [KpiTarget(tenant=tenant, **c) for c in cleaned if c["metric"] not in existing]
    KpiTarget.objects.bulk_create(fresh, ignore_conflicts=True)
    return len(fresh)
