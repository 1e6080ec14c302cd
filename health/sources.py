"""The registry of scorecard sources: where a measure's raw value comes from.

Any app adds a source in its ``AppConfig.ready()``::

    from health.sources import register_source

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
  (tenant-local) date the score is for: windows are the ``window_days`` whole days before it;
* runs with the tenant in context (``Model.objects`` is scoped), once per recompute and window, for
  all accounts at once: never one query per account;
* returns a ``pandas.Series`` (or a dict, or a DataFrame whose ``value`` column is used) indexed by
  account id. NaN (or absence, unless ``fill_missing`` is set) means "no data": the measure is
  null and its component renormalises over the measures that have data.

A measure naming a source that is not registered (e.g. the tickets app not installed yet) simply
has no data. Sources that share one expensive query memoise it with :func:`memoized` for the
duration of one recompute (see ``health/builtin_sources.py``).
"""

from __future__ import annotations

import contextvars
import inspect
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

# Units a source may declare (the account page formats raw values by them): ratio (0-1, shown as %),
# percent_change, count, days, per_user, per_seat, score (1-5), bool (1/0).
UNITS = ("ratio", "percent_change", "count", "days", "per_user", "per_seat", "score", "bool")


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
    from health.scorecard import KEY_RE, ScorecardInvalid, _Errors, validate_mapping

    if not KEY_RE.match(key):
        raise ValueError(f"Source key {key!r} must be lowercase letters, digits and underscores.")
    if default_mapping is not None:
        errors = _Errors()
        cleaned = validate_mapping(default_mapping, key, errors)
        if errors.errors:
            raise ScorecardInvalid(errors.errors)
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
