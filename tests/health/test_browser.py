"""The health panels and scorecard page in Debian's Chromium against a live server: the account page
shows the score, its reasons and the usage charts; recording a sentiment swaps the panel through
HTMX; the scorecard page saves. Any browser console error fails the test."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from health.models import Scorecard, Sentiment
from health.services import recompute_health
from tests.browser_support import BROWSER_MARKS, shot
from tests.factories.accounts import AccountFactory, ContactFactory
from tests.factories.health import usage_series
from tests.factories.tenancy import PASSWORD

pytestmark = BROWSER_MARKS


def log_in(page, base: str, user) -> None:
    page.goto(f"{base}/login/")
    page.fill("#id_username", user.email)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")


def test_health_pages_in_chromium(live_server, browser_page, transactional_db, tenant, alice):
    page = browser_page
    account = AccountFactory(tenant=tenant, name="Gadget Co", csm=alice)
    end = timezone.localdate() - timedelta(days=1)
    usage_series(account, "active_users", [9] * 60 + [5] * 30, end=end)
    usage_series(account, "licensed_seats", [10] * 90, end=end)
    usage_series(account, "logins", [25] * 90, end=end)
    usage_series(account, "feature:search", [2] * 90, end=end)
    ContactFactory(account=account, is_champion=True)
    recompute_health(tenant=tenant)
    base = live_server.url
    log_in(page, base, alice)

    page.goto(f"{base}/accounts/{account.pk}/")
    panel = page.locator("#health-panel")
    assert "Usage dropped" in panel.inner_text()  # 9 -> 5 active users: a 44% drop
    assert "Seat utilisation" in panel.inner_text()
    assert page.locator("#usage-panel svg").count() == 3
    shot(page, "health-account")

    page.select_option("#health-panel select[name=score]", "2")
    page.fill("#health-panel textarea[name=note]", "Budget freeze announced")
    page.click("#health-panel button[type=submit]")
    page.wait_for_selector("#health-panel >> text=Budget freeze announced")
    assert Sentiment.all_tenants.get().score == 2

    page.goto(f"{base}/health/scorecard/")
    shot(page, "health-scorecard")
    page.fill("input[name=c-0-weight]", "40")
    page.fill("input[name=c-1-weight]", "35")
    page.fill("input[name=c-2-weight]", "25")
    page.click("form.scorecard-form button[type=submit]")
    page.wait_for_selector("text=Scorecard saved")
    assert [c["weight"] for c in Scorecard.all_tenants.get().components] == [40, 35, 25]


def test_event_mappings_page_in_chromium(live_server, browser_page, transactional_db, tenant, alice):
    from health.models import EventMapping

    page = browser_page
    base = live_server.url
    log_in(page, base, alice)
    page.goto(f"{base}/health/events/")
    page.fill("#event", "Report Exported")
    page.fill("#metric", "feature:export")
    page.click("button:has-text('Add mapping')")
    page.wait_for_url(f"{base}/health/events/")
    assert "feature:export" in page.locator("table.data").inner_text()
    shot(page, "health-event-mappings")
    assert EventMapping.all_tenants.filter(tenant=tenant, metric="feature:export").exists()
