"""Surveys at scale: `python manage.py bench surveys [--accounts 20000] [--responses 1000000]`.

Seeds a bench tenant once (reused while its size matches, ``--reseed`` to rebuild): ``--accounts`` accounts
spread over the default segments, one contact each, and ``--responses`` survey responses (about 80% NPS,
20% CSAT) over the last three years, written with COPY. Then times, through the public API as an
integration calls it (session-authenticated client, JSON parsed), over ``--repeats`` runs each:

- the NPS metric for several windows (a month, a quarter, a year, three years) with and without a segment
  filter, and the CSAT metric for a year (target: every NPS call under 300 ms);

and the query count of each call, which does not depend on the number of responses. Then:

- the reference pool's eligibility (``reference_selectors.reference_pool``: facts, rules, capacity) over
  every account (target < 1 s);
- a campaign to every contact (``--recipients``, default all 20,000): ``survey_send`` as the page calls it
  (recipients written, batches enqueued through the outbox, committed; target < 10 s), then each enqueued
  batch run by the worker's task function in this process with the file email backend (a temporary
  directory), emails per second (target 200+). The campaign is deleted afterwards (its sends with it), so a
  rerun measures the same work; fatigue would otherwise skip every contact.
"""

from __future__ import annotations

import io
import random
import shutil
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.utils import timezone

from accounts.models import Account, Contact
from advocacy import reference_selectors, survey_sending, survey_services, survey_tasks
from advocacy.models import SendStatus, SurveyResponse, SurveySend
from core.benchmarking import plain_static_files
from core.models import OutboxMessage
from tenancy.context import tenant_context
from tenancy.models import Membership, Role, Tenant, User

SLUG = "bench-surveys"
SEGMENTS = ("enterprise", "mid_market", "smb")
BENCH_EMAIL = "vp@bench-surveys.example"


def add_arguments(parser) -> None:
    parser.add_argument("--accounts", type=int, default=20_000)
    parser.add_argument("--responses", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--recipients", type=int, default=0, help="Contacts the campaign goes to (0: all)")
    parser.add_argument("--reseed", action="store_true", help="Rebuild the bench tenant's accounts and responses")


def _seed(tenant: Tenant, *, accounts: int, responses: int, out) -> None:
    rng = random.Random(12)
    now = timezone.now()
    with transaction.atomic(), tenant_context(tenant):
        SurveyResponse.objects.all().delete()
        Contact.objects.all().delete()
        Account.objects.all().delete()
        out.write(f"seeding {accounts} accounts with a contact each ...\n")
        Account.objects.bulk_create(
            [Account(tenant=tenant, name=f"Bench {i:06d}", segment=SEGMENTS[i % 3]) for i in range(accounts)],
            batch_size=5000,
        )
        ids = list(Account.objects.order_by("pk").values_list("pk", flat=True))
        Contact.objects.bulk_create(
            [Contact(tenant=tenant, account_id=a, name=f"Contact {a}", email=f"c{a}@bench-surveys.example")
             for a in ids],
            batch_size=5000,
        )
        contacts = dict(Contact.objects.values_list("account_id", "pk"))
        out.write(f"copying {responses} responses ...\n")
        buffer = io.StringIO()
        span = 3 * 365 * 86400
        created = now.isoformat()
        for _ in range(responses):
            account = ids[rng.randrange(len(ids))]
            at = (now - timedelta(seconds=rng.randrange(span))).isoformat()
            if rng.random() < 0.8:
                kind, score = "nps", min(10, max(0, int(rng.gauss(8, 2.2))))
            else:
                kind, score = "csat", min(5, max(1, int(rng.gauss(4.2, 0.9))))
            buffer.write(f"{tenant.pk}\t{account}\t{contacts[account]}\t{kind}\t{score}\t\t{at}\t{created}\n")
        buffer.seek(0)
        with connection.cursor() as cursor:
            cursor.copy_expert(
                "COPY advocacy_surveyresponse (tenant_id, account_id, contact_id, kind, score, comment, responded_at,"
                " created_at) FROM STDIN",
                buffer,
            )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE advocacy_surveyresponse")
        cursor.execute("ANALYZE accounts_account")


def _bench_user(tenant: Tenant) -> User:
    user, _ = User.objects.get_or_create(email=BENCH_EMAIL, defaults={"full_name": "Bench VP"})
    Membership.all_tenants.get_or_create(tenant=tenant, user=user, defaults={"role": Role.VP})
    return user


def _time(client: Client, url: str, repeats: int) -> dict:
    queries = []  # counted by a wrapper: a request resets the connection's query log when it starts
    with connection.execute_wrapper(lambda execute, sql, *args: queries.append(sql) or execute(sql, *args)):
        response = client.get(url, secure=True)
    if response.status_code != 200:
        raise RuntimeError(f"{url} answered {response.status_code}: {response.content[:300]!r}")
    timings = []
    for _ in range(repeats):
        began = time.perf_counter()
        client.get(url, secure=True).json()
        timings.append((time.perf_counter() - began) * 1000)
    timings.sort()
    return {"url": url, "p50_ms": round(statistics.median(timings), 1), "max_ms": round(timings[-1], 1),
            "queries": len(queries), "result": response.json()}


def metric_timings(tenant: Tenant, repeats: int, out) -> list[dict]:
    today = timezone.localdate()
    windows = {"month": 30, "quarter": 91, "year": 365, "three_years": 3 * 365}
    client = Client()
    client.force_login(_bench_user(tenant))
    results = []
    for label, days in windows.items():
        start = today - timedelta(days=days)
        for segment in ("", "enterprise"):
            url = f"/api/v1/metrics/nps/?start={start}&end={today}" + (f"&segment={segment}" if segment else "")
            row = {"metric": "nps", "window": label, "segment": segment or None, **_time(client, url, repeats)}
            out.write(f"  nps {label:12s} {segment or 'all':11s} p50 {row['p50_ms']} ms, max {row['max_ms']} ms\n")
            results.append(row)
    url = f"/api/v1/metrics/csat/?start={today - timedelta(days=365)}&end={today}"
    results.append({"metric": "csat", "window": "year", "segment": None, **_time(client, url, repeats)})
    return results


def eligibility_timing(tenant: Tenant, repeats: int) -> dict:
    with tenant_context(tenant):
        with CaptureQueriesContext(connection) as queries:
            pool = reference_selectors.reference_pool()
        timings = []
        for _ in range(max(3, repeats // 3)):
            began = time.perf_counter()
            reference_selectors.reference_pool()
            timings.append((time.perf_counter() - began) * 1000)
    return {"accounts": len(pool), "eligible": int(pool["eligible"].sum()), "queries": len(queries),
            "p50_ms": round(statistics.median(timings), 1), "max_ms": round(max(timings), 1), "target_ms": 1000}


def campaign_timing(tenant: Tenant, recipients: int, out) -> dict:
    """Enqueue a campaign to the bench's contacts, then run its batches as the worker would (file backend)."""
    user = _bench_user(tenant)
    mail_dir = Path(tempfile.mkdtemp(prefix="bench-surveys-mail-"))
    try:
        with tenant_context(tenant), override_settings(
            EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend", EMAIL_FILE_PATH=str(mail_dir)
        ):
            survey = survey_services.survey_create(actor=user, name="Bench NPS", target_roles=[])
            if recipients:
                keep = list(Contact.objects.order_by("pk").values_list("pk", flat=True)[recipients:])
                Contact.objects.filter(pk__in=keep).update(left_company=True)
            outbox_before = OutboxMessage.objects.count()
            began = time.perf_counter()
            survey_services.survey_send(survey=survey, actor=user)
            enqueue_s = time.perf_counter() - began
            # Without a broker (eager mode) the batches already ran at commit; the loop below finds none pending.
            pending = SurveySend.objects.filter(survey=survey).count()
            batches = OutboxMessage.objects.count() - outbox_before
            out.write(f"  enqueued {pending} recipients in {batches} batches in {enqueue_s:.2f} s\n")
            began = time.perf_counter()
            for first, last in survey_sending.batch_ranges(survey):  # the ranges the batches were enqueued with
                survey_tasks.send_survey_batch(tenant.pk, survey.pk, first, last)
            send_s = time.perf_counter() - began
            sent = SurveySend.objects.filter(survey=survey, status=SendStatus.SENT).count()
            files = sum(1 for _ in mail_dir.iterdir())
            out.write(f"  sent {sent} emails ({files} files) in {send_s:.2f} s\n")
            survey.delete()
            Contact.objects.filter(left_company=True).update(left_company=False)
    finally:
        shutil.rmtree(mail_dir, ignore_errors=True)
    return {"recipients": pending, "batches": batches, "enqueue_seconds": round(enqueue_s, 2),
            "enqueue_target_seconds": 10, "sent": sent, "send_seconds": round(send_s, 2),
            "emails_per_second": round(sent / send_s, 1) if send_s else None, "emails_per_second_target": 200}


def run(options, out) -> dict:
    tenant, _ = Tenant.objects.get_or_create(slug=SLUG, defaults={"name": "Bench surveys"})
    with tenant_context(tenant):
        have_accounts = Account.objects.count()
        have_responses = SurveyResponse.objects.count()
    if options["reseed"] or have_accounts != options["accounts"] or have_responses != options["responses"]:
        began = time.perf_counter()
        _seed(tenant, accounts=options["accounts"], responses=options["responses"], out=out)
        out.write(f"seeded in {time.perf_counter() - began:.1f} s\n")
    else:
        out.write(f"reusing {have_accounts} accounts, {have_responses} responses\n")
    out.write("timing the NPS and CSAT metrics through the API ...\n")
    with plain_static_files():
        metrics = metric_timings(tenant, options["repeats"], out)
    nps_max = max(row["max_ms"] for row in metrics if row["metric"] == "nps")
    out.write("timing the reference pool's eligibility ...\n")
    eligibility = eligibility_timing(tenant, options["repeats"])
    out.write(f"  {eligibility}\n")
    out.write("sending a campaign to every contact ...\n")
    campaign = campaign_timing(tenant, options["recipients"], out)
    return {
        "benchmark": "surveys", "accounts": options["accounts"], "responses": options["responses"],
        "metrics": [{k: v for k, v in row.items() if k != "url"} for row in metrics],
        "nps_worst_ms": nps_max, "nps_target_ms": 300, "eligibility": eligibility, "campaign": campaign,
    }
