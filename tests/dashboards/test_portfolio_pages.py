"""The VP portfolio and the CSM book: every figure against a hand-computed fixture (frozen at 2026-03-10 12:00
UTC), filters in the URL, links to the lists behind the numbers, CSV, cross-tenant isolation and query counts
that stay constant as the data grows."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import Account
from dashboards import attention
from dashboards.refresh import refresh_all
from onboarding.models import OnboardingPlan
from renewals.models import ArrMovement
from tenancy.context import tenant_context
from tenancy.models import Role
from tests.dashboards.conftest import at
from tests.factories import (
    AccountFactory,
    HealthSnapshotFactory,
    MembershipFactory,
    OpportunityFactory,
    RenewalFactory,
    SurveyResponseFactory,
    TaskFactory,
    TicketFactory,
    UserFactory,
)
from tests.factories.onboarding import make_plan, make_template

pytestmark = pytest.mark.django_db
PORTFOLIO, BOOK = "/dashboards/portfolio/", "/dashboards/my-book/"
TODAY = date(2026, 3, 10)
D = Decimal


def _csm(tenant, email, name):
    user = UserFactory(email=email, full_name=name)
    MembershipFactory(tenant=tenant, user=user, role=Role.CSM)
    return user


def _account(tenant, name, segment, arr, csm, band=None, score=None, **fields):
    account = AccountFactory(tenant=tenant, name=name, segment=segment, arr=D(arr), csm=csm, **fields)
    Account.all_tenants.filter(pk=account.pk).update(health_status=band, health_score=score)
    return account


@pytest.fixture
def book(tenant, other_tenant, frozen):
    """Acme: Carol owns Anvil (red, renewal at risk in 30 days, an overdue task, an open Sev1) and Bolt (green but
    15 points down in 30 days, a detractor); Dave owns Cog (yellow, renewal commit in 60 days, an overdue task);
    Dyno has no CSM, no score and a renewal at risk in 200 days; Ex churned. Globex has a red account at risk."""
    carol, dave = _csm(tenant, "carol@acme.example", "Carol CSM"), _csm(tenant, "dave@acme.example", "Dave CSM")
    anvil = _account(tenant, "Anvil", "enterprise", "100000", carol, "red", D("30"))
    bolt = _account(tenant, "Bolt", "enterprise", "50000", carol, "green", D("85"))
    cog = _account(tenant, "Cog", "smb", "20000", dave, "yellow", D("65"))
    dyno = _account(tenant, "Dyno", "smb", "10000", None)
    _account(tenant, "Ex", "smb", "5000", carol, "red", D("10"), status="churned")
    theirs = _account(other_tenant, "Globex red", "enterprise", "999000", None, "red", D("5"))
    RenewalFactory(account=anvil, contract_end=TODAY + timedelta(days=30), forecast="at_risk", arr=D("100000"))
    RenewalFactory(account=cog, contract_end=TODAY + timedelta(days=60), forecast="commit", arr=D("20000"))
    RenewalFactory(account=bolt, contract_end=TODAY + timedelta(days=120), forecast="probable", arr=D("50000"))
    RenewalFactory(account=dyno, contract_end=TODAY + timedelta(days=200), forecast="at_risk", arr=D("10000"))
    RenewalFactory(account=cog, contract_end=TODAY - timedelta(days=300), stage="closed", forecast="at_risk")
    RenewalFactory(account=theirs, contract_end=TODAY + timedelta(days=10), forecast="at_risk", arr=D("999000"))
    TaskFactory(account=anvil, owner=carol, title="Call the sponsor", due_date=TODAY - timedelta(days=2))
    TaskFactory(account=anvil, owner=carol, title="Send the QBR deck", due_date=TODAY + timedelta(days=3))
    TaskFactory(account=anvil, owner=carol, title="Later", due_date=TODAY + timedelta(days=30))
    TaskFactory(account=cog, owner=dave, title="Chase the invoice", due_date=TODAY - timedelta(days=1))
    TaskFactory(account=bolt, owner=carol, title="Done already", due_date=TODAY - timedelta(days=5), status="done")
    TicketFactory(account=anvil, severity=1)
    TicketFactory(account=bolt, severity=3)
    HealthSnapshotFactory(account=bolt, computed_at=at("2026-01-20 06:00"), score=D("100"), status="green")
    HealthSnapshotFactory(account=bolt, computed_at=at("2026-03-09 06:00"), score=D("85"), status="green")
    SurveyResponseFactory(account=bolt, kind="nps", score=3, responded_at=at("2026-02-28 10:00"))
    SurveyResponseFactory(account=cog, kind="nps", score=10, responded_at=at("2026-02-18 10:00"))
    SurveyResponseFactory(account=cog, kind="nps", score=2, responded_at=at("2025-11-01 10:00"))  # over 90 days
    SurveyResponseFactory(account=bolt, kind="csat", score=4, responded_at=at("2026-03-01 10:00"))
    SurveyResponseFactory(account=cog, kind="csat", score=5, responded_at=at("2026-03-02 10:00"))
    OpportunityFactory(account=anvil, owner=carol, stage="proposal", amount=D("10000"))  # 65% -> 6,500
    OpportunityFactory(account=cog, owner=dave, stage="identify", amount=D("20000"))  # 10% -> 2,000
    for account, day, kind, amount in [(anvil, date(2025, 1, 15), "new", "100000"),
                                       (anvil, date(2025, 6, 1), "expansion", "10000"),
                                       (cog, date(2025, 1, 15), "new", "20000"),
                                       (cog, date(2025, 12, 1), "churn", "20000")]:
        ArrMovement.objects.create(tenant=tenant, account=account, date=day, kind=kind, amount=D(amount))
    template = make_template(tenant)
    late = make_plan(anvil, template=template, start_date=date(2026, 1, 5))  # 64 days, not live: not operational
    live = make_plan(cog, template=template, start_date=date(2025, 12, 1))
    OnboardingPlan.all_tenants.filter(pk=late.pk).update(owner=carol)
    OnboardingPlan.all_tenants.filter(pk=live.pk).update(go_live_date=date(2026, 1, 10), time_to_value_days=25,
                                                         owner=dave)
    refresh_all(tenant=tenant)
    refresh_all(tenant=other_tenant)
    return {"carol": carol, "dave": dave, "anvil": anvil, "bolt": bolt, "cog": cog, "dyno": dyno, "late": late}


def test_portfolio_figures_are_the_hand_computed_ones(alice_client, book):
    response = alice_client.get(PORTFOLIO)
    assert response.status_code == 200
    ctx = response.context
    assert {r["key"]: (r["accounts"], r["arr"]) for r in ctx["band_rows"]} == {
        "green": (1, D("50000")), "yellow": (1, D("20000")), "red": (1, D("100000")), "": (1, D("10000"))}
    assert {r["key"]: (r["accounts"], r["arr"]) for r in ctx["segment_rows"]} == {
        "enterprise": (2, D("150000")), "smb": (2, D("30000"))}  # Ex churned: not counted
    at_risk = ctx["at_risk"]
    assert (at_risk["accounts"], at_risk["arr"]) == (2, D("110000"))
    assert [(a.name, a.reasons) for a in at_risk["top"]] == [("Anvil", ["bottom band", "renewal at risk"]),
                                                              ("Dyno", ["renewal at risk"])]
    current = ctx["retention"]["current"]  # from 2025-03-31: 120,000 start, +10,000, -20,000 churn, 1 of 2 logos
    assert (current.nrr, current.grr, current.logo_retention) == (D("91.7"), D("83.3"), D("50.0"))
    assert {r["forecast"]: (r["count"], r["arr"]) for r in ctx["renewals"]} == {
        "commit": (1, D("20000")), "probable": (0, 0), "at_risk": (1, D("100000")), "lost": (0, 0)}
    assert (ctx["pipeline"].count, ctx["pipeline"].weighted) == (2, D("8500.00"))
    assert (ctx["nps"]["responses"], ctx["nps"]["nps"]) == (2, 0)  # one promoter, one detractor
    assert ctx["csat"]["average"] == D("4.50")
    assert ctx["onboarding"]["operational_by_week_8"] == {"operational": 1, "eligible": 2, "share": 50.0}
    assert ctx["onboarding"]["time_to_value"]["median"] == 25
    assert {f.key: f.opened for f in ctx["sla"]} == {1: 1, 3: 1}
    team = {b["name"]: (b["accounts"], b["arr"], b["red"], b["overdue"], b["renewals_at_risk"],
                        b["renewals_at_risk_arr"]) for b in ctx["team"]}
    assert team == {"Carol CSM": (2, D("150000"), 1, 1, 1, D("100000")), "Dave CSM": (1, D("20000"), 0, 1, 0, 0),
                    "No CSM": (1, D("10000"), 0, 0, 1, D("10000"))}
    html = response.content.decode()
    assert "Globex" not in html and "999" not in html
    assert "Updated" in html  # freshness from DashboardRefresh
    assert f'/accounts/{book["anvil"].pk}/' in html  # each at-risk account links to itself
    assert '/renewals/?forecast=at_risk"' in html and 'href="/renewals/retention/"' in html
    assert 'href="/surveys/report/"' in html and "/accounts/?health_status=red" in html
    assert "<svg" in html and "the numbers</summary>" in html


@pytest.mark.parametrize(("query", "accounts", "renewals_at_risk"), [
    ("segment=smb", 2, 0), ("segment=enterprise", 2, 1), ("csm=none", 1, 0),
])
def test_portfolio_filters_come_from_the_url(alice_client, book, query, accounts, renewals_at_risk):
    response = alice_client.get(f"{PORTFOLIO}?{query}")
    ctx = response.context
    assert ctx["mix"]["accounts"] == accounts
    assert {r["forecast"]: r["count"] for r in ctx["renewals"]}["at_risk"] == renewals_at_risk
    assert f"/dashboards/portfolio/export.csv?{query}" in response.content.decode()


def test_portfolio_csm_filter_narrows_every_source_that_supports_it(alice_client, book):
    ctx = alice_client.get(f"{PORTFOLIO}?csm={book['carol'].pk}").context
    assert (ctx["mix"]["accounts"], ctx["at_risk"]["arr"], ctx["pipeline"].weighted) == (2, D("100000"), D("6500.00"))
    assert [b["name"] for b in ctx["team"]] == ["Carol CSM"]


def test_portfolio_csv(alice_client, book):
    response = alice_client.get(f"{PORTFOLIO}export.csv")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    text = response.content.decode()
    assert "At-risk ARR,,2,110000" in text and "Carol CSM,2,150000" in text and "Globex" not in text


def test_carols_book_ranks_accounts_with_their_reasons(book):
    client = Client()
    client.force_login(book["carol"])
    response = client.get(BOOK)
    assert response.status_code == 200
    ctx = response.context
    assert ctx["owner"] == book["carol"] and ctx["mine"]
    rows = [(r.name, r.score, r.reasons) for r in ctx["attention"]]
    assert rows == [
        ("Anvil", 9, [("health in the bottom band", 3), ("renewal in 30 days", 2), ("renewal forecast at risk", 1),
                      ("1 overdue task", 1), ("1 open Sev1/2 ticket", 2)]),
        ("Bolt", 4, [("health fell 15 points in 30 days", 2), ("NPS detractor in the last 90 days", 2)]),
    ]
    assert [r.account.name for r in ctx["renewals"]] == ["Anvil"]  # Bolt's ends in 120 days
    assert [p.pk for p in ctx["plans"]] == [book["late"].pk]
    assert [t.title for t in ctx["tasks"]] == ["Call the sponsor", "Send the QBR deck"]
    html = response.content.decode()
    assert f'/accounts/{book["anvil"].pk}/' in html and "Cog" not in html


def test_a_csm_cannot_open_another_book_but_the_admin_can(book, alice_client):
    client = Client()
    client.force_login(book["carol"])
    assert client.get(f"{BOOK}?csm={book['dave'].pk}").context["owner"] == book["carol"]
    response = alice_client.get(f"{BOOK}?csm={book['dave'].pk}")
    assert [r.name for r in response.context["attention"]] == ["Cog"]
    assert [r[0] for r in response.context["attention"][0].reasons] == ["renewal in 60 days", "1 overdue task"]


def test_a_big_book_shows_the_highest_ranked_and_says_how_many_more(book, monkeypatch):
    from dashboards import portfolio_page

    monkeypatch.setattr(portfolio_page, "ATTENTION_SHOWN", 1)
    client = Client()
    client.force_login(book["carol"])
    response = client.get(BOOK)
    assert [r.name for r in response.context["attention"]] == ["Anvil"] and response.context["attention_total"] == 2
    assert "The 1 highest of 2 accounts with a signal" in response.content.decode()


def test_another_tenants_member_is_404(alice_client, book, bob):
    assert alice_client.get(f"{BOOK}?csm={bob.pk}").status_code == 404
    assert alice_client.get(f"{BOOK}?csm=abc").status_code == 404


def test_attention_needs_no_signal_to_stay_off():
    row = {"id": 1, "name": "Quiet", "arr": D("1"), "health_score": D("90"), "health_status": "green",
           "earlier_score": D("95"), "renewal_end": None, "renewal_at_risk": True, "overdue": 5,
           "urgent_tickets": 0, "detractor": False}
    assessed = attention.assess(row, today=TODAY, bottom_band="red")
    assert (assessed.score, assessed.reasons) == (3, [("5 overdue tasks", 3)])  # capped; a 5-point dip is no fall


def _grow(tenant, carol, n):
    with tenant_context(tenant):
        for i in range(n):
            account = _account(tenant, f"More {n}-{i}", "smb", "1000", carol, "red", D("20"))
            RenewalFactory(account=account, contract_end=TODAY + timedelta(days=10 + i), forecast="at_risk")
            TaskFactory(account=account, owner=carol, due_date=TODAY - timedelta(days=1))
            TicketFactory(account=account, severity=2)
            make_plan(account, start_date=date(2026, 2, 1))
    refresh_all(tenant=tenant)


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_query_counts_do_not_grow_with_the_data(alice_client, tenant, book):
    carol_url = f"{BOOK}?csm={book['carol'].pk}"
    before = (_count(alice_client, PORTFOLIO), _count(alice_client, carol_url))
    _grow(tenant, book["carol"], 6)
    after = (_count(alice_client, PORTFOLIO), _count(alice_client, carol_url))
    assert before == after, (before, after)
    assert after[0] <= 30 and after[1] <= 15


def test_htmx_filter_swaps_only_the_results_and_bad_filters_are_ignored(alice_client, book):
    response = alice_client.get(f"{PORTFOLIO}?segment=nope&csm=x1", HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200 and html.lstrip().startswith('<div id="results">') and "<h1>" not in html
    assert response.context["filters"] == response.context["filters"].__class__()  # both ignored: everyone
    assert response.context["mix"]["accounts"] == 4
