"""The seam for expansion triggers: signals that an account is ready to buy more.

Renewals evaluates them once a day (``renewals.expansion_triggers``); any domain app adds its own from its
``AppConfig.ready()`` without importing renewals (advocacy's "promoter response", for one):
``register_expansion_trigger(key, label, fn, params=..., param_labels=...)``.

``fn(ctx)`` looks at all the tenant's active accounts at once (``ctx.account_ids``, one aggregate query, or
a health source through ``ctx.source``) and returns a Series (or dict) indexed by account id holding the
reason in words where the condition holds; NaN/None/absent means it does not. ``params`` are its default
thresholds (positive numbers), which a tenant overrides.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from core.registries.health import fetch, get_source

KEY_RE = re.compile(r"[a-z][a-z0-9_]{0,40}")


@dataclass(frozen=True)
class ExpansionTrigger:
    key: str
    label: str
    fn: Callable[[TriggerContext], Any]
    params: dict = field(default_factory=dict)
    param_labels: dict = field(default_factory=dict)
    description: str = ""


@dataclass
class TriggerContext:
    tenant: Any
    as_of: date
    account_ids: pd.Index  # the tenant's active accounts
    params: dict = field(default_factory=dict)

    def source(self, key: str, window_days: int) -> pd.Series:
        """A registered health source's values for the active accounts (NaN where no data or no source)."""
        source = get_source(key)
        if source is None:
            return pd.Series(np.nan, index=self.account_ids)
        return fetch(source, self.tenant, None, self.as_of, window_days, self.account_ids)


_TRIGGERS: dict[str, ExpansionTrigger] = {}


def register_expansion_trigger(
    key: str, label: str, fn: Callable[[TriggerContext], Any], *, params: dict | None = None,
    param_labels: dict | None = None, description: str = "",
) -> ExpansionTrigger:
    """Register (or replace) a trigger; ``params`` are its default thresholds (numbers)."""
    if not KEY_RE.fullmatch(key):
        raise ValueError(f"Expansion trigger key {key!r} must be lowercase letters, digits and underscores.")
    trigger = ExpansionTrigger(key, label, fn, dict(params or {}), dict(param_labels or {}), description)
    _TRIGGERS[key] = trigger
    return trigger


def unregister_expansion_trigger(key: str) -> None:
    _TRIGGERS.pop(key, None)


def all_triggers() -> list[ExpansionTrigger]:
    return list(_TRIGGERS.values())


def get_trigger(key: str) -> ExpansionTrigger | None:
    return _TRIGGERS.get(key)
