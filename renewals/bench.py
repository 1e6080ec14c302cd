"""Retention metrics at scale: `python manage.py bench renewals [--accounts 20000] [--years 3]`.

Seeds a bench tenant once (reused while its size matches, ``--reseed`` to rebuild): ``--accounts``
accounts, each with an opening ``new`` movement and then about one movement a quarter (expansions,
contractions, some churns and reactivations) over ``--years`` years: about 200,000 rows at the defaults,
written with COPY. Then times, over ``--repeats`` runs each (p50 and max), the retention metric of a
12-month window (target < 200 ms) and the 12-month trend (target < 500 ms), through the selectors and
the pure formulas the API uses, with the number of queries each runs; then the daily renewal job (first
run < 5 s, a second run creates 0 rows) and the renewal desk page's p95 (< 150 ms) with its query count, over
accounts whose renewal dates are spread over the next 12 months (``renewals.bench_desk``).
"""

from __future__ import annotations

import io
import random
import statistics
import time
from datetime import date, timedelta
from decimal import Decimal

from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Account
from renewals import bench_desk, ledger_selectors, retention
from renewals.models import ArrMovement
from tenancy.context import tenant_context
from tenancy.models import Tenant

SLUG = "bench-renewals"


def add_arguments(parser) -> None:
    parser.add_argument("--accounts", type=int, default=20_000)
    parser.add_argument("--years", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--reseed", action="store_true", help="Rebuild the bench tenant's ledger")
    parser.add_argument("--requests", type=int, default=40, help="Renewal desk GETs timed")


def ledger_rows(account_ids: list[int], *, today: date, years: int, rng: random.Random):
    """Yield (account_id, date, kind, amount) of a plausible ledger that never goes below 0."""
    span = years * 365
    for account_id in account_ids:
        day = today - timedelta(days=rng.randint(int(span * 0.6), span))
        balance = Decimal(rng.choice([8, 15, 30, 60, 120, 250])) * 1000
        yield account_id, day, "new", balance
        while True:
            day += timedelta(days=rng.randint(60, 120))
            if day > today:
                break
            roll = rng.random()
            if balance == 0:
                if roll < 0.3:
                    balance = Decimal(rng.randint(5, 60)) * 1000
                    yield account_id, day, "reactivation", balance
                continue
            if roll < 0.04:
                yield account_id, day, "churn", balance
                balance = Decimal(0)
            elif roll < 0.55:
                amount = (balance * Decimal(rng.uniform(0.02, 0.25))).quantize(Decimal("1"))
                balance += amount
                yield account_id, day, "expansion", amount
            else:
                amount = (balance * Decimal(rng.uniform(0.01, 0.15))).quantize(Decimal("1"))
                if 0 < amount < balance:
                    balance -= amount
                    yield account_id, day, "contraction", amount


def _seed(tenant: Tenant, *, accounts: int, years: int, out) -> int:
    today = timezone.localdate()
    rng = random.Random(11)
    with transaction.atomic(), tenant_context(tenant):
        ArrMovement.objects.all().delete()
        Account.objects.all().delete()
        out.write(f"seeding {accounts} accounts ...\n")
        Account.objects.bulk_create(
            [Account(tenant=tenant, name=f"Bench {i:06d}", segment="smb") for i in range(accounts)], batch_size=5000
        )
        ids = list(Account.objects.order_by("pk").values_list("pk", flat=True))
        now = timezone.now().isoformat()
        buffer = io.StringIO()
        rows = 0
        for account_id, day, kind, amount in ledger_rows(ids, today=today, years=years, rng=rng):
            buffer.write(f"{tenant.pk}\t{account_id}\t{day}\t{kind}\t{amount}\tseed\t\t{now}\n")
            rows += 1
        buffer.seek(0)
        out.write(f"copying {rows} movements ...\n")
        with connection.cursor() as cursor:
            cursor.copy_expert(
                "COPY renewals_arrmovement (tenant_id, account_id, date, kind, amount, source, ref_type, created_at) "
                "FROM STDIN", buffer,
            )
            # The accounts' ARR is their ledger balance (set-based, as the ledger keeps it).
            cursor.execute(
                """UPDATE accounts_account a SET arr = b.balance FROM (
                       SELECT account_id, SUM(CASE WHEN kind IN ('new', 'expansion', 'reactivation') THEN amount
                                                   ELSE -amount END) AS balance
                       FROM renewals_arrmovement WHERE tenant_id = %s AND date <= %s GROUP BY account_id) b
                   WHERE a.id = b.account_id""",
                [tenant.pk, today],
            )
            cursor.execute("ANALYZE renewals_arrmovement; ANALYZE accounts_account")
    return rows


def _time(fn, repeats: int) -> tuple[dict, int]:
    timings = []
    with CaptureQueriesContext(connection) as queries:
        fn()
    for _ in range(repeats):
        began = time.perf_counter()
        fn()
        timings.append((time.perf_counter() - began) * 1000)
    return {"p50_ms": round(statistics.median(timings), 1), "max_ms": round(max(timings), 1)}, len(queries)


def run(options, out) -> dict:
    tenant, _ = Tenant.objects.get_or_create(slug=SLUG, defaults={"name": "Bench renewals"})
    with tenant_context(tenant):
        have_accounts = Account.objects.count()
        have_rows = ArrMovement.objects.count()
    if options["reseed"] or have_accounts != options["accounts"] or not have_rows:
        began = time.perf_counter()
        have_rows = _seed(tenant, accounts=options["accounts"], years=options["years"], out=out)
        out.write(f"seeded in {time.perf_counter() - began:.1f} s\n")
    else:
        out.write(f"reusing {have_accounts} accounts, {have_rows} movements\n")
    today = timezone.localdate()
    window = retention.trailing_windows(today=today, months=1)[0]

    def metric():
        totals = ledger_selectors.retention_totals(start=window.start, end=window.end)
        return retention.retention(totals)

    def trend():
        return [retention.retention(t) for _, t in ledger_selectors.retention_trend(today=today, months=12)]

    with tenant_context(tenant):
        out.write(f"timing the retention metric {window.start}..{window.end} ...\n")
        metric_timing, metric_queries = _time(metric, options["repeats"])
        out.write(f"  {metric_timing}\n")
        out.write("timing the 12-month trend ...\n")
        trend_timing, trend_queries = _time(trend, options["repeats"])
        out.write(f"  {trend_timing}\n")
        result = metric()
        last = trend()[-1]
    local_today = timezone.localdate(timezone=tenant.tzinfo)
    csms = bench_desk.prepare(tenant, today=local_today)
    out.write("timing the daily renewal job (first run, then a second run the same day) ...\n")
    job = bench_desk.daily_job(tenant, today=local_today)
    out.write(f"  {job}\n")
    out.write(f"timing the renewal desk page ({options['requests']} requests) ...\n")
    desk = bench_desk.desk_timings(tenant, csm_id=csms[0], requests=options["requests"])
    out.write(f"  {desk}\n")
    return {
        "benchmark": "renewals", "accounts": options["accounts"], "movements": have_rows,
        "retention_metric": {**metric_timing, "queries": metric_queries, "target_ms": 200,
                             "nrr": result.nrr, "grr": result.grr, "logo_retention": result.logo_retention},
        "retention_trend_12": {**trend_timing, "queries": trend_queries, "target_ms": 500, "last_nrr": last.nrr},
        "daily_renewal_job": job,
        "renewal_desk": desk,
    }
