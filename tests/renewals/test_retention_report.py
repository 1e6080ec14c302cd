"""The retention report page and its CSV export on a known book: the window's retention, the trend, the
movements by month, the churn reasons, the split by segment, the window picker's errors, who may read it,
and a query count that does not grow with rows."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from renewals import retention, retention_report
from renewals.models import ArrMovement
from renewals.retention_chart import axis_bounds, trend_chart
from tenancy.context import tenant_context
from tenancy.models import Role
from tests.factories import AccountFactory, RenewalFactory

pytestmark = pytest.mark.django_db
D = Decimal
PAGE = "/renewals/retention/"
CSV = "/renewals/retention/export.csv"
NEW_YORK = ZoneInfo("America/New_York")


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel("2026-03-15 12:00:00+00:00", tick=False):
        yield


def movement(account, day, kind, amount, **extra):
    return ArrMovement.all_tenants.create(tenant=account.tenant, account=account, date=day, kind=kind,
                                          amount=D(amount), **extra)


def churned(account, closed_at, reason, arr):
    return RenewalFactory(account=account, contract_end=closed_at.date(), arr=D(arr), outcome="churned",
                          renewed_arr=D("0"), stage="closed", churn_reason=reason, closed_at=closed_at)


@pytest.fixture
def book(tenant):
    """The default window is 2025-03-31 (end of day) to 2026-03-15. Five accounts have ARR at its start
    (260,000): G grows, S shrinks, B churns and comes back, L and C churn; N is a new logo in the window."""
    tenant.timezone = "America/New_York"
    tenant.save()
    a = {name: AccountFactory(tenant=tenant, arr=D("0"), name=name) for name in "GSBLCNX"}
    for name, day, kind, amount in [
        ("G", "2024-01-10", "new", "100000"), ("S", "2024-02-01", "new", "50000"), ("B", "2024-03-01", "new", "50000"),
        ("L", "2025-03-01", "new", "40000"), ("C", "2024-05-01", "new", "20000"),
        ("G", "2025-04-01", "expansion", "25000"), ("G", "2025-04-01", "contraction", "5000"),  # two on one day
        ("S", "2025-05-01", "contraction", "10000"), ("B", "2025-06-01", "churn", "50000"),
        ("B", "2025-09-01", "reactivation", "20000"), ("L", "2025-10-01", "churn", "40000"),
        ("N", "2025-12-01", "new", "30000"),
    ]:
        movement(a[name], date.fromisoformat(day), kind, amount)
    lost = churned(a["C"], datetime(2025, 11, 2, 15, tzinfo=NEW_YORK), "Budget cuts", "18000")
    movement(a["C"], date(2025, 11, 2), "churn", "20000", ref_type="renewal", ref_id=lost.pk)
    churned(a["X"], datetime(2026, 1, 10, 9, tzinfo=NEW_YORK), "Competitor", "7000")  # no movement: its ARR
    churned(a["X"], datetime(2026, 3, 15, 7, 30, tzinfo=NEW_YORK), "Budget cuts", "3000")  # today counts
    churned(a["X"], datetime(2025, 4, 1, 0, 10, tzinfo=NEW_YORK), "", "1000")  # the first minute counts
    churned(a["X"], datetime(2025, 3, 31, 23, 50, tzinfo=NEW_YORK), "Product fit", "5000")  # the start day: no
    return a


def test_the_report_on_known_data(alice_client, book):
    response = alice_client.get(PAGE)
    assert response.status_code == 200
    report = response.context["report"]
    assert (report.start, report.end) == (date(2025, 3, 31), date(2026, 3, 15))
    s = report.summary
    assert (s.starting_arr, s.expansion, s.contraction, s.churn) == (D("260000"), D("45000"), D("15000"), D("110000"))
    assert (s.nrr, s.grr, s.logo_retention) == (D("69.2"), D("51.9"), D("60.0"))
    assert (report.accounts, report.retained) == (5, 3)
    html = response.content.decode()
    for text in ("260,000", "69.2%", "51.9%", "60.0%", "3 of 5 still paying", "<svg", "Trailing-12-month"):
        assert text in html, text
    # The trend's last point is the window itself.
    assert len(report.trend) == 12 and report.trend[-1].month == "2026-03" and report.trend[-1].result == s


def test_movements_by_month(alice_client, book):
    months = alice_client.get(PAGE).context["report"].months
    assert [m.month for m in months] == [date(2025 + (3 + i) // 12, (3 + i) % 12 + 1, 1) for i in range(12)]
    rows = {m.month.strftime("%Y-%m"): m for m in months}
    assert months[0].starting_arr == D("260000")
    april = rows["2025-04"]
    assert (april.expansion, april.contraction, april.ending_arr) == (D("25000"), D("5000"), D("280000"))
    assert rows["2025-06"].churn == D("50000") and rows["2025-09"].reactivation == D("20000")
    assert rows["2025-11"].churn == D("20000") and rows["2025-12"].new == D("30000")
    assert months[-1].ending_arr == D("210000")
    # Each month starts where the one before ended.
    assert all(b.starting_arr == a.ending_arr for a, b in zip(months, months[1:], strict=False))


def test_churn_reasons_in_the_window(alice_client, book):
    reasons = alice_client.get(PAGE).context["report"].churn_reasons
    assert [(r.reason, r.count, r.arr_lost) for r in reasons] == [
        ("Budget cuts", 2, D("23000.00")),  # the outcome's movement (20,000), not the renewal's 18,000
        ("Competitor", 1, D("7000.00")),
        ("No reason given", 1, D("1000.00")),
    ]


def test_retention_by_segment_adds_up(alice_client, book):
    report = alice_client.get(PAGE).context["report"]
    segments = {s.key: s for s in report.segments}
    assert list(segments) == ["enterprise", "mid_market", "smb"]
    ent, mid, smb = segments["enterprise"], segments["mid_market"], segments["smb"]
    assert (ent.accounts, ent.result.starting_arr, ent.result.nrr, ent.result.grr) == (1, D("100000"), D("120.0"), D("95.0"))
    assert (mid.accounts, mid.result.starting_arr, mid.result.nrr, mid.result.grr, mid.result.logo_retention) == (
        3, D("140000"), D("42.9"), D("28.6"), D("66.7"))
    assert (smb.accounts, smb.result.nrr, smb.result.logo_retention) == (1, D("0.0"), D("0.0"))
    for field in ("starting_arr", "expansion", "contraction", "churn"):
        assert sum(getattr(x.result, field) for x in segments.values()) == getattr(report.summary, field)


@pytest.mark.parametrize(("start", "end"), [("2025-03-31", "2026-03-15"), ("2024-06-30", "2025-08-31"),
                                            ("2025-04-01", "2025-04-01"), ("2023-01-01", "2023-12-31")])
def test_the_summary_is_the_apis_metric(api, alice_client, book, start, end):
    """The window's numbers (summed from the segments) are exactly /api/v1/metrics/retention/'s."""
    expected = api.get("/api/v1/metrics/retention/", {"start": start, "end": end}).json()
    with tenant_context(book["G"].tenant):
        totals = retention_report.add_totals(retention_report.segment_totals(
            start=date.fromisoformat(start), end=date.fromisoformat(end),
            thresholds=book["G"].tenant.get_segment_thresholds()).values())
    got = retention.retention(totals).as_dict()
    assert {k: (str(v) if k in ("starting_arr", "expansion", "contraction", "churn") else (None if v is None else float(v)))
            for k, v in got.items()} == expected


def test_a_segment_without_starting_arr_has_no_percentages(tenant, book):
    thresholds = [*tenant.get_segment_thresholds(), {"key": "strategic", "label": "Strategic", "min_arr": "1000000"}]
    with tenant_context(tenant):
        totals = retention_report.segment_totals(start=date(2025, 3, 31), end=date(2026, 3, 15), thresholds=thresholds)
    rows = retention_report.by_segment(totals, thresholds)
    assert rows[0].key == "strategic" and rows[0].accounts == 0 and rows[0].result.nrr is None


def test_a_chosen_window(alice_client, book):
    report = alice_client.get(PAGE, {"start": "2025-05-31", "end": "2025-09-30"}).context["report"]
    # L started before; N after the window. B churned and came back inside it.
    s = report.summary
    assert (s.starting_arr, s.expansion, s.churn, s.contraction) == (D("270000"), D("20000"), D("50000"), D("0"))
    assert [m.month.strftime("%Y-%m") for m in report.months] == ["2025-06", "2025-07", "2025-08", "2025-09"]
    assert report.churn_reasons == [] and report.trend[-1].month == "2025-09"


def test_csv_export_has_the_pages_numbers(alice_client, book):
    response = alice_client.get(CSV)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"] == 'attachment; filename="retention-acme-2025-03-31-to-2026-03-15.csv"'
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    value = {(r["section"], r["row"], r["metric"]): r["value"] for r in rows}
    assert len(value) == len(rows)  # no cell twice
    assert value[("window", "", "start")] == "2025-03-31" and value[("window", "", "end")] == "2026-03-15"
    assert value[("summary", "", "starting_arr")] == "260000.00" and value[("summary", "", "nrr")] == "69.2"
    assert value[("summary", "", "grr")] == "51.9" and value[("summary", "", "accounts_at_start")] == "5"
    assert value[("trend", "2026-03", "nrr")] == "69.2"
    assert value[("movements", "2025-04", "expansion")] == "25000.00"
    assert value[("movements", "2026-03", "ending_arr")] == "210000.00"
    assert value[("churn_reasons", "Budget cuts", "arr_lost")] == "23000.00"
    assert value[("churn_reasons", "No reason given", "renewals")] == "1"
    assert value[("segments", "mid_market", "nrr")] == "42.9" and value[("segments", "smb", "grr")] == "0.0"
    # The page's link downloads the same window.
    html = alice_client.get(PAGE, {"start": "2025-05-31", "end": "2025-09-30"}).content.decode()
    assert f"{CSV}?start=2025-05-31&amp;end=2025-09-30" in html


def test_csv_of_an_empty_tenant_leaves_percentages_blank(alice_client):
    rows = list(csv.DictReader(io.StringIO(alice_client.get(CSV).content.decode())))
    value = {(r["section"], r["row"], r["metric"]): r["value"] for r in rows}
    assert value[("summary", "", "starting_arr")] == "0.00" and value[("summary", "", "nrr")] == ""


@pytest.mark.parametrize(("params", "field", "message"), [
    ({"start": "2025-06-01", "end": "2025-05-01"}, "start", "The start must be before the end."),
    ({"start": "2025-06-01", "end": "2025-06-01"}, "start", "The start must be before the end."),
    ({"start": "2025-01-01", "end": "2026-03-16"}, "end", "The end can't be after today (2026-03-15)."),
    ({"start": "2025-02-30", "end": "2025-06-01"}, "start", "Enter a valid date."),
    ({"start": "", "end": "2025-06-01"}, "start", "This field is required."),
    ({"start": "2021-01-31", "end": "2025-06-01"}, "start", "A window of at most 36 months: pick a later start."),
])
def test_a_bad_window_says_why(alice_client, book, params, field, message):
    response = alice_client.get(PAGE, params)
    assert response.status_code == 400
    assert response.context["form"].errors[field] == [message] and response.context["report"] is None
    html = response.content.decode()
    assert 'role="alert"' in html and 'aria-invalid="true"' in html and "<svg" not in html
    export = alice_client.get(CSV, params)
    assert export.status_code == 400 and message in export.content.decode()
    assert not export["Content-Type"].startswith("text/csv")


@pytest.mark.parametrize("role", [Role.VIEWER, Role.CSM, Role.SUPPORT_ENGINEER, Role.VP])
def test_every_member_may_read_it(client, member, book, role):
    client.force_login(member(role))
    assert client.get(PAGE).status_code == 200 and client.get(CSV).status_code == 200


def test_anonymous_is_sent_to_sign_in(client):
    assert client.get(PAGE).status_code == 302 and client.get(CSV).status_code == 302


def test_the_numbers_are_the_tenants_own(alice_client, other_tenant, book):
    stranger = AccountFactory(tenant=other_tenant, arr=D("0"))
    movement(stranger, date(2024, 1, 1), "new", "999000")
    movement(stranger, date(2025, 7, 1), "churn", "999000")
    churned(stranger, datetime(2025, 7, 1, 12, tzinfo=NEW_YORK), "Budget cuts", "999000")
    report = alice_client.get(PAGE).context["report"]
    assert report.summary.starting_arr == D("260000") and report.churn_reasons[0].arr_lost == D("23000.00")
    assert "999" not in alice_client.get(CSV).content.decode()


def test_the_page_runs_a_constant_number_of_queries(alice_client, tenant, book):
    def count():
        with CaptureQueriesContext(connection) as queries:
            assert alice_client.get(PAGE).status_code == 200
        return len(queries)

    count()  # warm-up (session, caches)
    before = count()
    with tenant_context(tenant):
        for i in range(30):
            account = AccountFactory(tenant=tenant, arr=D("0"))
            movement(account, date(2024, 1 + i % 12, 3), "new", 1000 + i)
            movement(account, date(2025, 1 + i % 12, 4), "expansion", 50)
            churned(account, datetime(2025, 1 + i % 12, 5, 12, tzinfo=NEW_YORK), f"Reason {i % 4}", "900")
    assert count() == before <= 12


def test_the_chart_and_its_table(alice_client, book):
    response = alice_client.get(PAGE)
    chart = response.context["chart"]
    assert [line["key"] for line in chart.lines] == ["nrr", "grr"] and not chart.empty
    html = response.content.decode()
    assert 'role="img"' in html and "<desc" in html and 'id="trend-table"' in html and "Mar 26" in html


def test_chart_geometry():
    assert axis_bounds([]) == (90, 110)
    assert axis_bounds([69.2, 51.9]) == (40, 110)
    assert axis_bounds([130.0]) == (90, 140)
    chart = trend_chart(["2025-01", "2025-02", "2025-03"],
                        [{"key": "nrr", "label": "NRR", "values": [D("100"), None, D("110")]}])
    # A month without a value breaks the line; 100% sits on the guide.
    assert chart.lines[0]["d"].count("M") == 2 and chart.guide_y == chart.lines[0]["points"][0]["y"]
    assert [t["label"] for t in chart.x_ticks] == ["Jan 25", "Feb 25", "Mar 25"]
    assert trend_chart(["2025-01"], [{"key": "nrr", "label": "NRR", "values": [None]}]).empty
