"""In a real browser: a CSM follows My book's link to the digest preference and turns the digest off and on again,
checked with axe (tests/browser_support.shot)."""

import pytest

from tenancy.models import Role
from tests.browser_support import BROWSER_MARKS, shot
from tests.dashboards.test_dashboards_browser import _sign_in
from tests.factories import AccountFactory
from tests.factories.tenancy import MembershipFactory, TenantFactory, UserFactory

pytestmark = BROWSER_MARKS


@pytest.fixture
def carol(transactional_db):
    tenant = TenantFactory(slug="acme-digest", name="Acme Corp")
    user = UserFactory(email="carol@acme-digest.example", full_name="Carol CSM")
    MembershipFactory(tenant=tenant, user=user, role=Role.CSM)
    AccountFactory(tenant=tenant, name="Anvil", csm=user, health_status="red")
    return user


def test_a_csm_turns_the_digest_off_and_on(live_server, carol, browser_page):
    page = browser_page
    _sign_in(page, live_server.url, carol)
    page.goto(f"{live_server.url}/dashboards/my-book/")
    page.click("text=Daily email digest")
    page.wait_for_url(f"{live_server.url}/dashboards/digest/")
    assert page.is_checked("#id_daily_digest")
    shot(page, "digest-preferences")
    page.uncheck("#id_daily_digest")
    page.click("#digest-form button[type=submit]")
    page.wait_for_load_state()
    assert "The daily digest is off" in page.inner_text("body") and not page.is_checked("#id_daily_digest")
    shot(page, "digest-preferences-off")
    page.check("#id_daily_digest")
    page.click("#digest-form button[type=submit]")
    page.wait_for_load_state()
    assert page.is_checked("#id_daily_digest")
