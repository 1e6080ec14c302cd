"""In a real browser: a VP reaches the retention report from the renewal desk by keyboard, picks a bad
window (the form says why), downloads the CSV; an admin saves the renewal settings (a duplicate motion
first) and the expansion settings. Every state is checked with axe (tests/browser_support.shot);
screenshots go to tests/artifacts/."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from renewals.models import ArrMovement, OpportunitySettings, RenewalSettings
from tenancy.models import Role
from tests.browser_support import BROWSER_MARKS, shot, wait_for_landing
from tests.factories import AccountFactory, RenewalFactory
from tests.factories.tenancy import PASSWORD, MembershipFactory, TenantFactory, UserFactory

pytestmark = BROWSER_MARKS
D = Decimal


def _months_ago(today: date, months: int, day: int = 5) -> date:
    index = today.year * 12 + today.month - 1 - months
    return date(index // 12, index % 12 + 1, day)


@pytest.fixture
def world(transactional_db):
    tenant = TenantFactory(slug="acme-retention", name="Acme Corp")
    admin = UserFactory(email="admin@acme-retention.example", full_name="Ada Admin")
    vp = UserFactory(email="vp@acme-retention.example", full_name="Vera VP")
    MembershipFactory(tenant=tenant, user=admin, role=Role.ADMIN)
    MembershipFactory(tenant=tenant, user=vp, role=Role.VP)
    today = timezone.localdate()
    for i in range(14):
        account = AccountFactory(tenant=tenant, name=f"Customer {i:02d}", arr=D("0"))
        base = D(15000 + 11000 * i)

        def move(months, kind, amount, account=account):
            ArrMovement.all_tenants.create(tenant=tenant, account=account, date=_months_ago(today, months), kind=kind,
                                           amount=D(amount))

        move(26 - i % 4, "new", base)
        if i % 3 == 0:
            move(12 - i % 10, "expansion", base * D("0.3"))
        if i % 4 == 1:
            move(15 - i % 7, "contraction", base * D("0.2"))
        if i % 5 == 2:
            move(9 - i % 6, "churn", base)
            RenewalFactory(account=account, contract_end=_months_ago(today, 9 - i % 6), arr=base, outcome="churned",
                           stage="closed", churn_reason=["Budget cuts", "Competitor", "Product fit"][i % 3],
                           closed_at=timezone.now() - timedelta(days=30 * (9 - i % 6)))
    late = AccountFactory(tenant=tenant, name="New logo", arr=D("0"))
    ArrMovement.all_tenants.create(tenant=tenant, account=late, date=_months_ago(today, 3), kind="new", amount=D("42000"))
    return {"tenant": tenant, "admin": admin, "vp": vp}


def sign_in(page, live_server, user):
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", user.email)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    wait_for_landing(page, live_server.url)


def test_the_retention_report(live_server, world, browser_page):
    page = browser_page
    sign_in(page, live_server, world["vp"])
    page.goto(f"{live_server.url}/renewals/")
    link = page.locator("nav[aria-label='Renewals and expansion'] >> text=Retention report")
    link.focus()
    assert page.evaluate("document.activeElement.textContent") == "Retention report"
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/renewals/retention/")
    assert "%" in page.inner_text("#stat-nrr") and "%" in page.inner_text("#stat-grr")
    assert page.locator("svg.retention-chart path.line.nrr").count() == 1
    assert "Budget cuts" in page.inner_text("#churn-reasons") and "Enterprise" in page.inner_text("#segments-table")
    shot(page, "retention-report")

    page.click("summary:has-text('The trend as a table')")
    assert len(page.locator("#trend-table tbody tr").all()) == 12
    shot(page, "retention-report-trend-table")

    with page.expect_download() as download:
        page.click("#retention-csv")
    rows = list(csv.DictReader(io.StringIO(open(download.value.path(), encoding="utf-8").read())))
    assert download.value.suggested_filename.startswith("retention-acme-retention-")
    assert {r["section"] for r in rows} >= {"summary", "trend", "movements", "churn_reasons", "segments"}

    page.fill("#id_start", "2030-01-01")
    page.click("button:has-text('Show')")
    assert "The start must be before the end." in page.inner_text("#retention-window")
    assert page.locator("#id_start[aria-invalid=true]").count() == 1
    shot(page, "retention-report-bad-window")
    assert all("status of 400" in e for e in page.console_errors), page.console_errors
    page.console_errors.clear()


def test_the_settings_pages(live_server, world, browser_page):
    page = browser_page
    sign_in(page, live_server, world["admin"])
    page.goto(f"{live_server.url}/settings/")
    page.click("text=Renewal settings")
    page.wait_for_url(f"{live_server.url}/renewals/settings/")
    shot(page, "renewal-settings")

    page.fill("#id_window_days", "90")
    page.fill("#id_motions-3-offset", "60")
    page.fill("#id_motions-3-steps", "Send the quote")
    page.click("button:has-text('Save renewal settings')")
    assert "Two motions at 60 days" in page.inner_text("#renewal-settings-form")
    assert not RenewalSettings.all_tenants.exists()
    shot(page, "renewal-settings-error")
    assert all("status of 400" in e for e in page.console_errors), page.console_errors
    page.console_errors.clear()

    page.fill("#id_motions-3-offset", "45")
    page.click("button:has-text('Save renewal settings')")
    page.wait_for_url(f"{live_server.url}/renewals/settings/")
    assert "Renewal settings saved" in page.inner_text("#messages")
    row = RenewalSettings.all_tenants.get()
    assert row.window_days == 90 and [m["offset"] for m in row.motions] == [90, 60, 45, 30]

    page.click("nav[aria-label='Renewals and expansion'] >> text=Expansion settings")
    page.wait_for_url(f"{live_server.url}/renewals/settings/expansion/")
    shot(page, "expansion-settings")
    page.uncheck("#id_usage_growth__enabled")
    page.fill("#id_seat_utilisation__percent", "85")
    page.fill("#id_stage__proposal", "60")
    page.click("button:has-text('Save expansion settings')")
    page.wait_for_url(f"{live_server.url}/renewals/settings/expansion/")
    saved = OpportunitySettings.all_tenants.get()
    assert saved.trigger_params["usage_growth"]["enabled"] is False and saved.stage_probabilities["proposal"] == 60
    assert saved.trigger_params["seat_utilisation"]["percent"] == 85
    assert not page.console_errors, page.console_errors


def test_the_settings_read_only(live_server, world, browser_page):
    csm = UserFactory(email="csm@acme-retention.example", full_name="Carl CSM")
    MembershipFactory(tenant=world["tenant"], user=csm, role=Role.CSM)
    page = browser_page
    sign_in(page, live_server, csm)
    page.goto(f"{live_server.url}/renewals/settings/")
    assert page.locator("#id_window_days").is_disabled() and page.locator("text=Save renewal settings").count() == 0
    shot(page, "renewal-settings-read-only")
    page.goto(f"{live_server.url}/renewals/settings/expansion/")
    assert page.locator("#id_stage__proposal").is_disabled()
    shot(page, "expansion-settings-read-only")


SIDEWAYS = ("[document.documentElement.scrollWidth, [...document.querySelectorAll('main *')]"
            ".filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)"
            ".slice(0, 8).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))]")


def test_the_pages_at_320_px(live_server, world, browser_page):
    """320 px wide (200% zoom of 640 px): the page never scrolls sideways; wide tables scroll in their box."""
    page = browser_page
    sign_in(page, live_server, world["vp"])
    page.set_viewport_size({"width": 320, "height": 800})
    for name, path in [("retention", "/renewals/retention/"), ("renewal-settings", "/renewals/settings/"),
                       ("expansion-settings", "/renewals/settings/expansion/")]:
        page.goto(f"{live_server.url}{path}")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), page.evaluate(SIDEWAYS)
        shot(page, f"320-{name}")
