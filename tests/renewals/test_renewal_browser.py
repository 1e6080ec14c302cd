"""In a real browser: the renewal desk with renewals in three months, filtered by forecast (HTMX), checked
with axe (tests/browser_support.shot). Screenshots go to tests/artifacts/."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import Account
from renewals import ledger_services
from renewals.models import Renewal
from tenancy.context import tenant_context
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


def test_record_an_outcome_and_see_the_account_page(live_server, world, browser_page):
    page = browser_page
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", world["admin"].email)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    renewal = Renewal.all_tenants.get(account__name="Initech")
    with tenant_context(world["tenant"]):
        ledger_services.ledger_open_missing(tenant=world["tenant"])

    page.goto(f"{live_server.url}/renewals/{renewal.pk}/")
    page.select_option("#id_outcome", "downgraded")
    page.fill("#id_renewed_arr", "200000")
    page.click("button:has-text('Record outcome')")
    assert "between 0 and the current" in page.inner_text("#outcome-form")
    shot(page, "renewal-outcome-error")
    assert all("status of 400" in e for e in page.console_errors), page.console_errors
    page.console_errors.clear()

    page.select_option("#id_outcome", "expanded")
    page.fill("#id_renewed_arr", "210000")
    page.click("button:has-text('Record outcome')")
    page.wait_for_url(f"{live_server.url}/accounts/{renewal.account_id}/")
    panel = page.inner_text("#renewal-panel")
    assert "Expanded" in panel and "210,000" in panel
    page.locator("#renewal-panel").scroll_into_view_if_needed()
    shot(page, "renewal-account-panel")
    account = Account.all_tenants.get(pk=renewal.account_id)
    assert account.arr == Decimal("210000")
    assert not page.console_errors, page.console_errors
