"""Writes of the health engine: usage ingestion, scorecard and risk settings, CSM sentiment, and the
set-based recompute. Views, API, tasks and commands all come here.

Other apps call :func:`request_account_recompute` after events that move an account's health.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import math
import re
import time as clock
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone
from psycopg2.extras import execute_values

from accounts.models import Account, AccountStatus, Activity, ActivityKind
from accounts.services import activities_record_bulk, activity_record
from base.errors import DomainError
from base.limits import CONTROL_CHARACTERS, EARLIEST_DATE
from core import jobs, outbox
from health import retention, risks
from health.builtin_sources import moment_for
from health.models import HealthSnapshot, Scorecard, Sentiment, UsageRecord
from health.scorecard import is_finite_number, validate_scorecard
from health.scoring import ScoreResult, measure_column, score_accounts
from health.selectors import ScorecardConfig, accounts_locked_for_usage, resolve_measures, scorecard_get
from health.sources import fetch, get_source, memoized, recompute_scope
from tenancy.context import get_current_tenant, tenant_context
from tenancy.models import Tenant, User
from tenancy.services import tenant_update_settings

logger = logging.getLogger(__name__)

MAX_BATCH = 10_000
METRIC_RE = re.compile(r"[a-z0-9_]{1,60}(:[A-Za-z0-9_.\-]{1,80})?")  # used with fullmatch: no trailing newline
DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")  # fullmatch, ASCII digits only
DEBOUNCE_SECONDS = 30
EAGER_INLINE_LIMIT = 50  # without a broker, bigger changes wait for the scheduled recompute
TENANT_WIDE_THRESHOLD = 2000
DEFAULT_SENTIMENT_DAYS = 90


# --- Usage ingestion --------------------------------------------------------------------------


class UsageBatchInvalid(ValueError):
    """A batch with bad rows: ``errors`` maps each bad row's index (as a string) to its messages."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__(f"{len(errors)} bad row(s)")
        self.errors = errors


@transaction.atomic
def usage_ingest(*, rows: Any) -> int:
    """Upsert a batch of usage rows (the whole batch or nothing) and return how many were accepted.

    Each row is ``{"account": id | "account_external_id": str, "date": "YYYY-MM-DD", "metric": str,
    "value": number >= 0}``. A row keyed like an existing one (account, date, metric) replaces its value.
    Raises :class:`UsageBatchInvalid` naming every bad row.
    """
    tenant = get_current_tenant()
    if not isinstance(rows, list):
        raise UsageBatchInvalid({"non_field_errors": ["Send a JSON list of usage rows."]})
    if len(rows) > MAX_BATCH:
        raise UsageBatchInvalid({"non_field_errors": [f"At most {MAX_BATCH} rows per batch ({len(rows)} sent)."]})
    if not rows:
        return 0
    latest = timezone.localdate(timezone=tenant.tzinfo) + timedelta(days=1)
    errors: dict[str, list[str]] = {}
    parsed: list[tuple[int, Any, Any, str, str, float]] = []  # (index, account id, external id, metric, date, value)
    dates_ok: dict[str, bool] = {}
    metrics_ok: dict[str, bool] = {}
    for index, row in enumerate(rows):
        if not isinstance(row, dict):
            errors[str(index)] = ["A row must be an object with account, date, metric and value."]
            continue
        problems = []
        account_id, external_id = row.get("account"), row.get("account_external_id")
        if account_id is None and external_id is None:
            problems.append("account: give account (id) or account_external_id.")
        if account_id is not None and (not isinstance(account_id, int) or isinstance(account_id, bool)):
            problems.append("account: must be an account id (integer).")
        if external_id is not None and (not isinstance(external_id, str) or not external_id):
            problems.append("account_external_id: must be a non-empty string.")
        day = row.get("date")
        if not isinstance(day, str) or not _valid_date(day, latest, dates_ok):
            problems.append(f"date: must be a date YYYY-MM-DD from {EARLIEST_DATE.isoformat()} to tomorrow.")
        metric = row.get("metric")
        if isinstance(metric, str) and CONTROL_CHARACTERS.search(metric):
            problems.append("metric: must not contain control characters such as a newline or a tab.")
        elif not isinstance(metric, str) or not _valid_metric(metric, metrics_ok):
            problems.append("metric: lowercase name such as active_users or feature:<name> (at most 100 characters).")
        value = row.get("value")
        if not is_finite_number(value) or value < 0:
            problems.append("value: must be a number, zero or more.")
        if problems:
            errors[str(index)] = problems
        else:
            parsed.append((index, account_id, external_id, metric, day, float(value)))
    resolved = _resolve_accounts(parsed, errors)
    if errors:
        raise UsageBatchInvalid(dict(sorted(errors.items(), key=lambda item: int(item[0]))))
    upsert = {}
    for (_, _, _, metric, day, value), account in zip(parsed, resolved, strict=True):
        upsert[(account, metric, day)] = value  # a key repeated in the batch: the last row wins
    _upsert_usage(tenant.pk, upsert)
    request_account_recompute({account for account, _, _ in upsert}, tenant=tenant)
    return len(rows)


def _valid_date(text: str, latest: date, memo: dict[str, bool]) -> bool:
    if text not in memo:
        ok = bool(DATE_RE.fullmatch(text))
        if ok:
            try:
                ok = EARLIEST_DATE <= date.fromisoformat(text) <= latest
            except ValueError:
                ok = False
        memo[text] = ok
    return memo[text]


def _valid_metric(metric: str, memo: dict[str, bool]) -> bool:
    if metric not in memo:
        memo[metric] = len(metric) <= 100 and bool(METRIC_RE.fullmatch(metric))
    return memo[metric]


def _resolve_accounts(parsed: list, errors: dict[str, list[str]]) -> list[int]:
    """Account ids for the parsed rows, in one query that also locks them against deletion until
    commit (``FOR KEY SHARE``, the foreign key's guarantee); unknown ones become errors."""
    ids = {row[1] for row in parsed if row[1] is not None}
    external = {row[2] for row in parsed if row[2] is not None}
    known_ids, known_external = accounts_locked_for_usage(ids=list(ids), external_ids=list(external))
    resolved = []
    for index, account_id, external_id, *_ in parsed:
        by_id = known_ids.get(account_id) if account_id is not None else None
        by_external = known_external.get(external_id) if external_id is not None else None
        if account_id is not None and by_id is None:
            errors[str(index)] = [f"account: no account {account_id} in this tenant."]
        elif external_id is not None and by_external is None:
            errors[str(index)] = [f"account_external_id: no account with external id {external_id[:100]!r}."]
        elif by_id is not None and by_external is not None and by_id != by_external:
            errors[str(index)] = ["account and account_external_id name different accounts."]
        resolved.append(by_id or by_external or 0)
    return resolved


def _upsert_usage(tenant_id: int, values: dict[tuple[int, str, str], float]) -> None:
    """One INSERT ... ON CONFLICT DO UPDATE for the whole batch (rows whose value is unchanged are left
    alone). The rows travel as four array literals (validated text: no quoting needed), which
    PostgreSQL parses far faster than ten thousand VALUES tuples."""
    table = UsageRecord._meta.db_table
    accounts, metrics, days, numbers = [], [], [], []
    for (account, metric, day), value in values.items():
        accounts.append(str(account))
        metrics.append(metric)
        days.append(day)
        numbers.append(repr(value))
    sql = (
        f"INSERT INTO {table} (tenant_id, account_id, metric, date, value) "
        "SELECT %s, * FROM unnest(%s::bigint[], %s::varchar[], %s::date[], %s::float8[]) "
        "ON CONFLICT (tenant_id, account_id, metric, date) DO UPDATE SET value = EXCLUDED.value "
        f"WHERE {table}.value IS DISTINCT FROM EXCLUDED.value"
    )
    params = [tenant_id] + ["{" + ",".join(items) + "}" for items in (accounts, metrics, days, numbers)]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def usage_load(*, stream: io.TextIOBase, columns: str = "tenant_id, account_id, metric, date, value") -> None:
    """Bulk-load usage rows that are new (seeding, backfills): tab-separated lines through COPY.

    Rows that may already exist go through :func:`usage_ingest` (upsert) instead.
    """
    with connection.cursor() as cursor:
        # Positional `size`: Django's debug cursor wrapper (DEBUG=1) forwards only positional arguments.
        cursor.copy_expert(f"COPY {UsageRecord._meta.db_table} ({columns}) FROM STDIN", stream, 1 << 20)


# --- Scorecard and risk settings ----------------------------------------------------------------


@transaction.atomic
def scorecard_save(*, data: Any, actor: User | None = None, recompute: bool = True) -> ScorecardConfig:
    """Validate and store the tenant's scorecard (raises ScorecardInvalid, changing nothing), then
    (unless ``recompute`` is False, e.g. when seeding) recompute every account with it."""
    tenant = get_current_tenant()
    card = validate_scorecard(data)
    created, _ = Scorecard.objects.get_or_create(tenant=tenant, defaults={"version": 0})
    row = Scorecard.objects.select_for_update().get(pk=created.pk)  # concurrent saves queue here
    row.components, row.bands = card["components"], card["bands"]
    row.version += 1
    row.updated_at, row.updated_by = timezone.now(), actor
    row.save()
    if recompute:
        request_tenant_recompute(tenant=tenant, on_commit=True)
    return scorecard_get()


@transaction.atomic
def risk_settings_save(
    *, tenant: Tenant, rules: dict | None = None, competitors: list[str] | None = None,
    retention_days: dict | None = None,
) -> Tenant:
    """Store risk thresholds and/or snapshot retention days (validated: raises RiskSettingsInvalid and
    changes nothing) and/or the competitor list. Merges into the settings read under the tenant row's
    lock, so a concurrent save of other rules is kept."""
    settings = Tenant.objects.select_for_update().get(pk=tenant.pk).settings or {}
    changes: dict[str, Any] = {}
    if retention_days is not None:
        current = retention.policy_from_settings(settings)
        try:
            changes[retention.SETTINGS_KEY] = retention.validate_retention(retention_days, current).as_dict()
        except retention.RetentionInvalid as exc:
            raise risks.RiskSettingsInvalid(exc.errors) from exc
    if rules is not None:
        cleaned = risks.validate_rule_settings(rules)
        stored = dict(settings.get(risks.SETTINGS_KEY) or {})
        for key, values in cleaned.items():
            stored[key] = {**(stored.get(key) or {}), **values}
        changes[risks.SETTINGS_KEY] = stored
    if competitors is not None:
        names = []
        for name in competitors:
            name = str(name).strip()[:100]
            if name and name.lower() not in {n.lower() for n in names}:
                names.append(name)
        changes["competitors"] = names[:50]
    if changes:
        tenant_update_settings(tenant=tenant, changes=changes)
    return tenant


# --- Snapshot retention -------------------------------------------------------------------------


@transaction.atomic
def prune_snapshots(*, tenant: Tenant, now: datetime | None = None) -> int:
    """Thin the tenant's health history by its retention policy (``health/retention.py``) in one DELETE;
    return how many snapshots went. Idempotent; an account's newest snapshot always stays.

    One window over the tenant's snapshots, newest first per account (the order of
    ``snapshot_account_idx``), pairs each with the next newer one: a snapshot goes when it is older
    than the keep-all window and has a newer one, and is either older than the daily window or not
    the last of its (tenant-local) day. A recompute committing meanwhile only adds newer rows, which
    cannot make a doomed row the newest.
    """
    policy = retention.policy_from_settings(tenant.settings)
    now = now or timezone.now()
    table = HealthSnapshot._meta.db_table
    sql = f"""
        DELETE FROM {table} h
        USING (
            SELECT id, computed_at,
                   lag(computed_at) OVER newest_first AS newer_at
            FROM {table}
            WHERE tenant_id = %(tenant)s
            WINDOW newest_first AS (PARTITION BY account_id ORDER BY computed_at DESC, id DESC)
        ) s
        WHERE h.id = s.id AND h.tenant_id = %(tenant)s
          AND s.computed_at < %(keep_all_since)s
          AND s.newer_at IS NOT NULL
          AND (s.computed_at < %(keep_daily_since)s
               OR (s.newer_at AT TIME ZONE %(tz)s)::date = (s.computed_at AT TIME ZONE %(tz)s)::date)
    """
    params = {"tenant": tenant.pk, "tz": tenant.timezone, "keep_all_since": policy.keep_all_since(now),
              "keep_daily_since": policy.keep_daily_since(now)}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


# --- CSM sentiment ------------------------------------------------------------------------------


@transaction.atomic
def sentiment_set(
    *, account: Account, score: int, note: str = "", expires_at: datetime | None = None,
    expires_in_days: int | None = None, actor: User | None = None,
) -> Sentiment:
    """Record the CSM's read of the account (1-5), valid until it expires (default 90 days), and recompute
    that account's health at once."""
    if not isinstance(score, int) or isinstance(score, bool) or not 1 <= score <= 5:
        raise DomainError("Sentiment is a whole number from 1 (very negative) to 5 (very positive).", field="score")
    now = timezone.now()
    if expires_at is None:
        days = expires_in_days if expires_in_days is not None else DEFAULT_SENTIMENT_DAYS
        if not 1 <= days <= 365:
            raise DomainError("Expiry must be 1 to 365 days ahead.", field="expires_in_days")
        expires_at = now + timedelta(days=days)
    elif expires_at <= now:
        raise DomainError("The expiry must be in the future.", field="expires_at")
    sentiment = Sentiment.objects.create(
        tenant=get_current_tenant(), account=account, score=score, note=note.strip(), author=actor,
        created_at=now, expires_at=expires_at,
    )
    activity_record(
        account=account, kind=ActivityKind.SYSTEM, subject=f"CSM sentiment set to {score}/5", body=sentiment.note,
        actor=actor, source="health", ref_type="sentiment", ref_id=sentiment.pk,
    )
    # One account is cheap to score: do it now, in this transaction, so the caller (the account page,
    # the API) shows the score the new sentiment makes, instead of a debounced task's ~30 s later.
    recompute_health(tenant=get_current_tenant(), account_ids=[account.pk])
    return sentiment


# --- Recompute --------------------------------------------------------------------------------


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
    outcome = RecomputeOutcome(timings={})
    ids = None if account_ids is None else sorted({int(i) for i in account_ids})
    with tenant_context(tenant), transaction.atomic():
        today = timezone.localdate(timezone=tenant.tzinfo)
        as_of = as_of or today
        computed_at = computed_at or timezone.now()
        is_current = as_of >= today
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [0x4EA1, tenant.pk])
            # The per-(account, metric) aggregates of a big tenant would spill to disk at the default 4MB.
            cursor.execute("SET LOCAL work_mem = '128MB'")
        accounts = _active_accounts(tenant, ids)
        outcome.accounts = len(accounts)
        outcome.computed_at = computed_at
        if accounts.empty:
            return outcome
        config = scorecard_get()
        card = resolve_measures(config.as_dict())
        usage_windows = _usage_windows(card, tenant)
        with recompute_scope(usage_windows=usage_windows):
            raw = _raw_values(card, tenant, ids, as_of, accounts.index)
            outcome.timings["sources"] = clock.perf_counter() - started
            result = score_accounts(raw, card)
            outcome.timings["scoring"] = clock.perf_counter() - started
            _write_snapshots(tenant, card, result, computed_at, config.version)
            outcome.timings["snapshots"] = clock.perf_counter() - started
            if update_accounts and is_current:
                _update_accounts(tenant, accounts, result, computed_at)
                _record_band_changes(card, accounts, result, computed_at)
                outcome.timings["accounts"] = clock.perf_counter() - started
            if evaluate_risks and is_current:
                ctx = risks.RiskContext(
                    tenant=tenant, account_ids=ids, as_of=as_of, moment=moment_for(tenant, as_of),
                    accounts=accounts, result=result, bands=card["bands"],
                )
                risk_outcome = risks.evaluate(ctx)
                outcome.risks_opened, outcome.risks_closed = risk_outcome.opened, risk_outcome.closed
                outcome.timings["risks"] = clock.perf_counter() - started
    outcome.seconds = clock.perf_counter() - started
    logger.info("health recompute tenant=%s accounts=%s in %.2fs", tenant.pk, outcome.accounts, outcome.seconds)
    return outcome


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


def _write_snapshots(tenant: Tenant, card: dict, result: ScoreResult, computed_at: datetime, version: int) -> None:
    """Every account's snapshot in one COPY."""
    components, measures = _snapshot_json(card, result)
    scores = _number_strings(result.score.to_numpy(dtype="float64"), "%.1f")
    stamp = computed_at.isoformat()
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerows(
        (tenant.pk, account_id, stamp, "" if score == "null" else score, status or "", comp, meas, version)
        for account_id, score, status, comp, meas in zip(
            result.score.index.tolist(), scores, result.status.tolist(), components, measures, strict=True
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


# --- Asking for a recompute -------------------------------------------------------------------


def celery_is_eager() -> bool:
    from config.celery import app

    return bool(app.conf.task_always_eager)


def request_account_recompute(account_ids: Iterable[int], *, tenant: Tenant | None = None,
                              countdown: int = DEBOUNCE_SECONDS) -> None:
    """Recompute these accounts soon, after the current transaction commits (for other apps too).

    With a broker, the request is written to the outbox in this transaction (one message per
    transaction and tenant, so it survives a broker outage) and debounced per account on commit (a
    cache key lives for ``countdown`` seconds and one task runs after it), so a burst of events costs
    one recompute. Without one (eager mode) small changes are recomputed inline and big ones are left
    to the scheduled recompute.
    """
    tenant = tenant or get_current_tenant()
    ids = {int(i) for i in account_ids}
    if not ids:
        return
    connection_ = transaction.get_connection()
    if connection_.in_atomic_block:  # several events in one transaction: one request after commit
        for _, callback, *_ in connection_.run_on_commit:
            batch = getattr(callback, "health_batch", None)
            if batch is not None and batch["tenant"] == tenant.pk and not batch["sent"]:
                if not ids <= batch["ids"]:
                    batch["ids"] |= ids
                    if batch["message"] is not None:
                        outbox.update(batch["message"], args=[tenant.pk, sorted(batch["ids"])])
                return
    message = None if celery_is_eager() else outbox.enqueue(
        "health.recompute_accounts", args=[tenant.pk, sorted(ids)], countdown=countdown, tenant_id=tenant.pk,
        dispatch=False,
    )
    batch = {"tenant": tenant.pk, "ids": ids, "sent": False, "message": message}

    def flush() -> None:
        batch["sent"] = True
        _enqueue_accounts(batch["tenant"], sorted(batch["ids"]), countdown, message=batch["message"])

    flush.health_batch = batch
    transaction.on_commit(flush)


def _enqueue_accounts(tenant_id: int, ids: list[int], countdown: int, *, message=None) -> None:
    from health import tasks

    if celery_is_eager() and message is None:
        if len(ids) <= EAGER_INLINE_LIMIT:
            tasks.recompute_accounts.apply(args=[tenant_id, ids])
        return
    if message is None:  # asked outside the outbox (no transaction): keep it now
        message = outbox.enqueue("health.recompute_accounts", args=[tenant_id, ids], countdown=countdown,
                                 tenant_id=tenant_id, dispatch=False)
    keys = {f"health:debounce:{tenant_id}:{account_id}": account_id for account_id in ids}
    try:
        pending = cache.get_many(list(keys))
    except Exception:  # noqa: BLE001 - cache down: no debounce, recompute them all (idempotent)
        logger.warning("health: cache unreachable, recompute requests not debounced", exc_info=True)
        pending = {}
    fresh = {key: account_id for key, account_id in keys.items() if key not in pending}
    if not fresh:
        outbox.discard(message)
        return
    try:
        if len(fresh) > TENANT_WIDE_THRESHOLD:
            if not cache.add(f"health:debounce:{tenant_id}:all", 1, timeout=countdown):
                outbox.discard(message)
                return
            outbox.update(message, task_name="health.recompute_tenant", args=[tenant_id])
        else:
            cache.set_many(dict.fromkeys(fresh, 1), timeout=countdown)
    except Exception:  # noqa: BLE001
        logger.warning("health: cache unreachable, recompute requests not debounced", exc_info=True)
    if message.task_name == "health.recompute_accounts" and sorted(fresh.values()) != message.args[1]:
        outbox.update(message, args=[tenant_id, sorted(fresh.values())])
    outbox.dispatch_messages([message.pk])


def request_tenant_recompute(*, tenant: Tenant, on_commit: bool = False) -> dict:
    """Recompute every account of the tenant as a job (``GET /api/v1/jobs/{id}/``): queued through the
    outbox (``{"status": "queued", "job_id"}``, kept even while the broker is down) or, in eager mode,
    done inline (``{"status": "done", "job_id", ...}``)."""
    if on_commit:  # e.g. after a scorecard change, inside the caller's transaction
        outbox.enqueue("health.recompute_tenant", args=[tenant.pk], tenant_id=tenant.pk)
        return {"status": "scheduled"}
    with transaction.atomic():
        job = jobs.job_create(tenant=tenant, kind="health.recompute")
        if not celery_is_eager():
            outbox.enqueue("health.recompute_tenant", args=[tenant.pk], kwargs={"job_id": str(job.pk)},
                           tenant_id=tenant.pk)
            return {"status": "queued", "job_id": str(job.pk)}
    outcome = jobs.job_run(str(job.pk), lambda: recompute_health(tenant=tenant).as_dict())
    return {"status": "done", "job_id": str(job.pk), **outcome}


def tenants_for_recompute() -> list[int]:
    return list(Tenant.objects.order_by("pk").values_list("pk", flat=True))
