"""Product usage in: validated batches upserted in one statement, and bulk loads for seeding."""

from __future__ import annotations

import io
import re
import sys
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone

from base.limits import CONTROL_CHARACTERS, EARLIEST_DATE
from core.registries.health import is_finite_number
from health.models import UsageRecord
from health.selectors import accounts_locked_for_usage, event_owned_metrics
from health.services.scheduling import request_account_recompute
from tenancy.context import get_current_tenant

MAX_BATCH = 10_000
METRIC_RE = re.compile(r"[a-z0-9_]{1,60}(:[A-Za-z0-9_.\-]{1,80})?")  # used with fullmatch: no trailing newline
DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")  # fullmatch, ASCII digits only
INCOMING_TABLE = "usage_incoming"  # per connection, emptied at each commit
COPY_BUFFER = 1 << 20
CHUNK_ROWS = 1000  # rows per chunk of COPY text: PostgreSQL loads one while the next is made
_LARGEST_FLOAT = sys.float_info.max  # a value above it (10**400) is not a finite float; NaN fails any comparison


class UsageBatchInvalid(ValueError):
    """A batch with bad rows: ``errors`` maps each bad row's index (as a string) to its messages."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__(f"{len(errors)} bad row(s)")
        self.errors = errors



@transaction.atomic
def usage_ingest(*, rows: Any) -> int:
    """Upsert a batch of usage rows (the whole batch or nothing) and return how many were accepted.

    Each row is ``{"account": id | "account_external_id": str, "date": "YYYY-MM-DD", "metric": str,
    "value": number >= 0}``. A row keyed like an existing one (account, date, metric) replaces its value
    (a key repeated in the batch: the last row wins). Raises :class:`UsageBatchInvalid` naming every bad row.

    The accounts the rows name are looked up (and locked) first, in one query, so that a well-formed
    batch is checked and turned into COPY text by one loop (:func:`_copy_lines`); a batch with any row
    that loop does not accept is checked again by the detailed path, which names every problem.
    """
    tenant = get_current_tenant()
    if not isinstance(rows, list):
        raise UsageBatchInvalid({"non_field_errors": ["Send a JSON list of usage rows."]})
    if len(rows) > MAX_BATCH:
        raise UsageBatchInvalid({"non_field_errors": [f"At most {MAX_BATCH} rows per batch ({len(rows)} sent)."]})
    if not rows:
        return 0
    latest = timezone.localdate(timezone=tenant.tzinfo) + timedelta(days=1)
    event_owned = event_owned_metrics()
    known_ids, known_external = accounts_locked_for_usage(**_named_accounts(rows))
    try:  # the rows checked and formatted chunk by chunk as the COPY reads them: the database loads as Python checks
        _upsert_usage(_CopyText(_copy_chunks(rows, f"{tenant.pk}\t", latest, event_owned, known_ids, known_external)))
    except _RowNotPlain:  # nothing was written (the COPY's savepoint rolled back): the detailed path names the problems
        errors: dict[str, list[str]] = {}
        parsed = _parse_rows(rows, latest, errors, event_owned=event_owned)
        resolved = _resolve_accounts(parsed, errors, known_ids, known_external)
        if errors:
            raise UsageBatchInvalid(dict(sorted(errors.items(), key=lambda item: int(item[0])))) from None
        _upsert_usage(_CopyText(iter(["".join([f"{tenant.pk}\t{account}\t{metric}\t{day}\t{value}\n" for (
            _, _, _, metric, day, value), account in zip(parsed, resolved, strict=True)])])))
    # Every row named a known account, and every account looked up was named by a row: these are the touched ones.
    request_account_recompute({*known_ids.values(), *known_external.values()}, tenant=tenant)
    return len(rows)


def _named_accounts(rows: list) -> dict[str, list]:
    """The account ids and external ids the rows name (values of any other type are left to validation)."""
    try:
        ids = {row.get("account") for row in rows}
        external = {row.get("account_external_id") for row in rows}
    except (AttributeError, TypeError):  # a row that is not an object, or an unhashable value: the rows one by one
        objects = [row for row in rows if isinstance(row, dict)]
        ids = {row.get("account") for row in objects if type(row.get("account")) is int}
        external = {row.get("account_external_id") for row in objects if type(row.get("account_external_id")) is str}
    return {"ids": [i for i in ids if type(i) is int], "external_ids": [e for e in external if type(e) is str and e]}


class _RowNotPlain(Exception):  # noqa: N818 - a signal, not an error: the batch takes the detailed path
    """A row :func:`_copy_chunks` does not accept."""


class _CopyText:
    """A file-like object for ``copy_expert``: the COPY text as its chunks come, kept for a second use."""

    def __init__(self, chunks: Iterator[str]):
        self._chunks = chunks
        self._read: list[str] = []
        self.not_plain = False  # the COPY was stopped by a row the chunks refused (psycopg reports it as its own error)

    def read(self, size: int = -1) -> str:  # one chunk per call, whatever the size asked
        try:
            chunk = next(self._chunks, "")
        except _RowNotPlain:
            self.not_plain = True
            raise
        self._read.append(chunk)
        return chunk

    def text(self) -> str:
        """The whole text (what was read and the rest)."""
        return "".join(self._read) + "".join(self._chunks)


def _copy_chunks(rows: list, prefix: str, latest: date, event_owned: set[str], by_id: dict[int, int],
                 by_external: dict[str, int]) -> Iterator[str]:
    """COPY text (``prefix`` + account, metric, date, value lines) for a batch whose every row is plainly
    good, :data:`CHUNK_ROWS` rows at a time, by exact-type checks and dictionary look-ups (no per-row
    objects). Raises :class:`_RowNotPlain` at the first row it does not accept (whose problems
    :func:`_parse_rows` and :func:`_resolve_accounts` then name)."""
    dates_ok: dict[str, bool] = {}
    metrics_ok: dict[str, bool] = dict.fromkeys(event_owned, False)  # their rows are refused by name
    for start in range(0, len(rows), CHUNK_ROWS):
        lines: list[str] = []
        append = lines.append
        try:  # a missing date, metric or value: KeyError
            for row in rows[start:start + CHUNK_ROWS]:
                if type(row) is not dict:
                    raise _RowNotPlain
                external_id = row.get("account_external_id")
                if external_id is None:
                    account_id = row.get("account")
                    account = by_id.get(account_id) if type(account_id) is int else None
                else:
                    account = by_external.get(external_id) if type(external_id) is str else None
                    account_id = row.get("account")
                    if account_id is not None and (type(account_id) is not int or by_id.get(account_id) != account):
                        raise _RowNotPlain
                day = row["date"]
                metric = row["metric"]
                value = row["value"]
                value_type = type(value)
                if not (
                    account is not None
                    and type(day) is str
                    and (dates_ok[day] if day in dates_ok else _valid_date(day, latest, dates_ok))
                    and type(metric) is str
                    and (metrics_ok[metric] if metric in metrics_ok else _valid_metric(metric, metrics_ok))
                    and (value_type is int or value_type is float)
                    and 0 <= value <= _LARGEST_FLOAT
                ):
                    raise _RowNotPlain
                append(f"{prefix}{account}\t{metric}\t{day}\t{value}\n")  # int or float: both write as is
        except KeyError:
            raise _RowNotPlain from None
        yield "".join(lines)


def _parse_rows(rows: list, latest: date, errors: dict[str, list[str]], *,
                event_owned: set[str] = frozenset()) -> list[tuple[int, Any, Any, str, str, float | int]]:
    """The good rows as (index, account id, external id, metric, date, value); each bad one's problems in
    ``errors`` under its index (the detailed path, for a batch :func:`_copy_lines` did not accept)."""
    parsed = []
    dates_ok: dict[str, bool] = {}
    metrics_named: dict[str, bool] = {}  # well-formed names only
    for index, row in enumerate(rows):
        if not isinstance(row, dict):
            errors[str(index)] = ["A row must be an object with account, date, metric and value."]
            continue
        problems = _row_problems(row, latest, dates_ok, metrics_named)
        if isinstance(row.get("metric"), str) and row["metric"] in event_owned:
            problems.append(f"metric: {row['metric']} is counted from product events (see /api/v1/event-mappings/); "
                            "its usage rows cannot be pushed.")
        if problems:
            errors[str(index)] = problems
        else:
            parsed.append((index, row.get("account"), row.get("account_external_id"), row["metric"], row["date"],
                           float(row["value"])))
    return parsed


def _row_problems(row: dict, latest: date, dates_ok: dict[str, bool], metrics_ok: dict[str, bool]) -> list[str]:
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
    return problems


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


def _resolve_accounts(parsed: list, errors: dict[str, list[str]], known_ids: dict[int, int],
                      known_external: dict[str, int]) -> list[int]:
    """Account ids for the parsed rows, from the accounts found (and locked against deletion until commit,
    ``FOR KEY SHARE``: the foreign key's guarantee) by :func:`accounts_locked_for_usage`; unknown ones
    become errors."""
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


def _upsert_usage(copy_text: _CopyText) -> None:
    """Write the batch's COPY text (tenant, account, metric, date, value lines).

    Rows new to the table (a first push) go in with one COPY straight into the table, inside a
    savepoint: as fast as PostgreSQL loads rows. When any of them exists already (a resend, a
    correction, a concurrent batch that got there first) or the batch repeats a key, the unique index
    stops the COPY, the savepoint rolls it back, and the lines (one per key: a repeated key keeps its
    last value) are copied into a temporary table and upserted from it with one ``INSERT ... ON
    CONFLICT DO UPDATE`` (rows whose value is unchanged are left alone). The text needs no escaping:
    accounts are ids, dates and metrics were validated (no tab, backslash or newline).
    """
    table = UsageRecord._meta.db_table
    columns = "tenant_id, account_id, metric, date, value"
    with connection.cursor() as cursor:
        try:
            with transaction.atomic(), connection.wrap_database_errors:  # psycopg's error as Django's
                cursor.copy_expert(f"COPY {table} ({columns}) FROM STDIN", copy_text, COPY_BUFFER)
            return
        except IntegrityError:
            pass  # some rows exist (or a key is repeated): upsert them all
        except DatabaseError:
            if copy_text.not_plain:
                raise _RowNotPlain from None
            raise
        lines = copy_text.text().splitlines(keepends=True)
        last_by_key = {line.rpartition("\t")[0]: line for line in lines}  # the key is all but the value
        cursor.execute(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {INCOMING_TABLE} "
            "(tenant_id bigint, account_id bigint, metric varchar(100), date date, value float8) ON COMMIT DELETE ROWS; "
            f"DELETE FROM {INCOMING_TABLE}"  # emptied at commit, but an outer transaction may hold an earlier batch
        )
        cursor.copy_expert(f"COPY {INCOMING_TABLE} ({columns}) FROM STDIN",
                           io.StringIO("".join(last_by_key.values())), COPY_BUFFER)
        cursor.execute(
            f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {INCOMING_TABLE} "
            "ON CONFLICT (tenant_id, account_id, metric, date) DO UPDATE SET value = EXCLUDED.value "
            f"WHERE {table}.value IS DISTINCT FROM EXCLUDED.value"
        )


def usage_load(*, stream: io.TextIOBase, columns: str = "tenant_id, account_id, metric, date, value") -> None:
    """Bulk-load usage rows that are new (seeding, backfills): tab-separated lines through COPY.

    Rows that may already exist go through :func:`usage_ingest` (upsert) instead.
    """
    with connection.cursor() as cursor:
        # Positional `size`: Django's debug cursor wrapper (DEBUG=1) forwards only positional arguments.
        cursor.copy_expert(f"COPY {UsageRecord._meta.db_table} ({columns}) FROM STDIN", stream, COPY_BUFFER)
