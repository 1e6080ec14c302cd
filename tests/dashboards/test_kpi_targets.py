# ruff: noqa: F811 (the imported `book` fixture is requested by name)
"""KPI targets beside the actual figures: every actual against the hand-computed portfolio fixture (frozen at
2026-03-10 12:00 UTC, see test_portfolio_pages.book), feature adoption's definition, no data, the panels on
the portfolio and support pages (query-count bound), and the admin-only settings pages."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from dashboards import kpi_catalogue, kpi_selectors
from dashboards.kpi_refresh import refresh_feature_adoption
from dashboards.models import KpiTarget
from tenancy.context import tenant_context
from tenancy.models import Role
from tests.dashboards.test_portfolio_pages import book  # noqa: F401 (the hand-computed fixture, used by name)
from tests.factories import AccountFactory, KpiTargetFactory, MembershipFactory, UserFactory, usage_series

pytestmark = pytest.mark.django_db
D = Decimal
TODAY = date(2026, 3, 10)
PORTFOLIO, SUPPORT, SETTINGS = "/dashboards/portfolio/", "/dashboards/support/", "/dashboards/targets/"
ALL_METRICS = [kpi.key for kpi in kpi_catalogue.KPIS]


def _features(account, metric, day, value=1.0):
    usage_series(account, metric, [value], end=day)


@pytest.fixture
def usage(book, tenant, other_tenant):
    """Anvil used feature:a and feature:b, Bolt feature:a (and feature:e at 0: not used), Cog reported usage but
    no feature, Dyno nothing. Outside: Anvil's feature:d on the window's excluded first day, the churned Ex's
    feature:c, Globex's feature:z. Key features {a, b}; three accounts; 2 + 1 + 0 used of 2 x 3 = 50.0%."""
    anvil, bolt, cog = book["anvil"], book["bolt"], book["cog"]
    _features(anvil, "feature:a", date(2026, 3, 9))
    _features(anvil, "feature:b", date(2025, 12, 11))  # the window's first day (90 days to today)
    _features(anvil, "feature:d", date(2025, 12, 10))  # a day too early
    _features(bolt, "feature:a", date(2026, 3, 1), 7)
    _features(bolt, "feature:e", date(2026, 3, 1), 0)
    _features(cog, "active_users", date(2026, 3, 2), 12)
    with tenant_context(tenant):
        ex = AccountFactory(tenant=tenant, name="Ex user", status="churned")
    _features(ex, "feature:c", date(2026, 3, 2))
    _features(AccountFactory(tenant=other_tenant), "feature:z", date(2026, 3, 2))
    refresh_feature_adoption(tenant=tenant)  # what the day's first refresh materialises


def test_every_actual_is_the_hand_computed_one(book, usage, tenant):
    with tenant_context(tenant):
        values = kpi_selectors.actuals(metrics=ALL_METRICS, today=TODAY)
    assert values == {
        # ARR ledger from 2025-03-31: 120,000 start, +10,000 expansion, -20,000 churn, 1 of 2 logos kept
        "nrr": D("91.7"), "grr": D("83.3"), "logo_retention": D("50.0"), "expansion_rate": D("8.3"),
        # scored active accounts: Anvil 30 (red), Bolt 85 (green), Cog 65 (yellow); Dyno unscored
        "avg_health": D("60.0"), "share_green": D("33.3"),
        # Anvil (red, renewal at risk) and Dyno (renewal at risk) of four active accounts
        "share_at_risk": D("50.0"),
        "time_to_value_days": 25, "time_to_value_avg_days": 25.0, "operational_by_week_8": 50.0,
        "feature_adoption_90d": D("50.0"),
        "nps": values["nps"], "csat": D("4.50"), "csat_satisfied": values["csat_satisfied"],
        # no ticket answered, resolved or breached in the fixture: no data
        "sla_response_met": None, "sla_resolution_met": None, "response_median_hours": None,
        "resolution_median_hours": None,
    }
    assert values["nps"] == 0 and values["csat_satisfied"] == 100  # one promoter, one detractor; a 4 and a 5


def test_retention_actuals_read_the_materialised_rows_once_refreshed(book, tenant):
    """After the retention refresh the panel reads the rows the portfolio page reads (no ledger scan), with the
    same figures as the live ledger."""
    from renewals.retention_refresh import refresh_retention

    metrics = ["nrr", "grr", "logo_retention", "expansion_rate"]
    with tenant_context(tenant):
        live = kpi_selectors.actuals(metrics=metrics, today=TODAY)
        refresh_retention(tenant=tenant)
        with CaptureQueriesContext(connection) as queries:
            materialised = kpi_selectors.actuals(metrics=metrics, today=TODAY)
    assert materialised == live == {"nrr": D("91.7"), "grr": D("83.3"), "logo_retention": D("50.0"),
                                    "expansion_rate": D("8.3")}
    assert not any("renewals_arrmovement" in q["sql"] for q in queries.captured_queries)


def test_nothing_to_compute_from_is_no_data_not_off_track(tenant, frozen):
    with tenant_context(tenant):
        for metric in ALL_METRICS:
            KpiTargetFactory(tenant=tenant, metric=metric, comparator=kpi_catalogue.BY_KEY[metric].comparator.value,
                             target=D("1"))
        panel = kpi_selectors.targets_panel(today=TODAY)
    assert [r["kpi"].key for r in panel["rows"]] == ALL_METRICS  # the catalogue's order
    assert {r["status"] for r in panel["rows"]} == {"no_data"}
    assert (panel["on_track"], panel["off_track"], panel["no_data"]) == (0, 0, len(ALL_METRICS))
    assert {r["actual_text"] for r in panel["rows"]} == {"no data"}


def test_support_actuals_from_the_support_aggregates(tenant, support_history):
    """support_history (conftest): over the 30 days to 2026-03-10, responses: t1 met (30 min), t2 breached
    (answered after 2 h), t3 breached unanswered; resolutions: t1 met (4 h), t4 breached. Response median of
    30 and 120 minutes read off the histogram buckets [16, 32) and [64, 128)."""
    from dashboards.refresh import refresh_all

    refresh_all(tenant=tenant)
    with tenant_context(tenant):
        values = kpi_selectors.actuals(metrics=["sla_response_met", "sla_resolution_met", "response_median_hours",
                                                "resolution_median_hours"], today=TODAY)
    assert values["sla_response_met"] == 33.3 and values["sla_resolution_met"] == 50.0
    assert values["response_median_hours"] is not None and D("0.2") <= values["response_median_hours"] <= D("2.2")
    assert values["resolution_median_hours"] is not None


@pytest.fixture
def targets(book, usage, tenant):
    with tenant_context(tenant):
        for metric, comparator, target in [("nrr", "at_least", "115"), ("grr", "at_least", "83.3"),
                                           ("share_at_risk", "at_most", "5"), ("csat", "at_least", "4.5"),
                                           ("feature_adoption_90d", "at_least", "60"),
                                           ("time_to_value_days", "at_most", "30"),
                                           ("sla_response_met", "at_least", "95")]:
            KpiTargetFactory(tenant=tenant, metric=metric, comparator=comparator, target=D(target))


def test_the_portfolio_panel_shows_each_target_its_actual_and_status_with_links(alice_client, targets):
    response = alice_client.get(PORTFOLIO)
    panel = response.context["targets"]
    rows = {r["kpi"].key: (r["actual_text"], r["status"]) for r in panel["rows"]}
    assert rows == {"nrr": ("91.7%", "off_track"), "grr": ("83.3%", "on_track"),  # exactly at target
                    "share_at_risk": ("50.0%", "off_track"), "time_to_value_days": ("25 days", "on_track"),
                    "feature_adoption_90d": ("50.0%", "off_track"), "csat": ("4.50 / 5", "on_track"),
                    "sla_response_met": ("no data", "no_data")}
    html = response.content.decode()
    assert 'id="targets-h"' in html and "3 on track, 3 off track, 1 with no data yet" in html
    assert "Off track</span>" in html and "On track</span>" in html and "No data</span>" in html  # words, not colour
    assert '<a href="/renewals/retention/">91.7%</a>' in html and '<a href="/surveys/report/">4.50 / 5</a>' in html
    assert '<a href="/dashboards/portfolio/#at-risk-h">50.0%</a>' in html
    assert '<a href="/onboarding/">25 days</a>' in html
    assert 'href="/dashboards/targets/"' in html  # the admin may edit them


def test_the_support_page_shows_only_the_support_targets(alice_client, targets):
    response = alice_client.get(SUPPORT)
    assert [r["kpi"].key for r in response.context["targets"]["rows"]] == ["csat", "sla_response_met"]


def test_a_tenant_without_targets_says_so(alice_client, book):
    response = alice_client.get(PORTFOLIO)
    assert response.context["targets"]["rows"] == []
    assert "No KPI targets set" in response.content.decode()


def test_a_vp_sees_the_panel_without_the_edit_link(tenant, targets):
    vp = UserFactory(email="vera@acme.example")
    MembershipFactory(tenant=tenant, user=vp, role=Role.VP)
    client = Client()
    client.force_login(vp)
    html = client.get(PORTFOLIO).content.decode()
    assert 'id="targets-h"' in html and 'href="/dashboards/targets/"' not in html


def test_portfolio_query_count_is_bounded_with_every_target(alice_client, book, usage, tenant):
    with CaptureQueriesContext(connection) as without:
        alice_client.get(PORTFOLIO)
    with tenant_context(tenant):
        for metric in ALL_METRICS:
            KpiTargetFactory(tenant=tenant, metric=metric, comparator="at_least", target=D("1"))
    with CaptureQueriesContext(connection) as with_all:
        assert alice_client.get(PORTFOLIO).status_code == 200
    added = len(with_all) - len(without)
    assert added <= 12, [q["sql"][:120] for q in with_all.captured_queries[len(without):]]
    with tenant_context(tenant):  # more data, same count
        for n in range(5):
            usage_series(AccountFactory(tenant=tenant), f"feature:x{n}", [1, 2, 3], end=date(2026, 3, 9))
    with CaptureQueriesContext(connection) as more:
        alice_client.get(PORTFOLIO)
    assert len(more) == len(with_all)


def _every_target(tenant):
    with tenant_context(tenant):
        for metric in ALL_METRICS:
            KpiTargetFactory(tenant=tenant, metric=metric, comparator="at_least", target=D("50"))


def _panel_figures(panel):
    return [(r["kpi"].key, r["actual"], r["status"], r["href"]) for r in panel["rows"]]


@pytest.mark.parametrize("materialised", [False, True])
def test_the_portfolio_panel_reusing_the_pages_figures_is_the_panel_on_its_own(alice_client, book, usage, tenant,
                                                                                materialised):
    """The page hands the panel the figures it computed already (surveys, SLA, onboarding, retention) when they
    are tenant-wide: the panel reads the same, with fewer queries; filtered pages leave the panel to compute."""
    from dashboards.refresh import refresh_all

    _every_target(tenant)
    if materialised:
        refresh_all(tenant=tenant, full=True)
    with tenant_context(tenant):
        alone = _panel_figures(kpi_selectors.targets_panel(today=TODAY))
    assert {key for key, actual, *_ in alone if actual is not None} >= {"nrr", "csat", "time_to_value_days", "nps"}
    for query in ("", "?segment=smb", "?csm=none", "?segment=enterprise&csm=none"):
        response = alice_client.get(f"{PORTFOLIO}{query}")
        assert _panel_figures(response.context["targets"]) == alone, query


def test_the_support_panel_reusing_the_pages_sla_figures_is_the_panel_on_its_own(alice_client, tenant, support_history):
    from dashboards.refresh import refresh_all

    refresh_all(tenant=tenant)
    _every_target(tenant)
    with tenant_context(tenant):
        alone = _panel_figures(kpi_selectors.targets_panel(today=TODAY, sources=kpi_catalogue.SUPPORT_SOURCES))
    assert [actual for key, actual, *_ in alone if key == "sla_response_met"] == [33.3]
    for query in ("?period=30", "?period=7", "?period=30&segment=smb"):
        response = alice_client.get(f"{SUPPORT}{query}")
        assert _panel_figures(response.context["targets"]) == alone, query


# --------------------------------------------------------------------------- the settings pages


def test_admin_adds_edits_and_removes_a_target(alice_client, tenant, frozen):
    response = alice_client.post(f"{SETTINGS}new/", {"metric": "nps", "comparator": "at_least", "target": "50",
                                                     "note": "Handbook: NPS 50+"})
    assert response.status_code == 302 and response["Location"] == SETTINGS
    target = KpiTarget.all_tenants.get()
    assert (target.tenant_id, target.metric, target.target, target.note) == (tenant.pk, "nps", D("50.00"),
                                                                             "Handbook: NPS 50+")
    page = alice_client.get(SETTINGS)
    assert page.status_code == 200 and "NPS" in page.content.decode() and "At least 50.0" in page.content.decode()
    assert alice_client.get(f"{SETTINGS}{target.pk}/").status_code == 200
    response = alice_client.post(f"{SETTINGS}{target.pk}/", {"metric": "nps", "comparator": "at_least",
                                                             "target": "60"})
    assert response.status_code == 302
    target.refresh_from_db()
    assert target.target == D("60.00") and target.note == ""
    assert alice_client.post(f"{SETTINGS}{target.pk}/delete/").status_code == 302
    assert not KpiTarget.all_tenants.exists()


@pytest.mark.parametrize(("data", "field", "message"), [
    ({"metric": "churn_vibes"}, "metric", "Select a valid choice"),
    ({"target": "abc"}, "target", "Enter a number"),
    ({"target": "101"}, "target", "between 0.0% and 100.0%"),
    ({"target": "95.123"}, "target", "decimal places"),
    ({"comparator": "about"}, "comparator", "Select a valid choice"),
])
def test_bad_input_rerenders_with_the_message_and_writes_nothing(alice_client, data, field, message, frozen):
    body = {"metric": "grr", "comparator": "at_least", "target": "95", **data}
    response = alice_client.post(f"{SETTINGS}new/", body)
    assert response.status_code == 400
    assert field in response.context["form"].errors and message in response.content.decode()
    assert not KpiTarget.all_tenants.exists()


def test_a_second_target_for_the_same_kpi_is_refused(alice_client, tenant, frozen):
    KpiTargetFactory(tenant=tenant, metric="grr", target=D("95"))
    response = alice_client.post(f"{SETTINGS}new/", {"metric": "grr", "comparator": "at_least", "target": "90"})
    assert response.status_code == 400 and "already has a target" in response.content.decode()
    assert list(KpiTarget.all_tenants.values_list("target", flat=True)) == [D("95.00")]


@pytest.mark.parametrize("role", [Role.VP, Role.CSM, Role.SUPPORT_MANAGER, Role.VIEWER])
def test_only_admins_reach_the_settings(tenant, member, role):
    target = KpiTargetFactory(tenant=tenant)
    client = Client()
    client.force_login(member(role))
    for method, url in [("get", SETTINGS), ("get", f"{SETTINGS}new/"), ("post", f"{SETTINGS}new/"),
                        ("get", f"{SETTINGS}{target.pk}/"), ("post", f"{SETTINGS}{target.pk}/delete/")]:
        assert getattr(client, method)(url).status_code == 403, url
    assert KpiTarget.all_tenants.count() == 1


def test_another_tenants_target_is_404(alice_client, other_tenant):
    theirs = KpiTargetFactory(tenant=other_tenant)
    assert alice_client.get(f"{SETTINGS}{theirs.pk}/").status_code == 404
    assert alice_client.post(f"{SETTINGS}{theirs.pk}/", {"metric": "nrr", "comparator": "at_least",
                                                        "target": "1"}).status_code == 404
    assert alice_client.post(f"{SETTINGS}{theirs.pk}/delete/").status_code == 404
    assert "Globex" not in alice_client.get(SETTINGS).content.decode()
    theirs.refresh_from_db()
    assert theirs.target == D("115.00")


def test_the_settings_index_links_admins_to_the_targets(alice_client, tenant, member):
    assert 'href="/dashboards/targets/"' in alice_client.get("/settings/").content.decode()
    client = Client()
    client.force_login(member(Role.VP))
    assert 'href="/dashboards/targets/"' not in client.get("/settings/").content.decode()



# --------------------------------------------------------------------------- actuals stored by the refresh

SOURCE_TABLES = ("advocacy_surveyresponse", "renewals_arrmovement", "accounts_account", "health_usage",
                 "tickets_ticket", "dashboards_supportperiod", "dashboards_supportday", "dashboards_portfolioday",
                 "dashboards_featureadoptionday", "onboarding_")


def test_stored_actuals_are_the_live_ones(book, usage, tenant):
    from dashboards.kpi_refresh import refresh_kpi_actuals
    from dashboards.models import KpiActuals

    _every_target(tenant)
    with tenant_context(tenant):
        live = kpi_selectors.actuals(metrics=ALL_METRICS, today=TODAY)
    assert refresh_kpi_actuals(tenant=tenant)["rows"] == len(ALL_METRICS)
    stored = KpiActuals.all_tenants.get(tenant=tenant)
    assert stored.day == TODAY
    assert kpi_selectors.decode_actuals(stored.values) == live  # same values, same types
    assert live["nrr"] == D("91.7") and live["sla_response_met"] is None


def test_the_panel_reads_the_stored_row_without_touching_the_sources(alice_client, book, usage, tenant):
    from dashboards.kpi_refresh import refresh_kpi_actuals

    _every_target(tenant)
    with tenant_context(tenant):
        live = _panel_figures(kpi_selectors.targets_panel(today=TODAY))
    refresh_kpi_actuals(tenant=tenant)
    with tenant_context(tenant), CaptureQueriesContext(connection) as queries:
        panel = kpi_selectors.targets_panel(today=TODAY)
    assert _panel_figures(panel) == live and panel["computed_at"] is not None
    touched = [q["sql"][:120] for q in queries.captured_queries if any(t in q["sql"] for t in SOURCE_TABLES)]
    assert touched == [] and len(queries) <= 3  # the targets, the stored row (and the bands, for the links)
    html = alice_client.get(PORTFOLIO).content.decode()
    assert "refreshed every 5 minutes" in html.split('id="targets-h"')[1]


def test_the_panel_computes_what_is_not_stored_for_today(book, usage, tenant):
    """No refresh yet, the stored row of another day, or a target added since: computed now."""
    from dashboards.kpi_refresh import refresh_kpi_actuals
    from dashboards.models import KpiActuals

    with tenant_context(tenant):
        KpiTargetFactory(tenant=tenant, metric="nrr", comparator="at_least", target=D("115"))
        panel = kpi_selectors.targets_panel(today=TODAY)
    assert [r["actual"] for r in panel["rows"]] == [D("91.7")] and panel["computed_at"] is None
    refresh_kpi_actuals(tenant=tenant)
    KpiActuals.all_tenants.filter(tenant=tenant).update(values={"nrr": "12.3"})  # marks what is read from it
    with tenant_context(tenant):
        assert [r["actual"] for r in kpi_selectors.targets_panel(today=TODAY)["rows"]] == [D("12.3")]
        tomorrow = kpi_selectors.targets_panel(today=date(2026, 3, 11))  # the stored row is of the 10th
        assert [r["actual"] for r in tomorrow["rows"]] == [D("91.7")] and tomorrow["computed_at"] is None
        KpiTargetFactory(tenant=tenant, metric="csat", comparator="at_least", target=D("4"))
        panel = kpi_selectors.targets_panel(today=TODAY)
    assert [(r["kpi"].key, r["actual"]) for r in panel["rows"]] == [("nrr", D("12.3")), ("csat", D("4.50"))]
    assert panel["computed_at"] is None  # part of it computed now
