"""Dashboards at scale: `python manage.py bench dashboards [--accounts 20000] [--tickets 1000000]
[--snapshot-days 400] [--ledger-years 3]`.

Seeds a bench tenant once (reused while its size matches, ``--reseed`` to rebuild): ``--accounts`` accounts
in three segments with CSMs and a current health; an ARR ledger (the renewals bench's: about ten movements an
account over ``--ledger-years`` years, 200,000 at the defaults); ``--tickets`` tickets (``--open`` unresolved)
written with COPY by the ticket bench's row generator; one health snapshot per account and day over
``--snapshot-days`` days (server-side ``INSERT ... SELECT``: a per-account wave plus noise), and one closed
renewal per account whose outcome correlates, imperfectly, with the score 90 days before it. Then it times:

* one tenant's aggregate refresh (target < 10 s): the first ever (no aggregate rows at all: it also fills the
  30 most recent days of portfolio history from the snapshots; the next runs fill the rest), then, once the
  history is complete, the 5-minute run (today's portfolio, the last 2 days of support, the retention) and the
  full run (the first of each day and on demand: 90 days of support), ``--repeats`` runs each, and each part;
  then the refresh task's last step, the Targets panel's stored actuals (``dashboards.kpi_refresh``);
* every dashboard page through Django's test client, with the KPI targets of every handbook (each KPI any
  handbook sets a target on, ``dashboards.seed``: every source of the portfolio's Targets panel), p50/p95 over ``--requests`` requests (target p95
  < 150 ms) and its query count: the portfolio (unfiltered, by segment, by segment and CSM), the biggest
  CSM's book, support, score validation and the retention report;
* score validation over every renewal outcome and the snapshot history (target < 3 s), p50/p95.

The output ends with the load average: the machine may be shared, so run it twice and compare.
"""

from __future__ import annotations

import io
import os
import random
import time
from datetime import UTC, datetime, timedelta

from django.db import connection
from django.db.models import Count
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Account
from advocacy.models import Survey, SurveyKind, SurveyPurpose
from core.benchmarking import percentiles, plain_static_files
from dashboards.kpi_refresh import refresh_kpi_actuals
from dashboards.kpi_services import kpi_targets_seed
from dashboards.models import KpiTarget
from dashboards.refresh import PORTFOLIO_HISTORY_DAYS, refresh_all, refresh_portfolio, refresh_support
from dashboards.seed import HANDBOOK_TARGETS
from dashboards.validation_selectors import score_validation
from renewals.bench import ledger_rows
from renewals.models import ArrMovement
from renewals.retention_refresh import refresh_retention
from tenancy.context import tenant_context
from tenancy.models import Membership, Role, Tenant, User
from tickets.bench import COLUMNS as TICKET_COLUMNS
from tickets.bench import ENGINEERS, _openings, _row

SLUG = "bench-dashboards"
SEGMENTS = ("enterprise", "mid_market", "smb")
CSMS = 20


def add_arguments(parser) -> None:
    parser.add_argument("--accounts", type=int, default=20_000)
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--open", type=int, default=50_000)
    parser.add_argument("--snapshot-days", type=int, default=400)
    parser.add_argument("--ledger-years", type=int, default=3,
                        help="Years of ARR movements per account (about 10 a account at 3: 200,000 at 20,000 accounts)")
    parser.add_argument("--requests", type=int, default=60, help="Timed requests of the support page")
    parser.add_argument("--repeats", type=int, default=5, help="Timed runs of the refresh and of score validation")
    parser.add_argument("--reseed", action="store_true", help="Rebuild the bench tenant's data")


def _people(tenant, role: str, prefix: str, count: int) -> list[int]:
    ids = []
    for i in range(count):
        user, _ = User.objects.get_or_create(email=f"{prefix}{i}@{SLUG}.example", defaults={"full_name": f"{prefix} {i}"})
        Membership.all_tenants.get_or_create(tenant=tenant, user=user, defaults={"role": role})
        ids.append(user.pk)
    return ids


def _seed_csat(cursor, tenant, now) -> None:
    """A CSAT answer (1-5) about one in five tickets resolved in the last 90 days, with its send (occasion
    ``ticket:<id>``): what the support refresh files under each engineer. The ticket id rides in the answer's
    comment only to pair each answer with its send here."""
    survey = Survey.all_tenants.create(
        tenant=tenant, name="CSAT after a ticket", kind=SurveyKind.CSAT, purpose=SurveyPurpose.CSAT_TICKET,
        automatic=True, question="How satisfied are you?", email_subject="How did we do?", email_body="Tell us.")
    cursor.execute("""
        INSERT INTO advocacy_surveyresponse (tenant_id, account_id, kind, score, comment, responded_at, created_at)
        SELECT %(t)s, tk.account_id, 'csat', 1 + (tk.id * 7 %% 5), tk.id::text, tk.resolved_at + interval '1 hour', %(now)s
        FROM tickets_ticket tk
        WHERE tk.tenant_id = %(t)s AND tk.resolved_at >= %(now)s - interval '90 days' AND tk.id %% 5 = 0""",
                   {"t": tenant.pk, "now": now})
    cursor.execute("""
        INSERT INTO advocacy_surveysend (tenant_id, survey_id, account_id, email, purpose, occasion, token_id, status,
                                         skip_reason, error, sent_at, responded_at, response_id, created_at)
        SELECT %(t)s, %(survey)s, r.account_id, 'contact' || r.id || '@bench.example', 'csat_ticket',
               'ticket:' || r.comment, gen_random_uuid(), 'sent', '', '', r.responded_at, r.responded_at, r.id, %(now)s
        FROM advocacy_surveyresponse r WHERE r.tenant_id = %(t)s AND r.kind = 'csat'""",
                   {"t": tenant.pk, "survey": survey.pk, "now": now})


def _seed_ledger(tenant, accounts: list[int], *, years: int, rng: random.Random) -> int:
    """The renewals bench's ledger (expansions, contractions, churns, reactivations over ``years`` years) with
    COPY; each account's ARR becomes its balance today."""
    today = timezone.now().date()
    created = timezone.now().isoformat()
    buffer, rows = io.StringIO(), 0
    for account_id, day, kind, amount in ledger_rows(accounts, today=today, years=years, rng=rng):
        buffer.write(f"{tenant.pk}\t{account_id}\t{day}\t{kind}\t{amount}\tseed\t\t{created}\n")
        rows += 1
    buffer.seek(0)
    with connection.cursor() as cursor:
        cursor.copy_expert("COPY renewals_arrmovement (tenant_id, account_id, date, kind, amount, source, ref_type, "
                           "created_at) FROM STDIN", buffer)
        cursor.execute("""
            UPDATE accounts_account a SET arr = b.balance FROM (
                SELECT account_id, sum(CASE WHEN kind IN ('new', 'expansion', 'reactivation') THEN amount
                                            ELSE -amount END) AS balance
                FROM renewals_arrmovement WHERE tenant_id = %s AND date <= %s GROUP BY account_id) b
            WHERE a.id = b.account_id""", [tenant.pk, today])
    return rows


def _seed(tenant, options, out) -> None:
    rng = random.Random(2026)
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    with connection.cursor() as cursor:
        for table in ("dashboards_supportday", "dashboards_supporttopaccount", "dashboards_portfolioday",
                      "dashboards_dashboardrefresh", "renewals_renewal", "renewals_arrmovement", "health_healthsnapshot",
                      "advocacy_surveysend", "advocacy_surveyresponse", "advocacy_survey", "tickets_ticket",
                      "accounts_account"):
            cursor.execute(f"DELETE FROM {table} WHERE tenant_id = %s", [tenant.pk])
    csms = _people(tenant, Role.CSM, "csm", CSMS)
    engineers = _people(tenant, Role.SUPPORT_ENGINEER, "engineer", ENGINEERS)
    started = time.monotonic()
    Account.all_tenants.bulk_create([
        Account(tenant=tenant, name=f"Bench account {i:05d}", segment=rng.choice(SEGMENTS), arr=rng.randint(5, 400) * 1000,
                csm_id=rng.choice(csms), created_at=now - timedelta(days=options["snapshot_days"] + 30))
        for i in range(options["accounts"])
    ], batch_size=5000)
    accounts = list(Account.all_tenants.filter(tenant=tenant).values_list("pk", flat=True))
    out.write(f"  {len(accounts):,} accounts ({time.monotonic() - started:.0f}s)\n")
    movements = _seed_ledger(tenant, accounts, years=options["ledger_years"], rng=rng)
    out.write(f"  {movements:,} ARR movements ({time.monotonic() - started:.0f}s)\n")
    openings = _openings(options["tickets"], options["open"], now, rng)
    with connection.cursor() as cursor:
        chunk = 100_000
        for low in range(1, options["tickets"] + 1, chunk):
            buffer = io.StringIO()
            for number in range(low, min(options["tickets"] + 1, low + chunk)):
                opened, is_open = openings[number - 1]
                buffer.write(_row(number, opened=opened, unresolved=is_open, ref=now, rng=rng, tenant_id=tenant.pk,
                                  accounts=accounts, engineers=engineers))
            buffer.seek(0)
            cursor.copy_expert(f"COPY tickets_ticket ({', '.join(TICKET_COLUMNS)}) FROM STDIN", buffer)
        out.write(f"  {options['tickets']:,} tickets ({time.monotonic() - started:.0f}s)\n")
        cursor.execute("UPDATE tickets_ticketnumbersequence SET last_number = %s WHERE tenant_id = %s",
                       [options["tickets"], tenant.pk])
        _seed_csat(cursor, tenant, now)
        out.write(f"  {cursor.rowcount:,} CSAT answers about tickets ({time.monotonic() - started:.0f}s)\n")
        # The score of account a on day d: a base per account, a slow wave, noise; the band as the default card.
        wave = "LEAST(100, GREATEST(0, 35 + (a.id * 7919 %% 55) + 25 * sin(d / 40.0 + (a.id %% 97))))"
        cursor.execute(f"""
            INSERT INTO health_healthsnapshot (tenant_id, account_id, computed_at, score, status, components, measures,
                                               scorecard_version)
            SELECT %(t)s, a.id, %(now)s - make_interval(days => d), round(s::numeric, 1),
                   CASE WHEN s >= 80 THEN 'green' WHEN s >= 60 THEN 'yellow' ELSE 'red' END, '[]', '{{}}', 1
            FROM accounts_account a CROSS JOIN generate_series(0, %(days)s - 1) AS d
            CROSS JOIN LATERAL (SELECT LEAST(100, GREATEST(0, {wave} + 10 * random() - 5)) AS s) v
            WHERE a.tenant_id = %(t)s""", {"t": tenant.pk, "now": now, "days": options["snapshot_days"]})
        out.write(f"  {cursor.rowcount:,} snapshots ({time.monotonic() - started:.0f}s)\n")
        cursor.execute("""
            UPDATE accounts_account a SET health_score = hs.score, health_status = hs.status, health_computed_at = %(now)s
            FROM health_healthsnapshot hs
            WHERE a.tenant_id = %(t)s AND hs.tenant_id = %(t)s AND hs.account_id = a.id AND hs.computed_at = %(now)s""",
                       {"t": tenant.pk, "now": now})
        # One closed renewal per account, 1..(snapshot days - 92) days ago; lost with a probability that falls
        # with the score 90 days before (the wave without its noise), so the score predicts, imperfectly.
        cursor.execute(f"""
            INSERT INTO renewals_renewal (tenant_id, account_id, contract_end, arr, stage, forecast, forecast_reason,
                                          outcome, renewed_arr, churn_reason, closed_at, created_at)
            SELECT %(t)s, a.id, e.day, a.arr, 'closed', 'probable', '',
                   CASE WHEN random() < 0.05 + 0.5 * (100 - {wave}) / 100
                        THEN (CASE WHEN random() < 0.7 THEN 'churned' ELSE 'downgraded' END)
                        ELSE (CASE WHEN random() < 0.8 THEN 'renewed' ELSE 'expanded' END) END,
                   a.arr, '', e.day::timestamptz, %(now)s
            FROM accounts_account a
            CROSS JOIN LATERAL (SELECT (%(now)s::date - (1 + a.id * 31 %% GREATEST(1, %(days)s - 92))::int) AS day) e
            CROSS JOIN LATERAL (SELECT (%(now)s::date - e.day) + 90 AS d) back
            WHERE a.tenant_id = %(t)s""",
                       {"t": tenant.pk, "now": now, "days": options["snapshot_days"]})
        out.write(f"  {cursor.rowcount:,} renewal outcomes ({time.monotonic() - started:.0f}s)\n")
    with connection.cursor() as cursor:
        for table in ("accounts_account", "tickets_ticket", "health_healthsnapshot", "renewals_renewal",
                      "renewals_arrmovement", "advocacy_survey", "advocacy_surveyresponse", "advocacy_surveysend"):
            cursor.execute(f"VACUUM ANALYZE {table}")
    settings = dict(tenant.settings or {})
    settings["bench_size"] = [options["accounts"], options["tickets"], options["snapshot_days"], options["ledger_years"]]
    tenant.settings = settings
    tenant.save(update_fields=["settings"])


def handbook_targets() -> list[dict]:
    """One target on each KPI any handbook sets one on (the first handbook's figure)."""
    targets: dict[str, dict] = {}
    for handbook in HANDBOOK_TARGETS.values():
        for target in handbook:
            targets.setdefault(target["metric"], target)
    return list(targets.values())


def _timed(fn, repeats: int) -> dict:
    samples = []
    for _ in range(repeats):
        began = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - began) * 1000)
    p50, p95 = percentiles(samples)
    return {"p50_ms": p50, "p95_ms": p95}


def _pages(tenant) -> dict[str, tuple[int, str]]:
    """Each dashboard page to time: (the user who opens it, its URL). The VP is an admin; the CSM with the
    biggest book opens hers."""
    vp = _people(tenant, Role.ADMIN, "vp", 1)[0]
    csm = (Account.all_tenants.filter(tenant=tenant, csm__isnull=False).values("csm_id")
           .annotate(n=Count("id")).order_by("-n", "csm_id").values_list("csm_id", flat=True).first())
    return {
        "portfolio": (vp, "/dashboards/portfolio/"),
        "portfolio_segment": (vp, f"/dashboards/portfolio/?segment={SEGMENTS[0]}"),
        "portfolio_csm": (vp, f"/dashboards/portfolio/?segment={SEGMENTS[1]}&csm={csm}"),
        "my_book": (csm, "/dashboards/my-book/"),
        "support": (vp, "/dashboards/support/?period=30"),
        "score_validation": (vp, "/dashboards/score-validation/"),
        "retention_report": (vp, "/renewals/retention/"),
    }


def _page_timings(tenant, requests: int) -> dict:
    """p50/p95 over ``requests`` GETs of each page (after one warm-up) and the queries of one more."""
    results = {}
    with plain_static_files():
        for name, (user_id, url) in _pages(tenant).items():
            client = Client()
            client.force_login(User.objects.get(pk=user_id))
            if client.get(url, secure=True).status_code != 200:
                raise RuntimeError(f"{url} answered an error before the bench")
            samples = []
            for _ in range(requests):
                began = time.perf_counter()
                response = client.get(url, secure=True)
                samples.append((time.perf_counter() - began) * 1000)
                if response.status_code != 200:
                    raise RuntimeError(f"{url} answered {response.status_code} during the bench")
            with CaptureQueriesContext(connection) as captured:
                client.get(url, secure=True)
            p50, p95 = percentiles(samples)
            results[name] = {"p50_ms": p50, "p95_ms": p95, "queries": len(captured)}
    return results


def _forget_aggregates(tenant) -> None:
    """Every materialised row of the tenant: the next refresh is its first ever."""
    with connection.cursor() as cursor:
        for table in ("dashboards_supportday", "dashboards_supportperiod", "dashboards_supporttopaccount",
                      "dashboards_portfolioday", "dashboards_dashboardrefresh", "dashboards_outcomeobservation",
                      "renewals_retentionwindowtotals", "renewals_ledgermonth", "renewals_retentionrefresh"):
            cursor.execute(f"DELETE FROM {table} WHERE tenant_id = %s", [tenant.pk])


def run(options, out) -> dict:
    tenant, _ = Tenant.objects.get_or_create(slug=SLUG, defaults={"name": "Bench dashboards", "timezone": "UTC"})
    size = [options["accounts"], options["tickets"], options["snapshot_days"], options["ledger_years"]]
    if options["reseed"] or (tenant.settings or {}).get("bench_size") != size:
        out.write(f"seeding {size[0]:,} accounts, {size[1]:,} tickets, {size[2]} days of snapshots...\n")
        began = time.perf_counter()
        _seed(tenant, options, out)
        out.write(f"seeded in {time.perf_counter() - began:.0f}s\n")
    else:
        out.write("reusing the seeded bench tenant\n")
    with tenant_context(tenant):
        kpi_targets_seed(targets=handbook_targets())  # idempotent
        targets = KpiTarget.objects.count()
        _forget_aggregates(tenant)
        began = time.perf_counter()
        first = refresh_all(tenant=tenant, full=True)
        first_seconds = time.perf_counter() - began
        out.write(f"first-ever refresh (today's figures; the portfolio history follows in the next runs): {first_seconds:.2f}s {first}\n")
        refresh_portfolio(tenant=tenant, backfill_days=PORTFOLIO_HISTORY_DAYS)  # the rest of the history, untimed
        steady = _timed(lambda: refresh_all(tenant=tenant), options["repeats"])  # the 5-minute run: the last days
        full = _timed(lambda: refresh_all(tenant=tenant, full=True), options["repeats"])  # daily and on demand
        support = _timed(lambda: refresh_support(tenant=tenant), options["repeats"])
        portfolio = _timed(lambda: refresh_portfolio(tenant=tenant), options["repeats"])
        retention = _timed(lambda: refresh_retention(tenant=tenant), options["repeats"])
        out.write(f"5-minute refresh: {steady}; full (daily, on demand): {full} "
                  f"(support over 90 days {support}, portfolio {portfolio}, retention {retention})\n")
        # the refresh task's last step (after feature adoption): the Targets panel's actuals the pages then read
        kpi_actuals = _timed(lambda: refresh_kpi_actuals(tenant=tenant), options["repeats"])
        out.write(f"KPI actuals of the {targets} targets: {kpi_actuals}\n")
        validation = _timed(score_validation, options["repeats"])
        figures = score_validation()
        out.write(f"score validation: {validation}, AUC {figures.auc}, lift {figures.lift}\n")
    pages = _page_timings(tenant, options["requests"])
    for name, page in pages.items():
        out.write(f"{name} page: {page}\n")
    return {
        "benchmark": "dashboards", "accounts": size[0], "tickets": size[1], "snapshot_days": size[2],
        "arr_movements": ArrMovement.all_tenants.filter(tenant=tenant).count(), "at": timezone.now().isoformat(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "refresh_first_s": round(first_seconds, 2), "refresh_first_parts": first,
        "refresh_first_rows": {k: v["rows"] for k, v in first.items()},
        "refresh_steady": {**steady, "target_s": 10}, "refresh_full": {**full, "target_s": 10},
        "refresh_support_90_days": support, "refresh_portfolio": portfolio, "refresh_retention": retention,
        "refresh_kpi_actuals": kpi_actuals,
        "pages": pages, "page_target_p95_ms": 150, "kpi_targets": targets,
        "score_validation": {**validation, "target_ms": 3000, "outcomes": figures.total, "auc": figures.auc,
                             "lift": figures.lift},
    }
