"""The support operations page: figures from the aggregates (hand-computed), filters in the URL, freshness,
links to the queue, CSV export, the on-demand refresh and a query count that does not grow with the data."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.models import Job
from dashboards.refresh import refresh_all
from tests.factories import AccountFactory, TicketFactory

pytestmark = pytest.mark.django_db
PAGE = "/dashboards/support/"


def by_key(groups):
    return {f.key: f for f in groups}


def test_support_page_shows_the_hand_computed_figures(alice_client, tenant, support_history, engineer):
    refresh_all(tenant=tenant)
    response = alice_client.get(PAGE)
    assert response.status_code == 200
    ctx = response.context
    backlog = ctx["backlog"]
    assert backlog["total"] == 2 and backlog["breaching"] == 2  # T2 and T3, both opened under a day ago
    assert {r["severity"]: (r["ages"], r["total"]) for r in backlog["rows"]}[1] == ([1, 0, 0, 0], 1)
    sev = by_key(ctx["sla"]["by_severity"])
    assert (sev[1].opened, sev[1].resolved, sev[1].response_percent, sev[1].resolution_percent) == (2, 1, 50.0, 100.0)
    assert (sev[3].opened, sev[3].resolved, sev[3].response_percent, sev[3].resolution_percent) == (1, 1, 0.0, 0.0)
    assert ctx["total"].week_breaches == 2  # T2's and T3's late responses on Tuesday; T4's breach was last week
    assert ctx["total"].response_median == 32.0  # two responses: 30 min (16-32) and 120 min (64-128) -> rank 1
    eng = by_key(ctx["sla"]["by_engineer"])
    assert eng[engineer.pk].label == "Erin Engineer" and eng["none"].opened == 1
    assert "Enterprise" in {f.label for f in ctx["sla"]["by_segment"]}  # the tenant's label, not the key
    html = response.content.decode()
    assert "Updated" in html and "Globex" not in html
    assert '/tickets/?view=open&amp;severity=1"' in html  # the backlog count links to the queue behind it
    assert f"account={support_history['ent'].pk}" in html  # top accounts link to their tickets
    assert "<svg" in html and "the numbers</summary>" in html


@pytest.mark.parametrize(("query", "expected"), [
    ("segment=smb", {3: (1, 1)}),  # T3 opened; T4 resolved on 1 March
    ("period=7", {1: (2, 1), 3: (1, 0)}),  # T4's resolution is older than 7 days
    ("engineer=none", {3: (1, 1)}),
])
def test_filters_come_from_the_url(alice_client, tenant, support_history, query, expected):
    refresh_all(tenant=tenant)
    response = alice_client.get(f"{PAGE}?{query}")
    assert {f.key: (f.opened, f.resolved) for f in response.context["sla"]["by_severity"]} == expected
    assert f'href="/dashboards/support/export.csv?{query}' in response.content.decode().replace("&amp;", "&")
    assert 'name="next"' not in response.content.decode()  # the refresh comes back through the referrer


def test_segment_filter_narrows_the_backlog(alice_client, tenant, support_history):
    refresh_all(tenant=tenant)
    assert alice_client.get(f"{PAGE}?segment=smb").context["backlog"]["total"] == 1


def test_bad_filters_fall_back(alice_client, tenant, support_history):
    response = alice_client.get(f"{PAGE}?period=5&segment=nope&engineer=x")
    filters = response.context["filters"]
    assert (filters.period, filters.segment, filters.engineer) == (30, "", "")


def test_before_any_refresh_the_page_says_so(alice_client, tenant):
    html = alice_client.get(PAGE).content.decode()
    assert "Not computed yet" in html


def test_htmx_gets_the_results_alone(alice_client, tenant, support_history):
    refresh_all(tenant=tenant)
    html = alice_client.get(PAGE, HTTP_HX_REQUEST="true").content.decode()
    assert html.lstrip().startswith('<div id="results">') and "<h1>" not in html


def _count(client) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(PAGE).status_code == 200
    return len(captured)


def test_query_count_does_not_grow_with_the_data(alice_client, tenant, support_history):
    refresh_all(tenant=tenant)
    small = _count(alice_client)
    for i in range(12):
        account = AccountFactory(tenant=tenant, segment=("smb", "mid_market", "enterprise")[i % 3], arr=Decimal(900 + i))
        TicketFactory(account=account, severity=1 + i % 4)
    refresh_all(tenant=tenant)
    assert _count(alice_client) == small <= 10


def test_csv_export(alice_client, tenant, support_history):
    refresh_all(tenant=tenant)
    response = alice_client.get("/dashboards/support/export.csv?period=90")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    body = response.content.decode()
    assert "Sev1 - Critical,2,1,1,1,50.0,1,0,100.0,1,"  # T2 escalated in body
    assert "Enterprise Co,2" in body


def test_refresh_now_runs_the_job_and_comes_back(alice_client, tenant, support_history):
    response = alice_client.post("/dashboards/refresh/", {"next": f"{PAGE}?period=7"})
    assert response.status_code == 302 and response["Location"] == f"{PAGE}?period=7"
    job = Job.all_tenants.get(tenant=tenant, kind="dashboards.refresh")
    assert job.status == "succeeded"
    status = alice_client.get(f"/dashboards/refresh/{job.pk}/")
    assert "Refresh finished" in status.content.decode()


def test_refresh_refuses_get_and_foreign_redirects(alice_client, tenant):
    assert alice_client.get("/dashboards/refresh/").status_code == 405
    response = alice_client.post("/dashboards/refresh/", {"next": "https://evil.example/"})
    assert response["Location"] == PAGE
    response = alice_client.post("/dashboards/refresh/", HTTP_REFERER="https://evil.example/dashboards/support/")
    assert response["Location"] == PAGE


def test_refresh_comes_back_to_the_filtered_page(alice_client, tenant):
    response = alice_client.post("/dashboards/refresh/", HTTP_REFERER="http://testserver/dashboards/support/?period=7")
    assert response["Location"] == f"{PAGE}?period=7"


def test_another_tenants_job_is_a_404(alice_client, other_tenant):
    from core import jobs

    job = jobs.job_create(tenant=other_tenant, kind="dashboards.refresh")
    assert alice_client.get(f"/dashboards/refresh/{job.pk}/").status_code == 404
    assert alice_client.get("/dashboards/refresh/not-a-uuid/").status_code == 404
