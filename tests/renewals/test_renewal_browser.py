"""In a real browser: the renewal desk with renewals in three months, filtered by forecast (HTMX), checked
with axe (tests/browser_support.shot). Screenshots go to tests/artifacts/."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from tenancy.models import Role
from tests.browser_support import BROWSER_MARKS, shot
from tests.factories import AccountFactory, RenewalFactory
from tests.factories.tenancy import PASSWORD, MembershipFactory, TenantFactory, UserFactory

pytestmark = BROWSER_MARKS


@pytest.fixture
def world(transactional_db):
    tenant = TenantFactory(slug="acme-renewals", name="Acme Corp")
    admin = UserFactory(email="admin@acme-renewals.example", full_name="Ada Admin")
    MembershipFactory(tenant=tenant, user=admin, role=Role.ADMIN)
    today = timezone.localdate()
    for name, days, arr, forecast, band, score in [
        ("Falcon Networks", 1, "42000", "at_risk", "red", "42"),
        ("Initech", 40, "180000", "commit", "green", "88"),
        ("Hooli", 75, "24000", "probable", "yellow", "65"),
    ]:
        account = AccountFactory(tenant=tenant, name=name, arr=Decimal(arr), csm=admin, health_status=band,
                                 health_score=Decimal(score), renewal_date=today + timedelta(days=days))
        RenewalFactory(account=account, contract_end=account.renewal_date, arr=account.arr, forecast=forecast)
    return {"tenant": tenant, "admin": admin}


def test_the_renewal_desk(live_server, world, browser_page):
    page = browser_page
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", world["admin"].email)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")

    page.click("nav.mainnav >> text=Renewals")
    page.wait_for_url(f"{live_server.url}/renewals/")
    results = page.inner_text("#results")
    assert "Falcon Networks" in results and "Initech" in results and "Hooli" in results
    assert "At risk" in page.inner_text("#forecast-totals")
    shot(page, "renewals-desk")

    page.select_option("#f-forecast", "at_risk")
    page.wait_for_url("**/renewals/?**forecast=at_risk**")
    page.wait_for_function("!document.querySelector('#results').innerText.includes('Initech')")
    assert "Falcon Networks" in page.inner_text("#results")
    shot(page, "renewals-desk-at-risk")
    assert not page.console_errors, page.console_errors
