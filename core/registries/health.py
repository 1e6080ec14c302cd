"""The health registries: scorecard sources, early-warning risk rules and shared account facts.

Any domain app registers here at import in its ``AppConfig.ready()``, without importing the health app;
health reads the registries when it scores accounts and evaluates rules.

Sources (where a measure's raw value comes from)::

    from core.registries.health import moment_for, register_source

    def tickets_per_seat(tenant, account_ids, as_of, window_days=90) -> pandas.Series:
        # ONE aggregate query over all the tenant's accounts (or just ``account_ids`` when given),
        # returning a Series of floats indexed by account id. Accounts without data may be left out.
        ...

    register_source(
        "tickets_per_seat_90d", "Tickets per seat (90 days)", tickets_per_seat, unit="per_seat",
        default_mapping={"type": "linear", "zero_at": 1.0, "full_at": 0.0},
        window_days=90,          # default window; the measure's window_days overrides it
        fill_missing=0,          # accounts absent from the result count as 0 (None: no data)
        category="support",
    )

The function:

* takes ``(tenant, account_ids, as_of)`` and, if it declares it, ``window_days``;
  ``account_ids`` is None for every account of the tenant, else a list of ids; ``as_of`` is the
  (tenant-local) date the score is for: windows are the ``window_days`` whole days before it, ending at
  :func:`moment_for` ``(tenant, as_of)``;
* runs with the tenant in context (``Model.objects`` is scoped), once per recompute and window, for
  all accounts at once: never one query per account;
* returns a ``pandas.Series`` (or a dict, or a DataFrame whose ``value`` column is used) indexed by
  account id. NaN (or absence, unless ``fill_missing`` is set) means "no data": the measure is
  null and its component renormalises over the measures that have data.

A measure naming a source that is not registered (e.g. the tickets app not installed yet) simply
has no data. Sources that share one expensive query memoise it with :func:`memoized` for the
duration of one recompute.

Risk rules (evaluated set-based after every recompute)::

    from core.registries.health import register_risk_rule

    def sev12_burst(ctx):                   # ctx: RiskContext
        # one aggregate query for ctx.account_index; ctx.params holds the tenant's thresholds
        return pandas.Series({account_id: "3 Sev1/Sev2 tickets in 14 days", ...})

    register_risk_rule("sev12_burst", "Burst of Sev1/Sev2 tickets", sev12_burst,
                       params={"count": 2, "days": 14},
                       param_labels={"count": "Tickets at least", "days": "Within days"})

Account facts: SQL relations ``(account_id, value)`` one app offers to others' source queries, so a
source can join another app's data in its one query without knowing that app's tables (health offers
``licensed_seats``). :func:`account_fact_sql` gives an empty relation for a fact nobody registered.
"""

from __future__ import annotations

import contextvars
import inspect
import math
import re
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

import numpy as np
import pandas as pd
from django.utils import timezone

KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,49}$")
RULE_KEY_RE = re.compile(r"[a-z][a-z0-9_]{0,40}")

# Units a source may declare (the account page formats raw values by them): ratio (0-1, shown as %),
# percent_change, count, days, per_user, per_seat, score (1-5), bool (1/0).
UNITS = ("ratio", "percent_change", "count", "days", "per_user", "per_seat", "score", "bool")


def moment_for(tenant, as_of: date) -> datetime:
    """The instant a score "as of" a date looks from: now for today, else the end of that day."""
    now = timezone.now()
    end_of_day = datetime.combine(as_of + timedelta(days=1), time.min, tenant.tzinfo)
    return min(now, end_of_day)


# --- Mappings (a source's default, a measure's override) ------------------------------------------


def is_finite_number(value: Any) -> bool:
    """A JSON number (not a bool) that is finite as a float: huge integers (10**400) are not."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


def whole_if_integral(value: Any) -> int | float:
    """Keep whole numbers as ints in stored JSON (80, not 80.0)."""
    return int(value) if float(value).is_integer() else float(value)


def validate_mapping(mapping: Any, path: str, errors) -> dict | None:
    """The cleaned mapping, or None with a message added to ``errors`` (anything with ``add(path, message)``)."""
    if mapping is None:
        return None
    if not isinstance(mapping, dict):
        errors.add(path, "A mapping is an object with a type: linear or ranges.")
        return None
    kind = mapping.get("type")
    if kind == "linear":
        return _linear(mapping, path, errors)
    if kind == "ranges":
        return _ranges(mapping, path, errors)
    errors.add(path, "Mapping type must be linear or ranges.")
    return None


def _linear(mapping: dict, path: str, errors) -> dict | None:
    zero_at, full_at = mapping.get("zero_at"), mapping.get("full_at")
    if not (is_finite_number(zero_at) and is_finite_number(full_at)):
        errors.add(path, "A linear mapping needs numbers zero_at and full_at.")
        return None
    if zero_at == full_at:
        errors.add(path, "zero_at and full_at must differ.")
        return None
    return {"type": "linear", "zero_at": whole_if_integral(zero_at), "full_at": whole_if_integral(full_at)}


def _ranges(mapping: dict, path: str, errors) -> dict | None:
    ranges = mapping.get("ranges")
    if not isinstance(ranges, list) or not ranges or len(ranges) > 10:
        errors.add(path, "A ranges mapping needs 1 to 10 ranges.")
        return None
    cleaned, previous = [], math.inf
    for i, item in enumerate(ranges):
        if not isinstance(item, dict):
            errors.add(path, f"Range {i + 1} must be an object with min and score.")
            return None
        low, score = item.get("min"), item.get("score")
        if not is_finite_number(score) or not 0 <= score <= 100:
            errors.add(path, f"Range {i + 1}: score must be a number from 0 to 100.")
            return None
        if low is None:
            if i != len(ranges) - 1:
                errors.add(path, "Only the last range may have no minimum.")
                return None
        elif not is_finite_number(low) or low >= previous:
            errors.add(path, "Range minimums must be numbers in descending order.")
            return None
        else:
            previous = low
        cleaned.append({"min": None if low is None else whole_if_integral(low), "score": whole_if_integral(score)})
    return {"type": "ranges", "ranges": cleaned}


class _Messages:
    def __init__(self) -> None:
        self.errors: dict[str, list[str]] = {}

    def add(self, path: str, message: str) -> None:
        self.errors.setdefault(path, []).append(message)


# --- Sources --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    key: str
    label: str
    fn: Callable[..., Any]
    unit: str = "count"
    default_mapping: dict | None = None
    window_days: int | None = None
    fill_missing: float | None = None
    description: str = ""
    category: str = "other"
    takes_window: bool = field(default=False, compare=False)

    def as_dict(self) -> dict:
        return {
            "key": self.key, "label": self.label, "unit": self.unit, "window_days": self.window_days,
            "default_mapping": self.default_mapping, "fill_missing": self.fill_missing,
            "description": self.description, "category": self.category,
        }


_SOURCES: dict[str, Source] = {}


def register_source(
    key: str,
    label: str,
    fn: Callable[..., Any],
    unit: str = "count",
    default_mapping: dict | None = None,
    *,
    window_days: int | None = None,
    fill_missing: float | None = None,
    description: str = "",
    category: str = "other",
) -> Source:
    """Register (or replace) the source ``key``. See the module docstring for ``fn``'s contract."""
    if not KEY_RE.match(key):
        raise ValueError(f"Source key {key!r} must be lowercase letters, digits and underscores.")
    if default_mapping is not None:
        messages = _Messages()
        cleaned = validate_mapping(default_mapping, key, messages)
        if messages.errors:
            raise ValueError(f"Source {key!r}: bad default mapping: {messages.errors}")
        default_mapping = cleaned
    try:
        takes_window = "window_days" in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        takes_window = False
    source = Source(
        key=key, label=label, fn=fn, unit=unit, default_mapping=default_mapping, window_days=window_days,
        fill_missing=fill_missing, description=description, category=category, takes_window=takes_window,
    )
    _SOURCES[key] = source
    return source


def unregister_source(key: str) -> None:
    _SOURCES.pop(key, None)


def get_source(key: str) -> Source | None:
    return _SOURCES.get(key)


def all_sources() -> list[Source]:
    return sorted(_SOURCES.values(), key=lambda s: (s.category, s.label))


def to_series(result: Any) -> pd.Series:
    """Normalise what a source returned into a float Series indexed by int account id."""
    if result is None:
        return pd.Series(dtype="float64")
    if isinstance(result, pd.DataFrame):
        result = result["value"] if "value" in result.columns else result.iloc[:, 0]
    if isinstance(result, dict):
        result = pd.Series(result, dtype="float64")
    series = pd.to_numeric(pd.Series(result), errors="coerce").astype("float64")
    series.index = series.index.astype("int64")
    return series[~series.index.duplicated(keep="last")]


def fetch(
    source: Source, tenant, account_ids: list[int] | None, as_of: date, window_days: int | None, index: pd.Index
) -> pd.Series:
    """One source's values for ``index`` (the accounts being scored), with its missing-data rule applied."""
    kwargs = {"window_days": window_days or source.window_days} if source.takes_window else {}
    series = to_series(source.fn(tenant, account_ids, as_of, **kwargs))
    values = series.reindex(index)
    if source.fill_missing is not None:
        values = values.fillna(float(source.fill_missing))
    return values.replace([np.inf, -np.inf], np.nan)


# --- Memoisation for the duration of one recompute ----------------------------------------------

_scope: contextvars.ContextVar[dict | None] = contextvars.ContextVar("health_source_scope", default=None)


@contextmanager
def recompute_scope(**plan: Any) -> Iterator[dict]:
    """Share expensive queries between the sources of one recompute. ``plan`` holds hints for them
    (e.g. ``usage_windows``: every window the scorecard asks of usage sources, so one scan serves all)."""
    token = _scope.set({"plan": plan, "memo": {}})
    try:
        yield _scope.get()
    finally:
        _scope.reset(token)


def plan_hint(name: str, default: Any = None) -> Any:
    scope = _scope.get()
    return default if scope is None else scope["plan"].get(name, default)


def memoized(key: Hashable, compute: Callable[[], Any]) -> Any:
    """``compute()`` once per recompute scope for ``key`` (every call outside a scope computes)."""
    scope = _scope.get()
    if scope is None:
        return compute()
    memo = scope["memo"]
    if key not in memo:
        memo[key] = compute()
    return memo[key]


# --- Account facts ----------------------------------------------------------------------------------

EMPTY_FACT = "SELECT NULL::bigint AS account_id, NULL::float8 AS value WHERE false"
_FACTS: dict[str, str] = {}


def register_account_fact(key: str, sql: str) -> None:
    """Offer ``key`` as a SQL relation ``(account_id, value)``, one row per account at most; it may use
    the parameters ``%(tenant)s`` (tenant id) and ``%(as_of)s`` (date), which the using query binds."""
    _FACTS[key] = sql


def account_fact_sql(key: str) -> str:
    """The fact's SQL, to embed as a subquery or CTE (an empty relation when nobody offers it)."""
    return _FACTS.get(key, EMPTY_FACT)


# --- Risk rules ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RiskRule:
    key: str
    label: str
    fn: Callable[[RiskContext], pd.Series]
    params: dict = field(default_factory=dict)
    param_labels: dict = field(default_factory=dict)
    priority: str = "high"  # a CTA priority (accounts.models.TaskPriority)
    due_days: int = 3
    description: str = ""


@dataclass
class RiskContext:
    """What a rule sees: the accounts just recomputed and their new scores, the rule's thresholds."""

    tenant: Any
    account_ids: list[int] | None  # None: every account of the tenant
    as_of: date
    moment: datetime
    accounts: pd.DataFrame  # index account id: name, csm_id, payment_overdue, previous_status
    result: Any  # health.scoring.ScoreResult: .score, .status, .components, .measures, .raw
    bands: list[dict]
    params: dict = field(default_factory=dict)

    @property
    def account_index(self) -> pd.Index:
        return self.accounts.index

    def source(self, key: str, window_days: int | None = None) -> pd.Series:
        """A registered source's values for these accounts (shared with the scorecard's measures)."""
        source = get_source(key)
        if source is None:
            return pd.Series(np.nan, index=self.account_index)
        window = window_days or source.window_days
        return memoized(
            ("source", key, window, self.as_of),
            lambda: fetch(source, self.tenant, self.account_ids, self.as_of, window, self.account_index),
        )


_RULES: dict[str, RiskRule] = {}


def register_risk_rule(
    key: str,
    label: str,
    fn: Callable[[RiskContext], pd.Series],
    *,
    params: dict | None = None,
    param_labels: dict | None = None,
    priority: str = "high",
    due_days: int = 3,
    description: str = "",
) -> RiskRule:
    """Register (or replace) a rule. ``fn(ctx)`` returns a Series indexed by account id holding the
    reason (text) where the condition holds; NaN/None/absent means it does not."""
    if not RULE_KEY_RE.fullmatch(key):
        raise ValueError(f"Risk rule key {key!r} must be lowercase letters, digits and underscores.")
    rule = RiskRule(key=key, label=label, fn=fn, params=dict(params or {}), param_labels=dict(param_labels or {}),
                    priority=priority, due_days=due_days, description=description)
    _RULES[key] = rule
    return rule


def unregister_risk_rule(key: str) -> None:
    _RULES.pop(key, None)


def all_rules() -> list[RiskRule]:
    return list(_RULES.values())


def get_rule(key: str) -> RiskRule | None:
    return _RULES.get(key)
