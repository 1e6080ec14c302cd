"""The renewal side of ``bench renewals``: the daily renewal job and the renewal desk page at scale.

* ``prepare``: the bench accounts get renewal dates spread evenly over the next 12 months, CSMs (bench
  users, one signed in for the desk) and health bands (10% red, 30% green, the rest yellow), set-based; the
  accounts the ledger churned (ARR 0) are churned.
* ``daily_job``: the tenant's renewals and their CTAs are cleared, then ``renewals_open`` (the daily job) is
  timed on its first run (every account in the 120-day window gets its renewal, motions, forecast and, when
  red and close, its risk CTA) and on a second run the same day, which must create 0 rows.
* ``desk_timings``: GETs of the renewal desk through Django's test client signed in as a bench CSM
  (middleware, selector, template): p50/p95 over ``requests`` requests, and the queries one request runs.
"""

from __future__ import annotations

import time
from datetime import date

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Activity, Task, TaskSource
from core.benchmarking import percentiles, plain_static_files
from renewals.models import Renewal
from renewals.renewal_jobs import renewals_open
from tenancy.context import tenant_context
from tenancy.models import Membership, Role, Tenant
from tenancy.services import member_add

CSMS = 8


def prepare(tenant: Tenant, *, today: date) -> list[int]:
    """CSMs and the accounts' renewal dates, owners and health bands (idempotent). Returns the CSMs' ids."""
    with tenant_context(tenant):
        have = {m.user.email: m.user for m in Membership.objects.select_related("user")}
        csms = []
        for i in range(CSMS):
            email = f"csm{i}@bench-renewals.example"
            user = have.get(email) or member_add(tenant=tenant, email=email, role=Role.CSM, password=None,
                                                 full_name=f"Bench CSM {i}").user
            csms.append(user.pk)
        with connection.cursor() as cursor:
            cursor.execute(
                """
                UPDATE accounts_account SET
                    renewal_date = %(today)s::date + (id %% 365)::int,
                    csm_id = (%(csms)s::bigint[])[(id %% %(n)s) + 1],
                    status = CASE WHEN arr > 0 THEN 'active' ELSE 'churned' END,
                    health_status = CASE WHEN id %% 10 = 0 THEN 'red' WHEN id %% 10 < 4 THEN 'green' ELSE 'yellow' END,
                    health_score = CASE WHEN id %% 10 = 0 THEN 35 WHEN id %% 10 < 4 THEN 85 ELSE 65 END
                WHERE tenant_id = %(tenant)s
                """,
                {"today": today, "csms": csms, "n": len(csms), "tenant": tenant.pk},
            )
            cursor.execute("ANALYZE accounts_account")
    return csms


def _clear(tenant: Tenant) -> None:
    """Back to before the first run: no renewal, no renewal CTA; the tables vacuumed so the first run does not
    wade through the dead rows of the previous bench (a real first run meets none)."""
    with tenant_context(tenant):
        Activity.objects.filter(source=TaskSource.RENEWAL, ref_type="task").delete()
        Task.objects.filter(source=TaskSource.RENEWAL).delete()
        Renewal.objects.all().delete()
    with connection.cursor() as cursor:
        for model in (Activity, Task, Renewal):
            cursor.execute(f"VACUUM ANALYZE {model._meta.db_table}")


def _rows(tenant: Tenant) -> int:
    with tenant_context(tenant):
        return (Renewal.objects.count() + Task.objects.filter(source=TaskSource.RENEWAL).count()
                + Activity.objects.filter(source=TaskSource.RENEWAL, ref_type="task").count())


def daily_job(tenant: Tenant, *, today: date) -> dict:
    _clear(tenant)
    with tenant_context(tenant):
        began = time.perf_counter()
        first = renewals_open(today=today)
        first_s = time.perf_counter() - began
    rows = _rows(tenant)
    with tenant_context(tenant):
        began = time.perf_counter()
        second = renewals_open(today=today)
        second_s = time.perf_counter() - began
    with tenant_context(tenant):
        open_renewals = Renewal.objects.filter(outcome__isnull=True).count()
    return {
        "first_run_s": round(first_s, 3), "first_run": first, "rows_written": rows,
        "second_run_s": round(second_s, 3), "second_run": second, "second_run_new_rows": _rows(tenant) - rows,
        "open_renewals": open_renewals, "target_s": 5,
    }


def desk_timings(tenant: Tenant, *, csm_id: int, requests: int) -> dict:
    url = reverse("renewals:desk")
    user = Membership.all_tenants.select_related("user").get(tenant=tenant, user_id=csm_id).user
    samples = []
    with plain_static_files():  # the manifest storage needs collectstatic
        client = Client()
        client.force_login(user)
        response = client.get(url, secure=True)
        if response.status_code != 200:
            raise RuntimeError(f"the renewal desk answered {response.status_code}")
        rows = response.content.count(b"<tr><td><a href=")
        for _ in range(requests):
            began = time.perf_counter()
            client.get(url, secure=True)
            samples.append((time.perf_counter() - began) * 1000)
        with CaptureQueriesContext(connection) as captured:
            client.get(url, secure=True)
        with CaptureQueriesContext(connection) as filtered:
            client.get(url, {"forecast": "at_risk"}, secure=True)
    p50, p95 = percentiles(samples)
    return {"p50_ms": p50, "p95_ms": p95, "requests": requests, "queries": len(captured),
            "queries_filtered": len(filtered), "rows_shown": rows, "target_p95_ms": 150}
