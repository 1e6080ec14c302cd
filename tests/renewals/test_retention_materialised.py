"""The materialised retention (``renewals.retention_refresh`` -> ``retention_figures``) equals the live
computation exactly: per window of the trend, per account segment x CSM filter and per starting segment, on a
ledger with expansions, contractions, churn and reactivation across segments, CSMs and month boundaries
(frozen clock, a tenant west of UTC); the retention report reads the rows when they are today's (same page,
same CSV), else computes live; a refresh is idempotent and its query count constant. Hypothesis checks the
grouped pandas sums against the movement-by-movement definition on random ledgers."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
import time_machine
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext
from hypothesis import given, settings
from hypothesis import strategies as st

from accounts.segments import segment_for
from renewals import ledger_selectors, retention, retention_figures, retention_report
from renewals.models import ArrMovement, RetentionRefresh, RetentionWindowTotals
from renewals.retention_refresh import NO_CSM, grouped_totals, refresh_retention, starting_segments
from tenancy.context import tenant_context
from tests.factories import AccountFactory, UserFactory
from tests.renewals.test_retention_math import buckets_of, ledgers

pytestmark = pytest.mark.django_db
D = Decimal
NOW = datetime(2026, 3, 15, 3, 0, tzinfo=UTC)  # 2026-03-14 23:00 in New York: the tenant's today is the 14th
TODAY = date(2026, 3, 14)
PAGE, CSV = "/renewals/retention/", "/renewals/retention/export.csv"


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def ledger(tenant, other_tenant):
    """Nine accounts over two CSMs (and none) and three segments; movements on month ends, first days, two on
    one day, a churn and a reactivation, a new logo inside the windows, one dated after today (left out), and
    another tenant's ledger that must not leak in."""
    tenant.timezone = "America/New_York"
    tenant.save()
    carol, dave = UserFactory(email="carol@acme.example"), UserFactory(email="dave@acme.example")
    people = {"carol": carol, "dave": dave, None: None}
    spec = {  # name: (segment, csm)
        "G": ("enterprise", "carol"), "S": ("enterprise", "dave"), "B": ("mid_market", "carol"),
        "L": ("mid_market", None), "C": ("smb", "dave"), "N": ("smb", "carol"), "R": ("smb", None),
        "E": ("enterprise", None), "Z": ("mid_market", "dave"),
    }
    accounts = {name: AccountFactory(tenant=tenant, name=name, segment=segment, csm=people[csm], arr=D("0"))
                for name, (segment, csm) in spec.items()}
    for name, day, kind, amount in [
        ("G", "2024-01-10", "new", "150000"), ("S", "2024-02-29", "new", "50000.50"), ("B", "2024-03-01", "new", "30000"),
        ("L", "2025-02-28", "new", "40000"), ("C", "2024-05-31", "new", "20000"), ("E", "2023-06-01", "new", "99999.99"),
        ("R", "2024-04-30", "new", "8000"), ("Z", "2025-03-31", "new", "26000"),
        ("G", "2025-03-31", "expansion", "25000"), ("G", "2025-03-31", "contraction", "5000"),  # on a month end
        ("G", "2025-04-01", "contraction", "100000"),  # drops from enterprise ARR to mid-market after the start
        ("S", "2025-05-01", "contraction", "10000.25"), ("B", "2025-06-30", "churn", "30000"),
        ("B", "2025-09-01", "reactivation", "20000"), ("L", "2025-10-31", "churn", "40000"),
        ("N", "2025-12-01", "new", "30000"), ("N", "2026-01-15", "expansion", "5000"),
        ("C", "2025-11-02", "churn", "20000"), ("R", "2025-01-31", "churn", "8000"),
        ("R", "2026-02-01", "reactivation", "9000"), ("E", "2026-03-14", "expansion", "1"),  # today counts
        ("E", "2026-03-15", "churn", "100000"),  # tomorrow in New York: not yet
        ("Z", "2026-02-28", "contraction", "1000"), ("S", "2026-03-01", "expansion", "0.01"),
    ]:
        ArrMovement.all_tenants.create(tenant=tenant, account=accounts[name], date=date.fromisoformat(day), kind=kind,
                                       amount=D(amount))
    theirs = AccountFactory(tenant=other_tenant, segment="smb")
    ArrMovement.all_tenants.create(tenant=other_tenant, account=theirs, date=date(2024, 1, 1), kind="new", amount=D("777"))
    return {"accounts": accounts, "people": people}


def _reference(tenant, window, keep) -> retention.RetentionTotals:
    """The movement-by-movement definition over the accounts ``keep`` selects."""
    movements = [retention.Movement(m.account_id, m.date, m.kind, m.amount)
                 for m in ArrMovement.all_tenants.filter(tenant=tenant).select_related("account") if keep(m.account)]
    return retention.totals_from_movements(movements, start=window.start, end=window.end)


FILTERS = [
    ("all", Q(), lambda a: True),
    ("enterprise", Q(segment="enterprise"), lambda a: a.segment == "enterprise"),
    ("smb", Q(segment="smb"), lambda a: a.segment == "smb"),
    ("no csm", Q(csm__isnull=True), lambda a: a.csm_id is None),
    ("carol", "carol", None),
    ("dave mid-market", "dave+mid", None),
]


def _filter(ledger, name, where, keep):
    people = ledger["people"]
    if where == "carol":
        return Q(csm_id=people["carol"].pk), lambda a: a.csm_id == people["carol"].pk
    if where == "dave+mid":
        return (Q(csm_id=people["dave"].pk, segment="mid_market"),
                lambda a: a.csm_id == people["dave"].pk and a.segment == "mid_market")
    return where, keep


@pytest.mark.parametrize(("name", "where", "keep"), FILTERS, ids=[f[0] for f in FILTERS])
def test_every_window_and_filter_equals_the_definition(tenant, ledger, name, where, keep):
    result = refresh_retention(tenant=tenant)
    assert result.as_of == TODAY and result.rows > 0
    where, keep = _filter(ledger, name, where, keep)
    with tenant_context(tenant):
        trend = retention_figures.trend(as_of=TODAY, months=12, where=where)
    assert [w.month for w, _ in trend][-1] == "2026-03" and trend[-1][0].end == TODAY
    for window, totals in trend:
        assert totals == _reference(tenant, window, keep), (name, window)


def test_the_whole_tenant_equals_the_live_sql_and_pandas(tenant, ledger):
    refresh_retention(tenant=tenant)
    with tenant_context(tenant):
        live = ledger_selectors.retention_trend(today=TODAY, months=12)
        materialised = retention_figures.trend(as_of=TODAY, months=12)
        assert materialised == live
        for window, totals in materialised:
            assert totals == ledger_selectors.retention_totals(start=window.start, end=window.end), window
        thresholds = tenant.get_segment_thresholds()
        for window, _ in materialised:
            by_start = retention_figures.by_starting_segment(start=window.start, end=window.end)
            live_split = retention_report.segment_totals(start=window.start, end=window.end, thresholds=thresholds)
            assert {k: v for k, v in live_split.items() if v.accounts} == by_start, window
    assert retention.retention(materialised[-1][1]).as_dict() == {  # 2025-03-31 (end of day) to 2026-03-14, by hand
        # At the start: G 170000 (both moves of the 31st), S 50000.50, B 30000, L 40000, C 20000, E 99999.99,
        # Z 26000 (new on the start day); R churned before, N comes later. Up: B's reactivation, E's 1, S's 0.01;
        # down: G 100000, S 10000.25, Z 1000; churn: B, L, C. Retained: G, S, B, E, Z (5 of 7).
        "starting_arr": D("436000.49"), "expansion": D("20001.01"), "contraction": D("111000.25"),
        "churn": D("90000.00"), "nrr": D("58.5"), "grr": D("53.9"), "logo_retention": D("71.4"),
    }


def _report_csv(client) -> list[list[str]]:
    response = client.get(CSV)
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_the_report_reads_the_rows_and_shows_the_same_numbers(alice_client, tenant, ledger):
    live_csv, live_page = _report_csv(alice_client), alice_client.get(PAGE).context["report"]
    refresh_retention(tenant=tenant)
    with CaptureQueriesContext(connection) as queries:
        materialised_page = alice_client.get(PAGE).context["report"]
    assert "renewals_retentionwindowtotals" in " ".join(str(q["sql"]) for q in queries)
    assert "renewals_arrmovement" not in " ".join(str(q["sql"]) for q in queries if "churn_reason" not in str(q["sql"]))
    assert _report_csv(alice_client) == live_csv
    assert materialised_page.summary == live_page.summary and materialised_page.trend == live_page.trend
    assert materialised_page.months == live_page.months and materialised_page.segments == live_page.segments


def test_another_window_or_stale_rows_are_computed_live(alice_client, tenant, ledger):
    refresh_retention(tenant=tenant)
    chosen = f"{PAGE}?start=2025-06-15&end=2026-01-31"
    with CaptureQueriesContext(connection) as queries:
        report = alice_client.get(chosen).context["report"]
    assert "renewals_retentionwindowtotals" not in " ".join(str(q["sql"]) for q in queries)
    with tenant_context(tenant):
        assert report.summary == retention.retention(
            ledger_selectors.retention_totals(start=date(2025, 6, 15), end=date(2026, 1, 31)))
    RetentionWindowTotals.all_tenants.filter(tenant=tenant).update(starting_arr=D("1"))  # would show if read
    default_thresholds = tenant.segment_thresholds
    tenant.segment_thresholds = [{"key": "big", "label": "Big", "min_arr": "50000"}, {"key": "rest", "min_arr": "0"}]
    tenant.save()  # other thresholds: the starting segments no longer hold
    report = alice_client.get(PAGE).context["report"]
    assert [s.key for s in report.segments] == ["big", "rest"] and report.summary.starting_arr == D("436000.49")
    tenant.segment_thresholds = default_thresholds
    tenant.save()
    with time_machine.travel(datetime(2026, 3, 15, 12, tzinfo=UTC), tick=False):  # the next day, not refreshed yet
        assert alice_client.get(PAGE).context["report"].summary.starting_arr != D("1")


def test_a_refresh_is_idempotent_and_constant_in_queries(tenant, ledger):
    def run():
        with CaptureQueriesContext(connection) as queries:
            refresh_retention(tenant=tenant)
        return len(queries), sorted(RetentionWindowTotals.all_tenants.filter(tenant=tenant).values_list(
            "month", "segment", "csm_id", "start_segment", "starting_arr", "expansion", "contraction", "churn",
            "accounts", "retained"), key=str)

    first_count, first_rows = run()
    second_count, second_rows = run()
    assert first_rows == second_rows and first_count == second_count
    record = RetentionRefresh.all_tenants.get(tenant=tenant)
    assert record.as_of == TODAY and record.rows == len(first_rows)
    for i in range(30):
        account = AccountFactory(tenant=tenant, segment="smb")
        ArrMovement.all_tenants.create(tenant=tenant, account=account, date=date(2025, 1 + i % 12, 2), kind="new",
                                       amount=D(100 + i))
    assert run()[0] == first_count


def test_starting_segments_match_segment_for():
    thresholds = [{"key": "ent", "min_arr": "100000.005"}, {"key": "mid", "min_arr": "25000"}, {"key": "smb", "min_arr": "0"}]
    cents = np.array([0, 2499999, 2500000, 10000000, 10000001, 10000000000])
    assert list(starting_segments(cents, thresholds)) == [segment_for(D(int(c)) / 100, thresholds) for c in cents]


@settings(max_examples=60, deadline=None)
@given(ledgers(), st.dates(min_value=date(2024, 6, 1), max_value=date(2026, 3, 15)), st.integers(1, 14),
       st.lists(st.tuples(st.sampled_from(["a", "b"]), st.sampled_from([NO_CSM, 7])), min_size=6, max_size=6))
def test_grouped_sums_equal_the_definition_per_group(movements, today, months, groups):
    windows = retention.trailing_windows(today=today, months=months)
    accounts = pd.DataFrame([(i + 1, seg, csm) for i, (seg, csm) in enumerate(groups)],
                            columns=["account_id", "segment", "csm_id"])
    thresholds = [{"key": "big", "min_arr": "500"}, {"key": "small", "min_arr": "0"}]
    grouped = grouped_totals(buckets_of(movements, windows[-1].end), windows, accounts, thresholds)
    for position, window in enumerate(windows):
        for (segment, csm) in set(groups):
            members = {i + 1 for i, g in enumerate(groups) if g == (segment, csm)}
            expected = retention.totals_from_movements([m for m in movements if m.account_id in members],
                                                       start=window.start, end=window.end)
            part = grouped[(grouped["window"] == position) & (grouped["segment"] == segment) & (grouped["csm_id"] == csm)]
            got = retention.RetentionTotals(
                starting_arr=D(int(part["at_start"].sum())) / 100, expansion=D(int(part["up"].sum())) / 100,
                contraction=D(int(part["contraction"].sum())) / 100, churn=D(int(part["churn"].sum())) / 100,
                accounts=int(part["accounts"].sum()), retained=int(part["retained"].sum()))
            assert got == expected, (window, segment, csm)
