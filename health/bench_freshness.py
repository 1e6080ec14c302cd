"""Health freshness: from a usage or event batch being accepted to the affected accounts' scores updated.

``python manage.py bench freshness [--accounts 20000] [--seconds 120]`` starts a real Celery worker on the
``health`` queue (solo pool, one process, this settings' broker and database), then for ``--seconds`` posts every second a
10,000-row usage batch (2,500 accounts x 4 metrics, the next slice of the tenant each time) and a
1,000-event Segment batch (random accounts, an event mapped to ``feature:used``) to the API through
Django's test client (API key, tenant, the whole path). Recomputes are the production ones: the
debounced per-account requests (a tenant-wide run when a batch touches more than
``TENANT_WIDE_THRESHOLD`` accounts), written to the outbox and published on commit.

Freshness of one account in one batch = from the batch's acceptance to the first moment a snapshot of
the account computed at or after it is committed and seen (polled between sends, then every half second
until every acceptance is covered): the score the API shows then comes from a computation that started
after the batch was committed. Reports p50/p95/max over every (batch, account) pair, per kind.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
from django.conf import settings
from django.db import connection
from django.test import Client
from django.utils import timezone

from accounts.models import Account
from health.models import EventMapping, HealthSnapshot
from health.services.scheduling import DEBOUNCE_SECONDS
from tenancy.context import tenant_context
from tenancy.models import Tenant
from tenancy.services import api_key_create, api_key_revoke, tenant_create

SLUG = "bench-freshness"
METRICS = ("active_users", "licensed_seats", "logins", "api_calls")
USAGE_ACCOUNTS_PER_BATCH = 2_500  # x 4 metrics = 10,000 rows
EVENTS_PER_BATCH = 1_000


def add_arguments(parser) -> None:
    parser.add_argument("--accounts", type=int, default=20_000)
    parser.add_argument("--seconds", type=int, default=120, help="How long batches keep arriving")
    parser.add_argument("--wait", type=int, default=240, help="Longest wait for the last recomputes")


def run(options, out) -> dict:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        raise RuntimeError("bench freshness needs a broker (REDIS_URL): recomputes run on a real worker")
    tenant = _tenant(options["accounts"], out)
    key, raw_key = api_key_create(tenant=tenant, name="bench", scopes=["read", "write"])
    with tenant_context(tenant):
        ids = list(Account.objects.order_by("pk").values_list("pk", flat=True))
        external = dict(Account.objects.values_list("pk", "external_id"))
    worker = _start_worker(out)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw_key}")
    rng = np.random.default_rng(11)
    accepted: list[tuple[str, float, list[int]]] = []  # (kind, accepted at, accounts)
    seen = _Poller(tenant.pk)
    seen.poll()  # earlier runs' snapshots: before the watermark
    seen.changes.clear()
    try:
        started = time.time()
        tick = 0
        while time.time() - started < options["seconds"]:
            day = timezone.localdate(timezone=tenant.tzinfo).isoformat()
            chunk = [ids[(tick * USAGE_ACCOUNTS_PER_BATCH + i) % len(ids)] for i in range(USAGE_ACCOUNTS_PER_BATCH)]
            rows = [{"account": pk, "date": day, "metric": metric, "value": int(rng.integers(0, 500))}
                    for pk in chunk for metric in METRICS]
            accepted.append(("usage", _post(client, "/api/v1/usage/", rows), chunk))
            targets = [ids[i] for i in rng.integers(0, len(ids), EVENTS_PER_BATCH)]
            events = {"batch": [{"type": "track", "event": "Feature Used", "messageId": f"{tick}-{n}-{pk}",
                                 "userId": f"u{pk}", "context": {"groupId": external[pk]}}
                                for n, pk in enumerate(targets)]}
            accepted.append(("events", _post(client, "/api/v1/events/batch", events), sorted(set(targets))))
            seen.poll()
            tick += 1
            time.sleep(max(0.0, started + tick - time.time()))
        sending = time.time() - started
        deadline = time.time() + options["wait"]
        while time.time() < deadline and not _all_covered(accepted, seen):
            time.sleep(0.5)
            seen.poll()
    finally:
        _stop_worker(worker)
        api_key_revoke(key=key)
    result = {"accounts": len(ids), "seconds_sending": round(sending, 1), "batches": len(accepted),
              "debounce_seconds": DEBOUNCE_SECONDS, "load_average": [round(x, 2) for x in os.getloadavg()]}
    for kind in ("usage", "events", "all"):
        lags = _freshness([a for a in accepted if kind in ("all", a[0])], seen)
        covered = lags[~np.isnan(lags)]
        result[kind] = {
            "pairs": int(lags.size), "not_updated": int(np.isnan(lags).sum()),
            "p50": round(float(np.percentile(covered, 50)), 1) if covered.size else None,
            "p95": round(float(np.percentile(covered, 95)), 1) if covered.size else None,
            "max": round(float(covered.max()), 1) if covered.size else None,
        }
        out.write(f"  {kind}: {result[kind]}")
    return result


def _post(client: Client, url: str, body) -> float:
    response = client.post(url, json.dumps(body), content_type="application/json", secure=True)
    if response.status_code != 200:
        raise RuntimeError(f"{url}: HTTP {response.status_code} {response.content[:300]!r}")
    return time.time()


class _Poller:
    """Each account's computations as they become visible: (account, computed at, first seen), read from
    the health snapshots committed since the last poll (what the API's ``computed_at`` shows; the account
    row itself changes only when the score or band does). Recomputes of a tenant run one at a time
    (advisory lock), so snapshot ids grow with commits and an id watermark misses nothing."""

    def __init__(self, tenant_id: int):
        self.tenant_id = tenant_id
        self.after_id = 0
        self.last: dict[int, float] = {}
        self.changes: list[tuple[int, float, float]] = []

    def poll(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT id, account_id, extract(epoch FROM computed_at) FROM {HealthSnapshot._meta.db_table} "
                           "WHERE id > %s AND tenant_id = %s ORDER BY id", [self.after_id, self.tenant_id])
            rows = cursor.fetchall()
        now = time.time()
        for pk, account_id, stamp in rows:
            stamp = float(stamp)
            self.after_id = max(self.after_id, pk)
            if stamp > self.last.get(account_id, 0.0):
                self.last[account_id] = stamp
                self.changes.append((account_id, stamp, now))


def _all_covered(accepted, seen: _Poller) -> bool:
    for _, at, accounts in accepted[-4:]:  # the last batches are the last to be covered
        if any(seen.last.get(pk, 0.0) < at for pk in accounts):
            return False
    return True


def _freshness(accepted, seen: _Poller) -> np.ndarray:
    """Seconds from each (batch, account) acceptance to the first poll showing a computation started at
    or after it (NaN: never seen within the wait)."""
    left = pd.DataFrame([(pk, at) for _, at, accounts in accepted for pk in accounts], columns=["account", "at"])
    right = pd.DataFrame(seen.changes, columns=["account", "computed_at", "seen_at"])
    if left.empty or right.empty:
        return np.full(len(left), np.nan)
    left, right = left.astype({"account": "int64", "at": "float64"}), right.astype(
        {"account": "int64", "computed_at": "float64", "seen_at": "float64"})
    # a later computation is never seen before an earlier one, so the first computation at or after the
    # acceptance is the first one seen
    merged = pd.merge_asof(left.sort_values("at"), right.sort_values("computed_at"), left_on="at",
                           right_on="computed_at", by="account", direction="forward")
    return (merged["seen_at"] - merged["at"]).to_numpy(dtype=float)


def _tenant(count: int, out) -> Tenant:
    slug = f"{SLUG}-{count}"
    tenant = Tenant.objects.filter(slug=slug).first()
    if tenant is None:
        tenant = tenant_create(slug=slug, name="Bench freshness", admin_email=f"admin@{slug}.example",
                               admin_password=None)
        with tenant_context(tenant):
            Account.objects.bulk_create(
                [Account(tenant=tenant, name=f"Fresh account {i:05d}", external_id=f"F-{i:05d}", segment="smb",
                         arr=Decimal(12_000)) for i in range(count)],
                batch_size=5000,
            )
            EventMapping.objects.create(tenant=tenant, event="Feature Used", metric="feature:used")
        out.write(f"Created {slug} with {count:,} accounts")
    return tenant


def _start_worker(out) -> subprocess.Popen:
    log = Path(tempfile.gettempdir()) / f"bench-freshness-worker-{os.getpid()}.log"
    handle = open(log, "ab")  # noqa: SIM115 - closed with the worker
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo", "--concurrency=1",
         "--loglevel=WARNING", "-Q", "health", "--without-gossip", "--without-mingle", f"--hostname=freshness-{os.getpid()}@%h"],
        cwd=settings.BASE_DIR, env=os.environ.copy(), stdout=handle, stderr=subprocess.STDOUT,
    )
    worker.log_handle = handle
    out.write(f"  worker pid {worker.pid} (log {log}), started {datetime.now(UTC):%H:%M:%S} UTC")
    return worker


def _stop_worker(worker: subprocess.Popen) -> None:
    if worker.poll() is None:
        worker.terminate()
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
    worker.log_handle.close()
