"""Idempotency-Key overhead: `python manage.py bench idempotency [--requests 300] [--usage-rows 10000]`.

Through the API as an integration calls it (in-process client, an API key of a throwaway tenant
``bench-idempotency``, deleted afterwards), times ``--requests`` account creations (POST
/api/v1/accounts/) three ways: without a key, each with a new ``Idempotency-Key``, and each of those
again (the replay, which skips the endpoint), with the queries of one request of each. Then one
usage batch of ``--usage-rows`` rows (about 1 MB of JSON) with and without a key, for the cost of
hashing a large body. Reports p50 / p95 in ms.
"""

from __future__ import annotations

import json
import time
from datetime import date, timedelta

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from core.benchmarking import percentiles
from tenancy.models import Tenant
from tenancy.services import api_key_create, tenant_create

SLUG = "bench-idempotency"


def add_arguments(parser) -> None:
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--usage-rows", type=int, default=10_000)


def _timed(client: Client, url: str, bodies: list[str], keys: list[str | None], expect: int) -> tuple[list[float], int]:
    samples = []
    queries = 0
    for n, (body, key) in enumerate(zip(bodies, keys, strict=True)):
        extra = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
        context = CaptureQueriesContext(connection) if n == len(bodies) - 1 else None
        started = time.perf_counter()
        if context is not None:
            with context:
                response = client.post(url, body, content_type="application/json", secure=True, **extra)
            queries = len(context)
        else:
            response = client.post(url, body, content_type="application/json", secure=True, **extra)
        samples.append((time.perf_counter() - started) * 1000)
        if response.status_code != expect:
            raise RuntimeError(f"{url}: HTTP {response.status_code} {response.content[:300]!r}")
    return samples, queries


def _figures(samples: list[float], queries: int) -> dict:
    p50, p95 = percentiles(samples)
    return {"p50_ms": p50, "p95_ms": p95, "queries": queries}


def run(options, out) -> dict:
    Tenant.objects.filter(slug=SLUG).delete()
    tenant = tenant_create(slug=SLUG, name="Bench idempotency", admin_email=f"admin@{SLUG}.example",
                           admin_password=None)
    try:
        _, raw_key = api_key_create(tenant=tenant, name="bench", scopes=["read", "write"])
        client = Client(HTTP_AUTHORIZATION=f"Bearer {raw_key}")
        n = options["requests"]
        url = "/api/v1/accounts/"
        client.post(url, json.dumps({"name": "warm-up", "external_id": "B-warm"}), content_type="application/json",
                    secure=True)
        plain = [json.dumps({"name": f"Plain {i}", "external_id": f"P-{i}"}) for i in range(n)]
        keyed = [json.dumps({"name": f"Keyed {i}", "external_id": f"K-{i}"}) for i in range(n)]
        keys = [f"bench-{i}" for i in range(n)]
        result = {"requests": n}
        result["no_key"] = _figures(*_timed(client, url, plain, [None] * n, 201))
        result["new_key"] = _figures(*_timed(client, url, keyed, keys, 201))
        result["replay"] = _figures(*_timed(client, url, keyed, keys, 201))
        for label in ("no_key", "new_key", "replay"):
            out.write(f"  accounts POST {label}: {result[label]}\n")

        rows = options["usage_rows"]
        start = date(2026, 1, 1)
        batch = [
            {"account_external_id": f"K-{i % n}", "date": (start + timedelta(days=i // n)).isoformat(),
             "metric": "logins", "value": i % 97}
            for i in range(rows)
        ]
        body = json.dumps(batch)
        usage = {"rows": rows, "body_bytes": len(body)}
        _timed(client, "/api/v1/usage/", [body], [None], 200)  # warm-up: the rows exist, each run updates them
        usage["no_key"] = _figures(*_timed(client, "/api/v1/usage/", [body] * 3, [None] * 3, 200))
        usage["new_key"] = _figures(*_timed(client, "/api/v1/usage/", [body] * 3,
                                            [f"usage-{i}" for i in range(3)], 200))
        usage["replay"] = _figures(*_timed(client, "/api/v1/usage/", [body] * 3,
                                           [f"usage-{i}" for i in range(3)], 200))
        for label in ("no_key", "new_key", "replay"):
            out.write(f"  usage POST ({rows:,} rows, {len(body):,} bytes) {label}: {usage[label]}\n")
        result["usage_batch"] = usage
        return result
    finally:
        Tenant.objects.filter(pk=tenant.pk).delete()
