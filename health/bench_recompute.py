"""Health recompute at scale: N accounts x D days of 4 usage metrics, one full set-based recompute.

``python manage.py bench health --accounts 20000 --days 90`` seeds a dedicated tenant once
(``bench-health-<accounts>``, reused by later runs; ``--reseed`` rebuilds it) through COPY, then times
full recomputes of every account (sources, scoring, snapshots, account update, risk rules).
"""

from __future__ import annotations

import io
import statistics
import time
from datetime import timedelta
from decimal import Decimal

import numpy as np
import pandas as pd
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import Account
from health.models import UsageRecord
from health.services import recompute_health, usage_load
from tenancy.context import tenant_context
from tenancy.models import Role, Tenant
from tenancy.services import member_add, tenant_create

METRICS = ("active_users", "licensed_seats", "logins", "api_calls")
DECLINING_SHARE = 0.05
DAYS_PER_COPY = 5


def add_arguments(parser) -> None:
    parser.add_argument("--accounts", type=int, default=20000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--runs", type=int, default=3, help="Timed recomputes (the median is reported)")
    parser.add_argument("--reseed", action="store_true", help="Rebuild the bench tenant's data")
    parser.add_argument("--seed", type=int, default=2026)


def run(options, out) -> dict:
    accounts, days = options["accounts"], options["days"]
    slug = f"bench-health-{accounts}"
    tenant = Tenant.objects.filter(slug=slug).first()
    seeded = tenant is not None and (tenant.settings or {}).get("bench") == {"accounts": accounts, "days": days}
    if tenant is not None and (options["reseed"] or not seeded):
        out.write(f"Deleting the old {slug} tenant...")
        tenant.delete()
        tenant = None
    if tenant is None:
        tenant = _seed(slug, accounts, days, options["seed"], out)
    else:
        out.write(f"Reusing {slug} (use --reseed to rebuild it)")
    with tenant_context(tenant):
        usage_rows = UsageRecord.objects.count()
        seconds, details = [], []
        for n in range(1, options["runs"] + 1):
            outcome = recompute_health(tenant=tenant)
            seconds.append(outcome.seconds)
            steps = _steps(outcome.timings)
            details.append(steps)
            out.write(f"  run {n}: {outcome.accounts:,} accounts in {outcome.seconds:.2f}s "
                      f"({', '.join(f'{k} {v:.2f}s' for k, v in steps.items())}); "
                      f"risks opened {outcome.risks_opened}, closed {outcome.risks_closed}")
    return {"accounts": outcome.accounts, "usage_rows": usage_rows, "seconds": round(statistics.median(seconds), 2),
            "runs": [round(s, 2) for s in seconds], "steps_last_run": details[-1]}


def _steps(cumulative: dict[str, float]) -> dict[str, float]:
    """Cumulative checkpoints to per-step durations."""
    steps, previous = {}, 0.0
    for name, at in cumulative.items():
        steps[name] = round(at - previous, 2)
        previous = at
    return steps


def _seed(slug: str, count: int, days: int, seed: int, out) -> Tenant:
    started = time.monotonic()
    rng = np.random.default_rng(seed)
    with transaction.atomic():
        tenant = tenant_create(slug=slug, name=f"Bench health {count:,}", admin_email=f"admin@{slug}.example",
                               admin_password=None, settings={"competitors": ["Rival"]})
        with tenant_context(tenant):
            csms = [member_add(tenant=tenant, email=f"csm{i}@{slug}.example", role=Role.CSM).user for i in range(20)]
            arr = rng.integers(5, 300, size=count) * 1000
            Account.objects.bulk_create(
                [Account(tenant=tenant, name=f"Bench account {i:06d}", external_id=f"B-{i:06d}", arr=Decimal(int(arr[i])),
                         segment="enterprise" if arr[i] >= 100000 else "mid_market" if arr[i] >= 25000 else "smb",
                         csm=csms[i % len(csms)], customer_since=timezone.localdate() - timedelta(days=400))
                 for i in range(count)],
                batch_size=5000,
            )
            ids = np.array(Account.objects.order_by("pk").values_list("pk", flat=True), dtype=np.int64)
            out.write(f"  {count:,} accounts in {time.monotonic() - started:.1f}s")
            rows = _copy_usage(tenant, ids, days, rng, out)
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM ANALYZE {UsageRecord._meta.db_table}")
    tenant.settings = {**tenant.settings, "bench": {"accounts": count, "days": days}}
    tenant.save(update_fields=["settings"])
    out.write(f"Seeded {slug}: {count:,} accounts, {rows:,} usage rows in {time.monotonic() - started:.1f}s")
    return tenant


def _copy_usage(tenant: Tenant, ids: np.ndarray, days: int, rng: np.random.Generator, out) -> int:
    """Day by day (the order integrations push in), 4 metrics per account, through COPY."""
    count = len(ids)
    today = timezone.localdate(timezone=tenant.tzinfo)
    seats = rng.integers(5, 400, size=count)
    utilisation = rng.uniform(0.3, 0.95, size=count)
    declining = rng.random(count) < DECLINING_SHARE
    logins_per_user, api_per_user = rng.uniform(1, 3, size=count), rng.uniform(5, 60, size=count)
    rows = 0
    for chunk_start in range(0, days, DAYS_PER_COPY):
        frames = []
        for offset in range(chunk_start, min(days, chunk_start + DAYS_PER_COPY)):
            day = today - timedelta(days=days - offset)
            remaining = days - offset
            factor = np.where(declining & (remaining <= 30), 0.55, 1.0) * (1.0 if day.weekday() < 5 else 0.4)
            active = np.rint(seats * utilisation * factor * rng.uniform(0.9, 1.1, size=count))
            values = {
                "active_users": active, "licensed_seats": seats.astype(float),
                "logins": np.rint(active * logins_per_user), "api_calls": np.rint(active * api_per_user),
            }
            for metric in METRICS:
                frames.append(pd.DataFrame({"tenant_id": tenant.pk, "account_id": ids, "metric": metric,
                                            "date": day.isoformat(), "value": values[metric]}))
        frame = pd.concat(frames, ignore_index=True)
        buffer = io.StringIO()
        frame.to_csv(buffer, sep="\t", header=False, index=False, float_format="%.0f")
        buffer.seek(0)
        usage_load(stream=buffer)
        rows += len(frame)
        out.write(f"  usage: {rows:,} rows ({min(days, chunk_start + DAYS_PER_COPY)}/{days} days)")
    return rows
