"""In a real browser: an admin adds a cadence on the settings page (a bad interval first: the form says
why), and the account page shows the next touchpoints. Screenshots (with the axe check, where
tests/browser_support.shot runs it) go to tests/artifacts/."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import ActivityKind
from renewals.models import TouchpointCadence
from tenancy.models import Role
from tests.browser_support import BROWSER_MARKS, shot
from tests.factories import AccountFactory, ActivityFactory, TouchpointCadenceFactory
from tests.factories.tenancy import PASSWORD, MembershipFactory, TenantFactory, UserFactory

pytestmark = BROWSER_MARKS


@pytest.fixture
def world(transactional_db):
    tenant = TenantFactory(slug="acme-cadence", name="Acme Corp")
    admin = UserFactory(email="admin@acme-cadence.example", full_name="Ada Admin")
    MembershipFactory(tenant=tenant, user=admin, role=Role.ADMIN)
    TouchpointCadenceFactory(tenant=tenant, kind="executive_review", interval_count=12, lead_days=30,
                             steps=["Confirm the executive sponsor", "Prepare the value summary"])
    today = timezone.localdate()
    account = AccountFactory(tenant=tenant, name="Initech", arr=Decimal("180000"), csm=admin,
                             customer_since=today - timedelta(days=400))
    ActivityFactory(account=account, kind=ActivityKind.QBR, subject="Q1 business review",
                    occurred_at=timezone.now() - timedelta(days=80))
    return {"tenant": tenant, "admin": admin, "account": account}


def test_add_a_cadence_and_see_the_next_touchpoints(live_server, world, browser_page):
    page = browser_page
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", world["admin"].email)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")

    page.goto(f"{live_server.url}/renewals/cadences/new/")
    page.select_option("#id_kind", "qbr")
    page.fill("#id_match", "enterprise")
    page.fill("#id_interval_count", "0")
    page.fill("#id_steps", "Pull usage and health trends\nReview open tickets\nDraft the agenda")
    page.click("button:has-text('Save cadence')")
    assert "greater than or equal to 1" in page.inner_text("#cadence-form")
    assert not TouchpointCadence.all_tenants.filter(kind="qbr").exists()
    shot(page, "cadences-form-error")
    # Chromium logs the expected 400 itself; nothing else may have gone wrong.
    assert all("status of 400" in e for e in page.console_errors), page.console_errors
    page.console_errors.clear()

    page.fill("#id_interval_count", "3")
    page.click("button:has-text('Save cadence')")
    page.wait_for_url(f"{live_server.url}/renewals/cadences/")
    table = page.inner_text("table")
    assert "QBR" in table and "3 months" in table and "Draft the agenda" in table
    shot(page, "cadences-settings")

    page.goto(f"{live_server.url}/accounts/{world['account'].pk}/")
    panel = page.inner_text("#touchpoints-panel")
    assert "Next touchpoints" in panel and "QBR" in panel and "Executive review" in panel
    last = timezone.localtime(timezone.now() - timedelta(days=80), world["tenant"].tzinfo).date()
    assert f"last {last.isoformat()}" in panel
    page.locator("#touchpoints-panel").scroll_into_view_if_needed()
    shot(page, "cadences-account-panel")
