"""The scorecard dry run at scale: `python manage.py bench scorecard-dry-run [--accounts 20000] [--days 92]`.

Seeds a bench tenant once (reused while its size matches, ``--reseed`` to rebuild) on the default scorecard:
``--accounts`` accounts, one health snapshot per account and day over ``--days`` days with every measure's raw
value stored as a recompute stores it (server-side ``INSERT ... SELECT``: a per-account wave plus noise), and
one closed renewal per account recorded in the last two days (early: the contract ends next month), so every
outcome has its snapshot 90 days before. Then it
times the dry run of a proposed card (new component weights, a higher green band) over all of it, ``--repeats``
times: the latest snapshot of every account at 7 instants over 90 days, the renewal outcomes with theirs, the
replay, the figures (target: a few seconds at 20,000 accounts x 90 days).
"""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime, timedelta

from django.db import connection
from django.utils import timezone

from accounts.models import Account
from dashboards.bench import _timed
from dashboards.dry_run_selectors import scorecard_dry_run
from health.scorecard import default_scorecard, validate_scorecard
from tenancy.context import tenant_context
from tenancy.models import Tenant

SLUG = "bench-dry-run"

# The default card's measures, each raw value a function of the day's level ``s`` (0-100) plus noise.
_MEASURES = """jsonb_build_object(
  'usage', jsonb_build_object(
     'seat_utilisation', jsonb_build_array(round((s / 100 * 0.9 + 0.1 * random())::numeric, 3), null),
     'usage_trend', jsonb_build_array(round(((s - 50) / 2 + 10 * random() - 5)::numeric, 2), null),
     'feature_adoption', jsonb_build_array(round((s / 15 + random())::numeric, 1), null)),
  'engagement', jsonb_build_object(
     'days_since_last_touch', jsonb_build_array(round((100 - s) / 2 + 10 * random()), null),
     'meetings', jsonb_build_array(floor(s / 30 + random()), null)),
  'relationship', jsonb_build_object(
     'champion_present', jsonb_build_array(CASE WHEN random() * 100 < s THEN 1 ELSE 0 END, null),
     'executive_sponsor', jsonb_build_array(CASE WHEN random() * 120 < s THEN 1 ELSE 0 END, null),
     'csm_sentiment', jsonb_build_array(CASE WHEN random() < 0.5 THEN null ELSE greatest(1, least(5, round(s / 20))) END, null)))"""


def add_arguments(parser) -> None:
    parser.add_argument("--accounts", type=int, default=20_000)
    parser.add_argument("--days", type=int, default=92, help="Days of daily snapshots (90 and the look-back)")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--reseed", action="store_true")


def _seed(tenant, options, out) -> None:
    rng = random.Random(2026)
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    with connection.cursor() as cursor:
        for table in ("renewals_renewal", "health_healthsnapshot", "accounts_account"):
            cursor.execute(f"DELETE FROM {table} WHERE tenant_id = %s", [tenant.pk])
    Account.all_tenants.bulk_create([
        Account(tenant=tenant, name=f"Dry-run account {i:05d}", arr=rng.randint(5, 400) * 1000)
        for i in range(options["accounts"])
    ], batch_size=5000)
    started = time.monotonic()
    wave = "LEAST(100, GREATEST(0, 35 + (a.id * 7919 %% 55) + 25 * sin(d / 40.0 + (a.id %% 97)) + 10 * random() - 5))"
    with connection.cursor() as cursor:
        cursor.execute(f"""
            INSERT INTO health_healthsnapshot (tenant_id, account_id, computed_at, score, status, components, measures,
                                               scorecard_version)
            SELECT %(t)s, a.id, %(now)s - make_interval(days => d), round(s::numeric, 1),
                   CASE WHEN s >= 80 THEN 'green' WHEN s >= 60 THEN 'yellow' ELSE 'red' END, '[]', {_MEASURES}, 0
            FROM accounts_account a CROSS JOIN generate_series(0, %(days)s - 1) AS d
            CROSS JOIN LATERAL (SELECT {wave}::float8 AS s) v
            WHERE a.tenant_id = %(t)s""", {"t": tenant.pk, "now": now, "days": options["days"]})
        out.write(f"  {cursor.rowcount:,} snapshots ({time.monotonic() - started:.0f}s)\n")
        cursor.execute("""
            INSERT INTO renewals_renewal (tenant_id, account_id, contract_end, arr, stage, forecast, forecast_reason,
                                          outcome, renewed_arr, churn_reason, closed_at, created_at)
            SELECT %(t)s, a.id, %(now)s::date + 30, a.arr, 'closed', 'probable', '',
                   (ARRAY['renewed', 'renewed', 'renewed', 'expanded', 'downgraded', 'churned'])[1 + a.id %% 6],
                   a.arr, '', %(now)s - make_interval(days => (a.id %% 2)::int), %(now)s
            FROM accounts_account a WHERE a.tenant_id = %(t)s""", {"t": tenant.pk, "now": now})
        for table in ("accounts_account", "health_healthsnapshot", "renewals_renewal"):
            cursor.execute(f"VACUUM ANALYZE {table}")
    settings = dict(tenant.settings or {})
    settings["bench_size"] = [options["accounts"], options["days"]]
    tenant.settings = settings
    tenant.save(update_fields=["settings"])


def proposed_card() -> dict:
    card = default_scorecard()
    for comp, weight in zip(card["components"], (40, 35, 25), strict=True):
        comp["weight"] = weight
    card["bands"][0]["min_score"] = 75
    return validate_scorecard(card)


def run(options, out) -> dict:
    tenant, _ = Tenant.objects.get_or_create(slug=SLUG, defaults={"name": "Bench dry run", "timezone": "UTC"})
    size = [options["accounts"], options["days"]]
    if options["reseed"] or (tenant.settings or {}).get("bench_size") != size:
        out.write(f"seeding {size[0]:,} accounts x {size[1]} days of snapshots...\n")
        _seed(tenant, options, out)
    else:
        out.write("reusing the seeded bench tenant\n")
    card = proposed_card()
    with tenant_context(tenant):
        timing = _timed(lambda: scorecard_dry_run(proposed=card), options["repeats"])
        page = scorecard_dry_run(proposed=card)
    r = page.result
    out.write(f"dry run: {timing}; {r.changed:,} of {r.compared:,} accounts change band; AUC "
              f"{r.validation_old.auc} -> {r.validation_new.auc}\n")
    return {"benchmark": "scorecard-dry-run", "accounts": size[0], "days": size[1], "at": timezone.now().isoformat(),
            "dry_run": {**timing, "target_ms": 3000}, "compared": r.compared, "changed": r.changed,
            "distribution_points": len(r.distribution), "outcomes": r.validation_new.total,
            "auc_current": r.validation_old.auc, "auc_proposed": r.validation_new.auc,
            "snapshots_read": sum(row.accounts for row in r.distribution) + r.validation_new.scored,
            "history_days_read": (max(row.at for row in r.distribution) - min(row.at for row in r.distribution))
            // timedelta(days=1)}
