"""Touchpoint cadences: the tenant's configuration (create, edit, delete; validated here once for the
settings page and the API alike) and the daily job that opens "Prepare <touchpoint>" CTAs."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import transaction

from accounts.models import ActivityKind, Task, TaskPriority, TaskSource
from accounts.services import cta_open_bulk
from base.errors import DomainError
from renewals import cadence_selectors as selectors
from renewals.cadence_dates import dedupe_key, is_open_window
from renewals.models import CadenceScope, IntervalUnit, TouchpointCadence, TouchpointKind
from renewals.models.cadences import MAX_INTERVAL, MAX_LEAD_DAYS, MAX_STEPS, STEP_LENGTH
from tenancy.context import get_current_tenant
from tenancy.models import User

FIELDS = ("kind", "label", "scope", "match", "interval_count", "interval_unit", "lead_days", "automated",
          "resets_on", "steps", "active")
RESETTABLE_KINDS = tuple(k for k in ActivityKind.values if k != ActivityKind.SYSTEM)


# --------------------------------------------------------------------------- configuration


def _choice(data: dict, field: str, choices, message: str) -> str:
    value = data.get(field)
    if value not in choices:
        raise DomainError(message, field=field)
    return value


def _int(data: dict, field: str, low: int, high: int, message: str) -> int:
    value = data.get(field)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise DomainError(message, field=field)
    return value


def _steps(value: Any) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(s, str) for s in value):
        raise DomainError("Steps are a list of step titles.", field="steps")
    steps = [s.strip() for s in value if s.strip()]
    if len(steps) > MAX_STEPS:
        raise DomainError(f"At most {MAX_STEPS} steps.", field="steps")
    if any(len(s) > STEP_LENGTH for s in steps):
        raise DomainError(f"A step title is at most {STEP_LENGTH} characters.", field="steps")
    return steps


def _resets_on(value: Any) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or any(k not in RESETTABLE_KINDS for k in value):
        raise DomainError(f"Activity kinds among: {', '.join(RESETTABLE_KINDS)}.", field="resets_on")
    return list(dict.fromkeys(value))


def clean_cadence(data: dict) -> dict:
    """A cadence's fields checked as a whole (every field present: the caller merges a partial edit)."""
    kind = _choice(data, "kind", TouchpointKind.values, "Choose a kind of touchpoint.")
    label = str(data.get("label") or "").strip()
    if kind == TouchpointKind.CUSTOM and not label:
        raise DomainError("A custom touchpoint needs a label.", field="label")
    if len(label) > 100:
        raise DomainError("At most 100 characters.", field="label")
    scope = _choice(data, "scope", CadenceScope.values, "Apply the cadence to a segment or a tier.")
    match = str(data.get("match") or "").strip()
    if scope == CadenceScope.SEGMENT and match not in {key for key, _ in selectors.segment_choices()}:
        raise DomainError("Choose one of the tenant's segments.", field="match")
    if not match or len(match) > 50:
        raise DomainError("Name the tier (at most 50 characters).", field="match")
    unit = _choice(data, "interval_unit", IntervalUnit.values, "The interval is in days or months.")
    count = _int(data, "interval_count", 1, MAX_INTERVAL[unit], f"Between 1 and {MAX_INTERVAL[unit]} {unit}.")
    lead = _int(data, "lead_days", 0, MAX_LEAD_DAYS, f"Between 0 and {MAX_LEAD_DAYS} days.")
    return {
        "kind": kind, "label": label if kind == TouchpointKind.CUSTOM else "", "scope": scope, "match": match,
        "interval_count": count, "interval_unit": unit, "lead_days": lead, "automated": bool(data.get("automated")),
        "resets_on": _resets_on(data.get("resets_on")), "steps": _steps(data.get("steps")),
        "active": bool(data.get("active", True)),
    }


def _check_unique(cleaned: dict, *, exclude_pk: int | None) -> None:
    clash = TouchpointCadence.objects.filter(
        scope=cleaned["scope"], match__iexact=cleaned["match"], kind=cleaned["kind"], label=cleaned["label"]
    )
    if exclude_pk is not None:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        raise DomainError("This touchpoint already has a cadence for that segment or tier.", field="match")


@transaction.atomic
def cadence_create(*, actor: User | None = None, **data: Any) -> TouchpointCadence:
    defaults = {"kind": TouchpointKind.QBR, "scope": CadenceScope.SEGMENT, "interval_unit": IntervalUnit.MONTHS,
                "lead_days": 14, "active": True}
    cleaned = clean_cadence({**defaults, **data})
    _check_unique(cleaned, exclude_pk=None)
    return TouchpointCadence.objects.create(tenant=get_current_tenant(), **cleaned)


@transaction.atomic
def cadence_update(*, cadence: TouchpointCadence, actor: User | None = None, **data: Any) -> TouchpointCadence:
    cleaned = clean_cadence({**{f: getattr(cadence, f) for f in FIELDS}, **data})
    _check_unique(cleaned, exclude_pk=cadence.pk)
    for field, value in cleaned.items():
        setattr(cadence, field, value)
    cadence.save()
    return cadence


@transaction.atomic
def cadence_delete(*, cadence: TouchpointCadence, actor: User | None = None) -> None:
    """Remove a cadence. Prepare CTAs it opened stay with the CSM (they are the CSM's work now)."""
    cadence.delete()


# --------------------------------------------------------------------------- the daily job


def _description(cadence: TouchpointCadence, due_date: date) -> str:
    lines = [f"{cadence.title} due {due_date.isoformat()} (every {cadence.interval_display})."]
    if cadence.steps:
        lines += ["", "Steps:", *(f"{i}. {step}" for i, step in enumerate(cadence.steps, 1))]
    return "\n".join(lines)


@transaction.atomic
def touchpoints_open_due(*, today: date | None = None) -> dict[str, int]:
    """Open a "Prepare <touchpoint>" CTA, owned by the account's CSM, for every active account whose
    touchpoint falls due within its cadence's lead time (automated cadences excepted). Set-based (a
    constant number of queries for all of the tenant's accounts) and idempotent: one CTA per account,
    cadence and due date, never opened twice (even after the CSM closed it)."""
    today = today or selectors.tenant_today()
    cadences = [c for c in selectors.active_cadences() if not c.automated]
    dues, accounts = selectors.due_touchpoints(cadences=cadences)
    by_id = {c.pk: c for c in cadences}
    wanted = {
        dedupe_key(cadence_id=d.cadence_id, account_id=d.account_id, due_date=d.due_date): d
        for d in dues
        if is_open_window(d.due_date, today, by_id[d.cadence_id].lead_days)
    }
    used = selectors.existing_cta_keys(wanted)
    fresh = {key: d for key, d in wanted.items() if key not in used}
    ctas = [
        Task(
            account_id=d.account_id, title=f"Prepare {by_id[d.cadence_id].title}"[:200],
            description=_description(by_id[d.cadence_id], d.due_date), owner_id=accounts[d.account_id]["csm_id"],
            due_date=d.due_date, priority=TaskPriority.MEDIUM, source=TaskSource.SYSTEM, dedupe_key=key,
        )
        for key, d in fresh.items()
    ]
    opened = cta_open_bulk(ctas=ctas) if ctas else {}
    return {"due": len(wanted), "opened": len(opened)}
