"""Usage ingestion through the HTTP API: rows per second in 10,000-row batches.

``python manage.py bench usage-ingest [--rows 200000]`` posts batches to ``POST /api/v1/usage/`` with
Django's test client (the whole middleware, authentication, parsing, validation and upsert path,
in-process) for a dedicated ``bench-ingest`` tenant. The first pass inserts new rows; the second
resends the same batches (the retry path, replacing values).
"""

from __future__ import annotations

import json
import time
from datetime import timedelta

import numpy as np
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


def add_arguments(parser) -> None:
    parser.add_argument("--rows", type=int, default=200_000, help="Rows per pass (multiple of 10,000)")
    parser.add_argument("--batch", type=int, default=BATCH)


def run(options, out) -> dict:
    tenant = _tenant(out)
    key, raw_key = api_key_create(tenant=tenant, name="bench", scopes=["read", "write"])
    with tenant_context(tenant):
        UsageRecord.objects.all().delete()
        external_ids = list(Account.objects.order_by("pk").values_list("external_id", flat=True))
    bodies = _batches(external_ids, options["rows"], options["batch"])
    rows = sum(len(batch) for batch in bodies)
    encoded = [json.dumps(batch) for batch in bodies]
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw_key}")
    results = {}
    for label in ("insert", "resend"):
        started = time.perf_counter()
        for n, body in enumerate(encoded, 1):
            response = client.post("/api/v1/usage/", body, content_type="application/json", secure=True)
            if response.status_code != 200:
                raise RuntimeError(f"batch {n}: HTTP {response.status_code} {response.content[:500]!r}")
        seconds = time.perf_counter() - started
        results[label] = seconds
        out.write(f"  {label}: {rows:,} rows in {len(encoded)} batches, {seconds:.2f}s, {rows / seconds:,.0f} rows/s")
    api_key_revoke(key=key)
    return {
        "rows": rows, "seconds": round(results["insert"], 2), "rows_per_second": round(rows / results["insert"]),
        "resend_seconds": round(results["resend"], 2), "resend_rows_per_second": round(rows / results["resend"]),
    }


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
