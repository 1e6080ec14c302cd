"""Usage ingestion through the HTTP API: rows per second in 10,000-row batches.

``python manage.py bench usage-ingest [--rows 200000]`` posts batches to ``POST /api/v1/usage/`` with
Django's test client (the whole middleware, API-key authentication, tenant, parsing, validation, write
and recompute-scheduling path, in-process) for a dedicated ``bench-ingest`` tenant. The first pass
inserts new rows; the second resends the same batches (the retry path, replacing values). One
one-row request goes first, untimed (the process's first request pays for imports and connections),
and the batches are held only as their JSON and COPY texts while timing.

The yardstick, measured in the same run and interleaved batch by batch with the first pass (so both
see the same machine load): a raw COPY of the same rows (tenant, account id, metric, date, value),
batch by batch, each committed, into a table of the same shape with the same unique index (``CREATE
TABLE ... (LIKE health_usage INCLUDING ALL)``: same columns, primary key and BRIN index). ``ratio`` is
the API's first-insert rate over the COPY's.
"""

from __future__ import annotations

import gc
import io
import json
import time
from datetime import timedelta

import numpy as np
from django.db import connection
from django.test import Client
from django.utils import timezone

from accounts.models import Account
from health.models import UsageRecord
from tenancy.context import tenant_context
from tenancy.models import Tenant
from tenancy.services import api_key_create, api_key_revoke, tenant_create

SLUG = "bench-ingest"
ACCOUNTS = 10_000
METRICS = ("active_users", "licensed_seats", "logins", "api_calls")
BATCH = 10_000
COPY_TABLE = "bench_usage_copy"


def add_arguments(parser) -> None:
    parser.add_argument("--rows", type=int, default=200_000, help="Rows per pass (multiple of 10,000)")
    parser.add_argument("--batch", type=int, default=BATCH)


def run(options, out) -> dict:
    tenant = _tenant(out)
    key, raw_key = api_key_create(tenant=tenant, name="bench", scopes=["read", "write"])
    with tenant_context(tenant):
        accounts = dict(Account.objects.values_list("external_id", "pk"))
    external_ids = sorted(accounts)
    bodies = _batches(external_ids, options["rows"], options["batch"])
    rows = sum(len(batch) for batch in bodies)
    encoded = [json.dumps(batch) for batch in bodies]
    copy_texts = [_copy_text(tenant.pk, accounts, batch) for batch in bodies]
    del bodies  # only the texts are kept: a server process does not hold 200,000 parsed rows for its collector to walk
    gc.collect()
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw_key}")
    # One warm-up request (a one-row batch, deleted below): a process's first request pays for imports and connections.
    _post_seconds(client, json.dumps(json.loads(encoded[0])[:1]), 0)
    with tenant_context(tenant):
        UsageRecord.objects.all().delete()
    with connection.cursor() as cursor:  # the previous run's rows, dead: the yardstick table starts clean too
        cursor.execute(f"VACUUM FULL {UsageRecord._meta.db_table}")
    results = {"insert": 0.0, "resend": 0.0, "copy": 0.0}
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {COPY_TABLE}; "
                       f"CREATE TABLE {COPY_TABLE} (LIKE {UsageRecord._meta.db_table} INCLUDING ALL)")
    try:
        for n, (body, text) in enumerate(zip(encoded, copy_texts, strict=True), 1):
            results["copy"] += _copy_seconds(text)
            results["insert"] += _post_seconds(client, body, n)
        for n, body in enumerate(encoded, 1):
            results["resend"] += _post_seconds(client, body, n)
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {COPY_TABLE}")
        api_key_revoke(key=key)
    for label, seconds in results.items():
        out.write(f"  {label}: {rows:,} rows in {len(encoded)} batches, {seconds:.2f}s, {rows / seconds:,.0f} rows/s")
    return {
        "rows": rows, "seconds": round(results["insert"], 2), "rows_per_second": round(rows / results["insert"]),
        "copy_seconds": round(results["copy"], 2), "copy_rows_per_second": round(rows / results["copy"]),
        "ratio": round(results["copy"] / results["insert"], 3),
        "resend_seconds": round(results["resend"], 2), "resend_rows_per_second": round(rows / results["resend"]),
    }


def _post_seconds(client: Client, body: str, n: int) -> float:
    started = time.perf_counter()
    response = client.post("/api/v1/usage/", body, content_type="application/json", secure=True)
    seconds = time.perf_counter() - started
    if response.status_code != 200:
        raise RuntimeError(f"batch {n}: HTTP {response.status_code} {response.content[:500]!r}")
    return seconds


def _copy_text(tenant_id: int, accounts: dict[str, int], batch: list[dict]) -> str:
    return "".join(f"{tenant_id}\t{accounts[row['account_external_id']]}\t{row['metric']}\t{row['date']}\t"
                   f"{float(row['value'])!r}\n" for row in batch)


def _copy_seconds(text: str) -> float:
    """One batch's raw COPY into the yardstick table, committed (autocommit)."""
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.copy_expert(f"COPY {COPY_TABLE} (tenant_id, account_id, metric, date, value) FROM STDIN",
                           io.StringIO(text), 1 << 20)
    return time.perf_counter() - started


def _tenant(out) -> Tenant:
    tenant = Tenant.objects.filter(slug=SLUG).first()
    if tenant is not None:
        return tenant
    tenant = tenant_create(slug=SLUG, name="Bench ingest", admin_email=f"admin@{SLUG}.example", admin_password=None)
    with tenant_context(tenant):
        Account.objects.bulk_create(
            [Account(tenant=tenant, name=f"Ingest account {i:05d}", external_id=f"I-{i:05d}", segment="smb")
             for i in range(ACCOUNTS)],
            batch_size=5000,
        )
    out.write(f"Created {SLUG} with {ACCOUNTS:,} accounts")
    return tenant


def _batches(external_ids: list[str], rows: int, size: int) -> list[list[dict]]:
    """Daily pushes: every account's 4 metrics for a day, day after day, cut into batches."""
    rng = np.random.default_rng(7)
    today = timezone.localdate()
    out, batch = [], []
    day = 0
    while sum(len(b) for b in out) + len(batch) < rows:
        day += 1
        stamp = (today - timedelta(days=day)).isoformat()
        values = rng.integers(0, 500, size=(len(external_ids), len(METRICS)))
        for i, external_id in enumerate(external_ids):
            for j, metric in enumerate(METRICS):
                batch.append({"account_external_id": external_id, "date": stamp, "metric": metric,
                              "value": int(values[i, j])})
                if len(batch) == size:
                    out.append(batch)
                    batch = []
                    if sum(len(b) for b in out) >= rows:
                        return out
    if batch:
        out.append(batch)
    return out
