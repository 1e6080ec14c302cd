"""Expansion triggers: the daily, set-based evaluation of the registered triggers, and the built-ins.

The registry itself lives in ``core.registries.expansion`` so another app adds a trigger from its
``AppConfig.ready()`` without importing renewals (advocacy's "promoter response"); ``fn(ctx)`` returns
the reason in words per account id where its condition holds.

The daily job opens one suggestion CTA per (trigger, account) for the account's CSM (dedupe key
``expansion:<trigger>:<account_id>``) through ``accounts.services.cta_open_bulk``: not repeated while it is
open; and closes the open ones whose condition cleared (``accounts.services.tasks_close_by_key``, one UPDATE).
Thresholds are tenant data (``OpportunitySettings.trigger_params[key]``, with ``enabled``); a disabled
trigger's open suggestions are left to the CSM.

Built-ins read product usage through the health registries (``core.registries.health``), never the health
app: ``seat_utilisation`` (daily active users / licensed seats above ``percent`` on each of the last ``days``
days: the ``seat_utilisation_floor`` source) and ``usage_growth`` (active user-days over ``days`` against the
span before, above ``percent``).
"""

from __future__ import annotations

import math
from datetime import date, timedelta
from typing import Any

import pandas as pd
from django.utils import timezone

from accounts.models import AccountStatus, TaskPriority, TaskSource
from accounts.selectors import accounts_for_api
from accounts.services import CtaRow, cta_open_bulk, tasks_close_by_key
from base.errors import DomainError
from core.registries.expansion import (  # noqa: F401  (re-exported: the registry lives in core)
    ExpansionTrigger,
    TriggerContext,
    all_triggers,
    get_trigger,
    register_expansion_trigger,
    unregister_expansion_trigger,
)
from core.registries.health import is_finite_number, recompute_scope
from renewals import opportunity_selectors as selectors

KEY_PREFIX = "expansion:"
DUE_DAYS = 7


def clean_params(values: Any) -> dict[str, dict]:
    """Validate ``{trigger_key: {"enabled": bool, param: number}}`` (400 naming ``trigger_params``)."""
    if not isinstance(values, dict):
        raise DomainError("Trigger thresholds are an object keyed by trigger.", field="trigger_params")
    cleaned = {}
    for key, given in values.items():
        trigger = get_trigger(key)
        if trigger is None or not isinstance(given, dict):
            raise DomainError(f"Unknown trigger {key!r}.", field="trigger_params")
        row = {}
        for name, value in given.items():
            if name == "enabled" and isinstance(value, bool):
                row[name] = value
            elif name in trigger.params and is_finite_number(value) and value > 0:
                row[name] = value
            else:
                raise DomainError(f"{key}.{name}: not a threshold of this trigger, or not a positive number.",
                                  field="trigger_params")
        cleaned[key] = row
    return cleaned


def effective_params(trigger: ExpansionTrigger, stored: dict[str, dict]) -> dict:
    return {"enabled": True, **trigger.params, **stored.get(trigger.key, {})}


# --- evaluation ------------------------------------------------------------------------------------


def _reasons(trigger: ExpansionTrigger, ctx: TriggerContext) -> dict[int, str]:
    series = trigger.fn(ctx)
    if isinstance(series, dict):
        series = pd.Series(series, dtype="object")
    reasons = {}
    for account_id, reason in series.items():
        if reason is None or (isinstance(reason, float) and math.isnan(reason)):
            continue
        reasons[int(account_id)] = str(reason)
    return reasons


def triggers_evaluate(*, tenant, as_of: date | None = None) -> dict[str, dict[str, int]]:
    """Evaluate every enabled trigger over the tenant's active accounts: open the new suggestion CTAs (one
    ``cta_open_bulk``) and close, in one UPDATE, the open ones whose condition cleared (an evaluated trigger
    that no longer holds for the account, or an account no longer active). Idempotent while nothing changes.
    Returns ``{"opened": {trigger_key: n}, "closed": {trigger_key: n}}``; a constant number of queries
    whatever the number of accounts."""
    as_of = as_of or timezone.localtime(timezone.now(), tenant.tzinfo).date()
    accounts = {
        row["id"]: row for row in accounts_for_api().filter(status=AccountStatus.ACTIVE).values("id", "csm_id")
    }
    index = pd.Index(sorted(accounts), dtype="int64")
    stored = selectors.trigger_params()
    enabled = [(t, effective_params(t, stored)) for t in all_triggers()]
    enabled = [(t, p) for t, p in enabled if p.get("enabled", True)]
    windows = tuple(sorted({int(p["days"]) for _, p in enabled if "days" in p}))
    ctas, opened, closed = [], {}, {}
    with recompute_scope(usage_windows=windows):
        for trigger, params in enabled:
            ctx = TriggerContext(tenant=tenant, as_of=as_of, account_ids=index, params=params)
            reasons = {a: r for a, r in _reasons(trigger, ctx).items() if a in accounts}
            opened[trigger.key] = closed[trigger.key] = 0
            ctas.extend(
                CtaRow(
                    account_id=account_id, title=f"Expansion: {trigger.label}"[:200], description=reason,
                    owner_id=accounts[account_id]["csm_id"], due_date=as_of + timedelta(days=DUE_DAYS),
                    priority=TaskPriority.MEDIUM, source=TaskSource.RENEWAL, dedupe_key=trigger_key(trigger.key, account_id),
                )
                for account_id, reason in reasons.items()
            )
    holding = {cta.dedupe_key for cta in ctas}
    cleared = [key for key in selectors.open_trigger_keys(prefix=KEY_PREFIX)
               if key not in holding and key.split(":")[1] in closed]
    tasks_close_by_key(dedupe_keys=cleared)
    for key in cleared:
        closed[key.split(":")[1]] += 1
    for key in cta_open_bulk(ctas=ctas, moment=timezone.now()):
        opened[key.split(":")[1]] += 1
    return {"opened": opened, "closed": closed}


def trigger_key(key: str, account_id: int) -> str:
    return f"{KEY_PREFIX}{key}:{account_id}"


# --- built-ins ---------------------------------------------------------------------------------------


def seat_utilisation(ctx: TriggerContext) -> pd.Series:
    """Above ``percent`` on EACH of the last ``days`` days (the lowest day above it), not on average."""
    days, percent = int(ctx.params["days"]), float(ctx.params["percent"])
    floor = ctx.source("seat_utilisation_floor", days)
    hits = floor[floor > percent / 100.0]
    return hits.map(lambda u: f"Seat utilisation at least {u * 100:.0f}% on each of the last {days} days "
                              f"(above {percent:g}%).")


def usage_growth(ctx: TriggerContext) -> pd.Series:
    days, percent = int(ctx.params["days"]), float(ctx.params["percent"])
    growth = ctx.source("usage_trend", days)
    hits = growth[growth > percent]
    return hits.map(lambda g: f"Usage up {g:.0f}% over the last {days} days (above {percent:g}%).")


def register_builtin_triggers() -> None:
    register_expansion_trigger(
        "seat_utilisation", "Seats nearly full", seat_utilisation, params={"percent": 90, "days": 14},
        param_labels={"percent": "Utilisation above (%)", "days": "Over days"},
        description="Daily active users / licensed seats above the threshold on each day of the window.",
    )
    register_expansion_trigger(
        "usage_growth", "Usage growing fast", usage_growth, params={"percent": 30, "days": 30},
        param_labels={"percent": "Growth above (%)", "days": "Over days"},
        description="Active user-days in the window against the same span before.",
    )
