"""Every dashboard page runs the same number of queries with 3 accounts as with 30 (each with a CSM, a score
and its history, tickets, a renewal outcome, an open renewal, a task, an ARR ledger and a survey answer): the
portfolio unfiltered and filtered, a CSM's book, support, score validation and the retention report (whose
rows are materialised by the refresh), with a KPI target on every KPI of the catalogue (the portfolio's and
the support page's Targets panels)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dashboards import kpi_catalogue
from dashboards.kpi_refresh import refresh_kpi_actuals
from dashboards.refresh import refresh_all
from renewals.models import ArrMovement
from tenancy.context import tenant_context
from tenancy.models import Role
from tests.dashboards.conftest import at
from tests.factories import (
    AccountFactory,
    HealthSnapshotFactory,
    KpiTargetFactory,
    MembershipFactory,
    RenewalFactory,
    SurveyResponseFactory,
    TaskFactory,
    TicketFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
TODAY = date(2026, 3, 10)
D = Decimal


@pytest.fixture
def carol(tenant):
    user = UserFactory(email="carol@acme.example", full_name="Carol CSM")
    MembershipFactory(tenant=tenant, user=user, role=Role.CSM)
    return user


def _add_accounts(tenant, carol, start: int, count: int, *, kpi_actuals: bool = False) -> None:
    with tenant_context(tenant):
        for i in range(start, start + count):
            account = AccountFactory(tenant=tenant, name=f"Account {i}", segment=("enterprise", "smb")[i % 2],
                                     arr=D(1000 * (i + 1)), csm=carol if i % 3 else None,
                                     health_status=("green", "yellow", "red")[i % 3], health_score=D(20 + i))
            for day, score in (("2026-01-05 06:00", 80), ("2026-03-09 06:00", 20 + i)):
                HealthSnapshotFactory(account=account, computed_at=at(day), score=D(score),
                                      status="green" if score >= 80 else "red")
            TicketFactory(account=account, severity=1 + i % 4)
            RenewalFactory(account=account, contract_end=TODAY + timedelta(days=10 + i), forecast="at_risk", arr=D(1000))
            closed = RenewalFactory(account=account, contract_end=TODAY - timedelta(days=20 + i))
            type(closed).objects.filter(pk=closed.pk).update(stage="closed", outcome=("churned", "renewed")[i % 2],
                                                              closed_at=at("2026-02-15 10:00"))
            TaskFactory(account=account, owner=carol, due_date=TODAY - timedelta(days=1))
            SurveyResponseFactory(account=account, kind="nps", score=i % 11, responded_at=at("2026-03-01 10:00"))
            for day, kind, amount in ((date(2024, 5, 1), "new", 5000), (date(2025, 6, 30), "expansion", 100 + i),
                                      (date(2026, 1, 31), ("churn", "contraction")[i % 2], 5000 if i % 2 == 0 else 50)):
                ArrMovement.objects.create(account=account, date=day, kind=kind, amount=D(amount))
    refresh_all(tenant=tenant, full=True)
    refresh_all(tenant=tenant, full=True)  # a tenant's first refresh leaves the validation's observations to the next
    if kpi_actuals:
        refresh_kpi_actuals(tenant=tenant)  # the Targets panel's actuals, stored by the same refresh task


def _pages(carol) -> list[str]:
    return ["/dashboards/portfolio/", "/dashboards/portfolio/?segment=smb", f"/dashboards/portfolio/?csm={carol.pk}",
            "/dashboards/portfolio/?csm=none&segment=enterprise", f"/dashboards/my-book/?csm={carol.pk}",
            "/dashboards/support/?period=30", "/dashboards/support/?period=7&segment=smb",
            "/dashboards/score-validation/", "/renewals/retention/", "/renewals/retention/?start=2025-05-15&end=2026-02-01"]


def _counts(client, urls) -> dict[str, int]:
    counts = {}
    for url in urls:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200, url
        counts[url] = len(queries)
    return counts


@pytest.mark.parametrize("kpi_actuals", [False, True], ids=["live-actuals", "stored-actuals"])
def test_every_dashboard_page_runs_as_many_queries_with_3_or_30_accounts(alice_client, tenant, carol, frozen,
                                                                         kpi_actuals):
    urls = _pages(carol)
    with tenant_context(tenant):
        for kpi in kpi_catalogue.KPIS:
            KpiTargetFactory(tenant=tenant, metric=kpi.key, comparator=kpi.comparator.value, target=D("50"))
    _add_accounts(tenant, carol, 0, 3, kpi_actuals=kpi_actuals)
    _counts(alice_client, urls)  # warm-up (session, caches)
    few = _counts(alice_client, urls)
    _add_accounts(tenant, carol, 3, 27, kpi_actuals=kpi_actuals)
    many = _counts(alice_client, urls)
    assert many == few
    if kpi_actuals:  # the panel reads the refresh's stored actuals: 23 on every portfolio page, 11 on support
        assert max(count for url, count in many.items() if "portfolio" in url) <= 23
        assert max(count for url, count in many.items() if "support" in url) <= 11
    else:  # with every target, computed now: 26 unfiltered (reusing the page's tenant-wide figures), up to 32
        assert many["/dashboards/portfolio/"] <= 27
        assert max(count for url, count in many.items() if "portfolio" in url) <= 34
    assert many["/renewals/retention/"] <= 12 and many[f"/dashboards/my-book/?csm={carol.pk}"] <= 15
    assert many["/dashboards/support/?period=30"] <= 12 and many["/dashboards/score-validation/"] <= 10
