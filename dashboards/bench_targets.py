"""KPI targets at scale: `python manage.py bench kpi-targets [--accounts 20000] [--days 90] [--features 6]`.

Seeds a bench tenant once (reused while its size matches, ``--reseed`` to rebuild): ``--accounts`` active
accounts with a current health and an ARR ledger (a "new" movement two years ago, some churn and expansion this
year), ``--days`` days of usage per account (``active_users`` and each of ``--features`` ``feature:*`` metrics
used on about 60% of days, server-side ``INSERT ... SELECT``), NPS and CSAT answers, and one target on every KPI
of the catalogue. Then it times the daily feature-adoption materialisation (``dashboards.kpi_refresh``) and
the targets panel the portfolio page adds (every actual of the catalogue, p50/p95, its query count).
"""

from __future__ import annotations

import random
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Account
from core.benchmarking import percentiles
from dashboards import kpi_catalogue, kpi_selectors
from dashboards.kpi_refresh import refresh_feature_adoption
from dashboards.models import KpiTarget
from dashboards.refresh import refresh_all
from renewals.renewal_selectors import tenant_today
from tenancy.context import tenant_context
from tenancy.models import Tenant

SLUG = "bench-kpi-targets"


def add_arguments(parser) -> None:
    parser.add_argument("--accounts", type=int, default=20_000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--features", type=int, default=6)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--reseed", action="store_true")


def _seed(tenant, options, out) -> None:
    rng = random.Random(2026)
    started = time.monotonic()
    with connection.cursor() as cursor:
        for table in ("health_usage", "renewals_arrmovement", "advocacy_surveyresponse", "dashboards_kpitarget",
                      "dashboards_featureadoptionday", "dashboards_portfolioday", "accounts_account"):
            cursor.execute(f"DELETE FROM {table} WHERE tenant_id = %s", [tenant.pk])
    bands = (("green", 85), ("yellow", 70), ("red", 40))
    Account.all_tenants.bulk_create([
        Account(tenant=tenant, name=f"Bench account {i:05d}", segment="mid_market", arr=Decimal(50_000),
                health_status=band, health_score=Decimal(score))
        for i, (band, score) in enumerate(rng.choice(bands) for _ in range(options["accounts"]))
    ], batch_size=5000)
    today = date.today()
    with connection.cursor() as cursor:
        cursor.execute("""
            INSERT INTO renewals_arrmovement (tenant_id, account_id, date, kind, amount, source, ref_type, created_at)
            SELECT %(t)s, a.id, %(start)s, 'new', 50000, 'import', '', now() FROM accounts_account a WHERE a.tenant_id = %(t)s
            UNION ALL
            SELECT %(t)s, a.id, %(recent)s, CASE WHEN a.id %% 3 = 0 THEN 'expansion' ELSE 'contraction' END, 5000,
                   'import', '', now()
            FROM accounts_account a WHERE a.tenant_id = %(t)s AND a.id %% 5 = 0""",
                       {"t": tenant.pk, "start": today - timedelta(days=730), "recent": today - timedelta(days=60)})
        cursor.execute("""
            INSERT INTO health_usage (tenant_id, account_id, metric, date, value)
            SELECT %(t)s, a.id, m.metric, %(today)s - d, 1 + (a.id + d) %% 17
            FROM accounts_account a CROSS JOIN generate_series(0, %(days)s - 1) AS d
            CROSS JOIN (SELECT 'active_users' AS metric, 0 AS n UNION ALL
                        SELECT 'feature:f' || f, f FROM generate_series(1, %(features)s) AS f) m
            WHERE a.tenant_id = %(t)s AND (m.n = 0 OR (a.id * 31 + d * 7 + m.n * 13) %% 10 < 6)""",
                       {"t": tenant.pk, "today": today, "days": options["days"], "features": options["features"]})
        out.write(f"  {cursor.rowcount:,} usage rows ({time.monotonic() - started:.0f}s)\n")
        cursor.execute("""
            INSERT INTO advocacy_surveyresponse (tenant_id, account_id, kind, score, comment, responded_at, created_at)
            SELECT %(t)s, a.id, k.kind, CASE WHEN k.kind = 'nps' THEN a.id %% 11 ELSE 1 + a.id %% 5 END, '',
                   now() - make_interval(days => (a.id %% 80)::int), now()
            FROM accounts_account a CROSS JOIN (VALUES ('nps'), ('csat')) AS k(kind) WHERE a.tenant_id = %(t)s""",
                       {"t": tenant.pk})
    with connection.cursor() as cursor:
        for table in ("health_usage", "accounts_account", "renewals_arrmovement", "advocacy_surveyresponse"):
            cursor.execute(f"VACUUM ANALYZE {table}")
    with tenant_context(tenant):
        KpiTarget.objects.bulk_create([KpiTarget(tenant=tenant, metric=k.key, comparator=k.comparator.value,
                                                 target=max(k.low, Decimal(1))) for k in kpi_catalogue.KPIS])
    tenant.settings = {**(tenant.settings or {}), "bench_size": [options["accounts"], options["days"],
                                                                 options["features"]]}
    tenant.save(update_fields=["settings"])
    out.write(f"  seeded ({time.monotonic() - started:.0f}s)\n")


def run(options, out) -> dict:
    tenant, _ = Tenant.objects.get_or_create(slug=SLUG, defaults={"name": "Bench KPI targets", "timezone": "UTC"})
    size = [options["accounts"], options["days"], options["features"]]
    if options["reseed"] or (tenant.settings or {}).get("bench_size") != size:
        out.write(f"seeding {size[0]:,} accounts, {size[1]} days of usage, {size[2]} features...\n")
        _seed(tenant, options, out)
    else:
        out.write("reusing the seeded bench tenant\n")
    with tenant_context(tenant):
        refresh_all(tenant=tenant, full=True)
        refreshes = []
        for _ in range(options["repeats"]):
            began = time.perf_counter()
            refresh_feature_adoption(tenant=tenant, now=datetime.now(UTC), force=True)
            refreshes.append((time.perf_counter() - began) * 1000)
        skipped = refresh_feature_adoption(tenant=tenant)  # the 5-minute runs after the day's first: no scan
        refresh_p50, refresh_p95 = percentiles(refreshes)
        out.write(f"feature adoption refresh: p50 {refresh_p50} ms, p95 {refresh_p95} ms; later runs "
                  f"{skipped['seconds'] * 1000:.1f} ms\n")
        today = tenant_today()
        panel = kpi_selectors.targets_panel(today=today)
        samples = []
        for _ in range(options["requests"]):
            began = time.perf_counter()
            kpi_selectors.targets_panel(today=today)
            samples.append((time.perf_counter() - began) * 1000)
        with CaptureQueriesContext(connection) as captured:
            kpi_selectors.targets_panel(today=today)
    p50, p95 = percentiles(samples)
    out.write(f"targets panel ({len(panel['rows'])} targets): p50 {p50} ms, p95 {p95} ms, {len(captured)} queries\n")
    return {
        "benchmark": "kpi-targets", "accounts": size[0], "usage_days": size[1], "features": size[2],
        "at": timezone.now().isoformat(),
        "feature_adoption_refresh": {"p50_ms": refresh_p50, "p95_ms": refresh_p95,
                                     "later_runs_ms": round(skipped["seconds"] * 1000, 1)},
        "targets_panel": {"targets": len(panel["rows"]), "p50_ms": p50, "p95_ms": p95, "queries": len(captured),
                          "actuals": {r["kpi"].key: r["actual_text"] for r in panel["rows"]}},
    }
