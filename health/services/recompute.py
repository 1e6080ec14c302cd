"""The set-based recompute: every account of a tenant (or some) scored in a few queries, then the
account rows, band-change timeline entries and risk rules."""

from __future__ import annotations

import csv
import io
import json
import logging
import math
import time as clock
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd
from django.db import connection, transaction
from django.utils import timezone
from psycopg2.extras import execute_values

from accounts.models import Account, AccountStatus, Activity, ActivityKind
from accounts.services import activities_record_bulk
from core.registries.health import RiskContext, fetch, get_source, memoized, moment_for, recompute_scope
from health import events, risks
from health.models import HealthSnapshot
from health.scoring import ScoreResult, measure_column, score_accounts
from health.selectors import resolve_measures, scorecard_get
from tenancy.context import tenant_context
from tenancy.models import Tenant

logger = logging.getLogger(__name__)


@dataclass
class RecomputeOutcome:
    accounts: int = 0
    computed_at: datetime | None = None
    seconds: float = 0.0
    risks_opened: int = 0
    risks_closed: int = 0
    timings: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict:
        stamp = self.computed_at.isoformat() if self.computed_at else None
        return {"accounts": self.accounts, "computed_at": stamp, "seconds": round(self.seconds, 3),
                "risks_opened": self.risks_opened, "risks_closed": self.risks_closed}


def recompute_health(
    *,
    tenant: Tenant,
    account_ids: Iterable[int] | None = None,
    as_of: date | None = None,
    computed_at: datetime | None = None,
    evaluate_risks: bool = True,
    update_accounts: bool = True,
) -> RecomputeOutcome:
    """Score the tenant's active accounts (or ``account_ids``) set-based: one aggregate query per source,
    vectorised scoring, one bulk write of snapshots, one bulk UPDATE of the accounts, then the risk rules.

    ``as_of``/``computed_at`` let a backfill score a past day (then neither accounts nor risks change).
    Runs under a per-tenant advisory lock, so concurrent runs for a tenant queue rather than interleave.
    """
    started = clock.perf_counter()
    ids = None if account_ids is None else sorted({int(i) for i in account_ids})
    with tenant_context(tenant), transaction.atomic():
        today = timezone.localdate(timezone=tenant.tzinfo)
        run = _Run(tenant=tenant, ids=ids, as_of=as_of or today, computed_at=computed_at or timezone.now(),
                   started=started)
        is_current = run.as_of >= today
        _lock_tenant(tenant)
        run.accounts = _active_accounts(tenant, ids)
        run.outcome.accounts = len(run.accounts)
        run.outcome.computed_at = run.computed_at
        if run.accounts.empty:
            return run.outcome
        _score_and_write(run, update_accounts=update_accounts and is_current,
                         evaluate_risks=evaluate_risks and is_current)
    outcome = run.outcome
    outcome.seconds = clock.perf_counter() - started
    logger.info("health recompute tenant=%s accounts=%s in %.2fs", tenant.pk, outcome.accounts, outcome.seconds)
    return outcome


@dataclass
class _Run:
    """One recompute's inputs and what it has done so far."""

    tenant: Tenant
    ids: list[int] | None
    as_of: date
    computed_at: datetime
    started: float
    accounts: pd.DataFrame = field(default_factory=pd.DataFrame)
    outcome: RecomputeOutcome = field(default_factory=RecomputeOutcome)

    def lap(self, step: str) -> None:
        self.outcome.timings[step] = clock.perf_counter() - self.started


def _lock_tenant(tenant: Tenant) -> None:
    """Concurrent recomputes of one tenant queue here (until this transaction ends)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [0x4EA1, tenant.pk])
        # The per-(account, metric) aggregates of a big tenant would spill to disk at the default 4MB.
        cursor.execute("SET LOCAL work_mem = '128MB'")


def _score_and_write(run: _Run, *, update_accounts: bool, evaluate_risks: bool) -> None:
    """Score with the tenant's scorecard, write the snapshots, then (for today) accounts and risks."""
    config = scorecard_get()
    card = resolve_measures(config.as_dict())
    with recompute_scope(usage_windows=_usage_windows(card, run.tenant)):
        raw = _raw_values(card, run.tenant, run.ids, run.as_of, run.accounts.index)
        run.lap("sources")
        result = score_accounts(raw, card)
        run.lap("scoring")
        _write_snapshots(run.tenant, card, result, run.computed_at, config.version)
        run.lap("snapshots")
        if update_accounts:
            _update_accounts(run.tenant, run.accounts, result, run.computed_at)
            _record_band_changes(card, run.accounts, result, run.computed_at)
            events.publish_status_changes(tenant_id=run.tenant.pk, accounts=run.accounts, result=result,
                                          bands=card["bands"], computed_at=run.computed_at)
            run.lap("accounts")
        if evaluate_risks:
            _evaluate_risks(run, card, result)
            run.lap("risks")


def _evaluate_risks(run: _Run, card: dict, result: ScoreResult) -> None:
    ctx = RiskContext(
        tenant=run.tenant, account_ids=run.ids, as_of=run.as_of, moment=moment_for(run.tenant, run.as_of),
        accounts=run.accounts, result=result, bands=card["bands"],
    )
    risk_outcome = risks.evaluate(ctx)
    run.outcome.risks_opened, run.outcome.risks_closed = risk_outcome.opened, risk_outcome.closed


def _active_accounts(tenant: Tenant, ids: list[int] | None) -> pd.DataFrame:
    params: dict[str, Any] = {"tenant": tenant.pk, "active": AccountStatus.ACTIVE}
    extra = ""
    if ids is not None:
        params["ids"] = ids
        extra = "AND id = ANY(%(ids)s)"
    sql = f"""
        SELECT id, name, csm_id, payment_overdue, health_status AS previous_status, health_score AS previous_score
        FROM {Account._meta.db_table} WHERE tenant_id = %(tenant)s AND status = %(active)s {extra} ORDER BY id
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    frame = pd.DataFrame.from_records(
        rows, columns=["id", "name", "csm_id", "payment_overdue", "previous_status", "previous_score"]
    )
    return frame.set_index("id")


def _usage_windows(card: dict, tenant: Tenant) -> tuple[int, ...]:
    """Every window the scorecard and the usage risk rule ask of the built-in usage sources (one scan)."""
    windows = {
        item["window_days"] for comp in card["components"] for item in comp["measures"]
        if item.get("available") and item.get("window_days") and get_source(item["source"]).category == "usage"
    }
    usage_rule = risks.rule_settings(tenant).get("usage_drop")
    if usage_rule and usage_rule["enabled"]:
        windows.add(int(usage_rule["days"]))
    return tuple(sorted(windows))


def _raw_values(card: dict, tenant: Tenant, ids: list[int] | None, as_of: date, index: pd.Index) -> pd.DataFrame:
    columns: dict[str, pd.Series] = {}
    for comp in card["components"]:
        for item in comp["measures"]:
            column = measure_column(comp["key"], item["key"])
            source = get_source(item["source"])
            if source is None:
                columns[column] = pd.Series(np.nan, index=index)
                continue
            window = item.get("window_days") or source.window_days
            try:
                columns[column] = memoized(
                    ("source", source.key, window, as_of),
                    lambda source=source, window=window: _fetch_guarded(source, tenant, ids, as_of, window, index),
                )
            except Exception:  # a broken source must not stop everyone's health: its measure has no data
                logger.exception("health source %s failed for tenant %s", source.key, tenant.pk)
                columns[column] = pd.Series(np.nan, index=index)
    return pd.DataFrame(columns, index=index)


def _fetch_guarded(source, tenant: Tenant, ids: list[int] | None, as_of: date, window: int | None,
                   index: pd.Index) -> pd.Series:
    """Other apps' sources run in a savepoint, so a failing query of theirs cannot abort the recompute."""
    if source.fn.__module__.startswith("health."):
        return fetch(source, tenant, ids, as_of, window, index)
    with transaction.atomic():
        return fetch(source, tenant, ids, as_of, window, index)


def _number_strings(values: np.ndarray, fmt: str) -> list[str]:
    """JSON numbers (``null`` for NaN) for a column of floats."""
    return ["null" if v != v else fmt % v for v in np.asarray(values, dtype="float64").tolist()]


def _snapshot_json(card: dict, result: ScoreResult) -> tuple[list[str], list[str]]:
    """The snapshots' ``components`` and ``measures`` JSON, built column-wise (no per-account dicts)."""
    component_parts, measure_parts = [], []
    for comp in card["components"]:
        head = json.dumps({"key": comp["key"], "label": comp["label"], "weight": comp["weight"]})[:-1]
        scores = _number_strings(result.components[comp["key"]].to_numpy(dtype="float64"), "%.1f")
        component_parts.append([f'{head}, "score": {s}}}' for s in scores])
        inner = []
        for item in comp["measures"]:
            column = measure_column(comp["key"], item["key"])
            raws = _number_strings(result.raw[column].to_numpy(dtype="float64"), "%.6g")
            marks = _number_strings(result.measures[column].to_numpy(dtype="float64"), "%.1f")
            name = json.dumps(item["key"])
            inner.append([f"{name}: [{r}, {m}]" for r, m in zip(raws, marks, strict=True)])
        key = json.dumps(comp["key"])
        measure_parts.append([f"{key}: {{{', '.join(cells)}}}" for cells in zip(*inner, strict=True)])
    components = ["[" + ", ".join(cells) + "]" for cells in zip(*component_parts, strict=True)]
    measures = ["{" + ", ".join(cells) + "}" for cells in zip(*measure_parts, strict=True)]
    return components, measures


def _write_snapshots(tenant: Tenant, card: dict, result: ScoreResult, computed_at: datetime | list[datetime],
                     version: int, account_ids: list[int] | None = None) -> None:
    """Every account's snapshot in one COPY (``computed_at``: one time for all, or one per row; the rows'
    accounts are the result's index unless ``account_ids`` names them)."""
    components, measures = _snapshot_json(card, result)
    scores = _number_strings(result.score.to_numpy(dtype="float64"), "%.1f")
    count = len(scores)
    stamps = [computed_at.isoformat()] * count if isinstance(computed_at, datetime) else [t.isoformat() for t in computed_at]
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerows(
        (tenant.pk, account_id, stamp, "" if score == "null" else score, status or "", comp, meas, version)
        for account_id, stamp, score, status, comp, meas in zip(
            account_ids if account_ids is not None else result.score.index.tolist(), stamps, scores,
            result.status.tolist(), components, measures, strict=True,
        )
    )
    buffer.seek(0)
    columns = "tenant_id, account_id, computed_at, score, status, components, measures, scorecard_version"
    with connection.cursor() as cursor:
        cursor.copy_expert(f"COPY {HealthSnapshot._meta.db_table} ({columns}) FROM STDIN WITH (FORMAT csv)", buffer)


def _update_accounts(tenant: Tenant, accounts: pd.DataFrame, result: ScoreResult, computed_at: datetime) -> int:
    """The accounts whose score or band changed, in one UPDATE ... FROM (VALUES ...).

    Unchanged accounts are not rewritten: every account row update touches all of the account
    table's indexes, and the latest computation's time is on its snapshot anyway.
    """
    previous_score = accounts["previous_score"].astype("float64").to_numpy()
    scores = result.score.to_numpy(dtype="float64")
    same_score = (previous_score == scores) | (np.isnan(previous_score) & np.isnan(scores))
    same_status = (accounts["previous_status"].fillna("") == result.status.fillna("")).to_numpy()
    changed = ~(same_score & same_status)
    rows = [
        (account_id, None if math.isnan(score) else round(float(score), 1), status)
        for account_id, score, status in zip(
            result.score.index[changed].tolist(), scores[changed], result.status[changed].tolist(), strict=True
        )
    ]
    if not rows:
        return 0
    table = Account._meta.db_table
    with connection.cursor() as cursor:
        prefix = cursor.mogrify(
            f"UPDATE {table} AS a SET health_score = v.score, health_status = v.status, health_computed_at = %s "
            "FROM (VALUES ", [computed_at]
        ).decode().replace("%", "%%")
        suffix = cursor.mogrify(") AS v(id, score, status) WHERE a.id = v.id AND a.tenant_id = %s", [tenant.pk])
        sql = prefix + "%s" + suffix.decode().replace("%", "%%")
        execute_values(cursor.cursor, sql, rows, template="(%s::bigint, %s::numeric, %s::varchar)",
                       page_size=len(rows))
    return len(rows)


def _record_band_changes(card: dict, accounts: pd.DataFrame, result: ScoreResult, computed_at: datetime) -> None:
    """A timeline entry for every account whose band changed (not for first scores)."""
    previous = accounts["previous_status"]
    changed = previous.notna() & (previous != result.status) & result.status.notna()
    if not changed.any():
        return
    labels = {band["key"]: band["label"] for band in card["bands"]}
    activities_record_bulk([
        Activity(
            account_id=account_id, kind=ActivityKind.SYSTEM,
            subject=f"Health {labels.get(previous[account_id], previous[account_id])} → "
                    f"{labels.get(result.status[account_id], result.status[account_id])}",
            body=f"Score {result.score[account_id]:.1f}.", source="health", occurred_at=computed_at,
            metadata={"from": previous[account_id], "to": result.status[account_id]},
        )
        for account_id in accounts.index[changed.to_numpy()]
    ])


def snapshots_write_history(*, tenant: Tenant, rows: pd.DataFrame) -> int:
    """Past health from raw measure values, as recompute would have stored it: ``rows`` has ``account_id``,
    ``computed_at`` (aware) and one column per measure of the tenant's scorecard (``component.measure``, NaN:
    no data); each row is scored with the current card and written as a snapshot in one COPY. Accounts'
    current health, timelines and risks are left alone. For importing or synthesising history (demo seeds)."""
    with tenant_context(tenant), transaction.atomic():
        if rows.empty:
            return 0
        config = scorecard_get()
        card = resolve_measures(config.as_dict())
        raw = rows.drop(columns=["account_id", "computed_at"]).reset_index(drop=True)
        for comp in card["components"]:
            for item in comp["measures"]:
                if measure_column(comp["key"], item["key"]) not in raw:
                    raw[measure_column(comp["key"], item["key"])] = np.nan
        result = score_accounts(raw, card)
        _write_snapshots(tenant, card, result, list(rows["computed_at"]), config.version,
                         account_ids=[int(i) for i in rows["account_id"]])
        return len(raw)
