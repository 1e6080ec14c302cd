"""In a real browser: the VP opens the portfolio from the dashboard, filters it, follows a number to its list;
a CSM opens their book and follows an account. Checked with axe (tests/browser_support.shot); screenshots go to
tests/artifacts/."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import Account
from dashboards.refresh import refresh_all
from renewals.models import ArrMovement
from tenancy.models import Role
from tests.browser_support import BROWSER_MARKS, shot
from tests.dashboards.test_dashboards_browser import _sign_in
from tests.factories import (
    AccountFactory,
    HealthSnapshotFactory,
    OpportunityFactory,
    RenewalFactory,
    SurveyResponseFactory,
    TaskFactory,
    TicketFactory,
)
from tests.factories.tenancy import MembershipFactory, TenantFactory, UserFactory

pytestmark = BROWSER_MARKS


@pytest.fixture
def world(transactional_db):
    tenant = TenantFactory(slug="acme-book", name="Acme Corp")
    vp = UserFactory(email="vp@acme-book.example", full_name="Vera VP")
    MembershipFactory(tenant=tenant, user=vp, role=Role.VP)
    csm = UserFactory(email="cara@acme-book.example", full_name="Cara CSM")
    MembershipFactory(tenant=tenant, user=csm, role=Role.CSM)
    now = timezone.now()
    today = now.date()
    rows = [("Initech", "enterprise", "180000", "red", "32"), ("Hooli", "mid_market", "40000", "green", "82"),
            ("Falcon Networks", "smb", "9000", "yellow", "64"), ("Umbrella", "enterprise", "120000", "green", "90")]
    for i, (name, segment, arr, band, score) in enumerate(rows):
        account = AccountFactory(tenant=tenant, name=name, segment=segment, arr=Decimal(arr), csm=csm if i < 3 else vp)
        Account.all_tenants.filter(pk=account.pk).update(health_status=band, health_score=Decimal(score))
        HealthSnapshotFactory(account=account, computed_at=now - timedelta(days=40), score=Decimal(score) + 15, status=band)
        RenewalFactory(account=account, contract_end=today + timedelta(days=20 + 25 * i),
                       forecast=["at_risk", "commit", "probable", "commit"][i], arr=Decimal(arr))
        TaskFactory(account=account, owner=csm, title=f"Follow up with {name}", due_date=today + timedelta(days=i - 2))
        TicketFactory(account=account, severity=1 + i)
        SurveyResponseFactory(account=account, kind="nps", score=[3, 9, 10, 8][i], responded_at=now - timedelta(days=5))
        ArrMovement.objects.create(tenant=tenant, account=account, date=today - timedelta(days=500), kind="new",
                                   amount=Decimal(arr))
        OpportunityFactory(account=account, owner=csm, stage="proposal", amount=Decimal("15000"))
    refresh_all(tenant=tenant)
    return {"tenant": tenant, "vp": vp, "csm": csm}


def test_the_vp_portfolio(live_server, world, browser_page):
    page = browser_page
    _sign_in(page, live_server.url, world["vp"])
    page.wait_for_url(f"{live_server.url}/dashboards/portfolio/")  # a VP's landing page
    assert "Updated" in page.inner_text("#freshness")
    assert "Initech" in page.inner_text("#at-risk")
    assert "Cara CSM" in page.inner_text("#team")
    shot(page, "dashboards-portfolio")

    page.select_option("#f-segment", "enterprise")
    page.wait_for_url("**/dashboards/portfolio/?segment=enterprise**")
    page.wait_for_function("document.querySelector('[data-testid=portfolio-accounts]').innerText.trim() === '2'")
    shot(page, "dashboards-portfolio-enterprise")
    page.click("[data-testid=portfolio-accounts]")
    page.wait_for_url("**/accounts/?segment=enterprise**")
    main = page.inner_text("main")
    assert "Initech" in main and "Umbrella" in main and "Hooli" not in main
    assert not page.console_errors, page.console_errors


def test_the_csm_book(live_server, world, browser_page):
    page = browser_page
    _sign_in(page, live_server.url, world["csm"])
    page.wait_for_url(f"{live_server.url}/dashboards/my-book/")  # a CSM's landing page
    first = page.inner_text("#attention tbody tr:first-child")
    assert "Initech" in first and "bottom band" in first
    assert "Umbrella" not in page.inner_text("#attention")  # the VP's account (only a task of hers is there)
    shot(page, "dashboards-my-book")
    page.click("#attention >> text=Initech")
    page.wait_for_url("**/accounts/*/")
    assert "Initech" in page.inner_text("h1")
    assert not page.console_errors, page.console_errors
