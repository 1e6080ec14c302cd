"""In a real browser: an admin sets a target on the settings page (a bad figure first: the message), the VP
reads the portfolio's Targets panel (on track, off track, no data: words, not colour alone) and follows an
actual to the report behind it. Checked with axe (tests/browser_support.shot); screenshots in tests/artifacts/."""

from decimal import Decimal

import pytest

from dashboards.models import KpiTarget
from tests.browser_support import BROWSER_MARKS, shot
from tests.dashboards.test_dashboards_browser import _sign_in
from tests.dashboards.test_portfolio_browser import world  # noqa: F401 (four accounts, NPS, ARR history)
from tests.factories import KpiTargetFactory
from tests.factories.tenancy import MembershipFactory, UserFactory

pytestmark = BROWSER_MARKS


@pytest.fixture
def targets(world):  # noqa: F811
    tenant = world["tenant"]
    for metric, comparator, target in [("nrr", "at_least", "115"), ("grr", "at_least", "95"),
                                       ("share_at_risk", "at_most", "5"), ("csat", "at_least", "4.5")]:
        KpiTargetFactory(tenant=tenant, metric=metric, comparator=comparator, target=Decimal(target),
                         note="Handbook KPI table")
    admin = UserFactory(email="ada@acme-book.example", full_name="Ada Admin")
    MembershipFactory(tenant=tenant, user=admin, role="admin")
    return {**world, "admin": admin}


def test_admin_sets_a_target_and_the_vp_reads_the_panel(live_server, targets, browser_page, client):
    page = browser_page
    _sign_in(page, live_server.url, targets["admin"])
    page.goto(f"{live_server.url}/settings/")
    page.click("text=KPI targets")
    page.wait_for_url(f"{live_server.url}/dashboards/targets/")
    shot(page, "kpi-targets-settings")
    page.click("text=Add a target")
    page.select_option("#id_metric", "nps")
    page.select_option("#id_comparator", "at_least")
    page.fill("#id_target", "150")
    page.click("button:has-text('Save target')")
    assert "NPS: a target between -100.0 and 100.0." in page.inner_text("#kpi-target-form")
    shot(page, "kpi-target-form-error")
    page.console_errors[:] = [e for e in page.console_errors if "400 (Bad Request)" not in e]  # the refused form
    page.fill("#id_target", "50")
    page.click("button:has-text('Save target')")
    page.wait_for_url(f"{live_server.url}/dashboards/targets/")
    assert KpiTarget.all_tenants.filter(tenant=targets["tenant"], metric="nps", target=Decimal("50")).exists()

    page.context.clear_cookies()
    _sign_in(page, live_server.url, targets["vp"])
    page.goto(f"{live_server.url}/dashboards/portfolio/")
    panel = page.locator("#targets")
    rows = {page.locator(f"#kpi-targets tr[data-metric={m}] td").nth(2).inner_text().strip()
            for m in ("nrr", "grr", "share_at_risk", "csat", "nps")}
    assert rows <= {"On track", "✓On track", "✓ On track", "Off track", "✕Off track", "✕ Off track", "No data"}
    assert "No data" in page.locator("#kpi-targets tr[data-metric=csat]").inner_text()  # no CSAT answers
    assert "Off track" in page.locator("#kpi-targets tr[data-metric=share_at_risk]").inner_text()  # Initech
    assert "NPS" in panel.inner_text()
    panel.scroll_into_view_if_needed()
    shot(page, "dashboards-portfolio-targets")
    page.click("#kpi-targets tr[data-metric=nrr] td a")
    page.wait_for_url(f"{live_server.url}/renewals/retention/")
    assert not page.console_errors, page.console_errors
