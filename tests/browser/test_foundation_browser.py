"""The foundation pages in Debian's Chromium (Playwright, sync API) against a live server.

Signs in, filters the account list through HTMX (no full reload), opens an account's timeline,
contacts and tasks tabs, adds a note inline, previews a CSV import, opens the settings pages and
creates an API key. Any browser console error fails the test. Screenshots go to tests/artifacts/.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from tenancy.models import Role
from tests.browser_support import BROWSER_MARKS
from tests.browser_support import shot as save_shot
from tests.factories import (
    AccountFactory,
    ActivityFactory,
    ContactFactory,
    MembershipFactory,
    TaskFactory,
    UserFactory,
)
from tests.factories.tenancy import PASSWORD

pytestmark = BROWSER_MARKS


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    """Kept import files go to a temporary MEDIA_ROOT (the live server runs in this process)."""
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def book(transactional_db, tenant, alice):
    """A small book of business for acme: accounts in every segment, one with a full 360."""
    carol = UserFactory(email="carol@acme.example", full_name="Carol Csm")
    MembershipFactory(tenant=tenant, user=carol, role=Role.CSM)
    today = timezone.localdate()
    for i, arr in enumerate(["250000", "180000", "60000", "40000", "12000", "8000"]):
        AccountFactory(
            tenant=tenant, name=f"{['Umbrella', 'Initech', 'Hooli', 'Vandelay', 'Pied Piper', 'Dunder'][i]} Inc",
            arr=Decimal(arr), csm=alice if i % 2 == 0 else carol, renewal_date=today + timedelta(days=30 * (i + 1)),
            industry=["Biotech", "Software", "Search", "Import/Export", "Compression", "Paper"][i],
            lifecycle_stage=["adoption", "expansion", "onboarding", "renewal", "value_realization", "advocacy"][i],
        )
    star = AccountFactory(
        tenant=tenant, name="Acme Rockets", arr=Decimal("320000"), csm=alice, external_id="CRM-42",
        industry="Aerospace", employee_count=1200, renewal_date=today + timedelta(days=75), tier="Enterprise",
    )
    ContactFactory(account=star, name="Wile E. Coyote", title="Head of Procurement", is_champion=True, role="business")
    ContactFactory(account=star, name="Road Runner", title="CTO", is_executive_sponsor=True, role="executive")
    ActivityFactory(account=star, kind="meeting", subject="Quarterly business review", body="Adoption up 20%.",
                    author=alice, occurred_at=timezone.now() - timedelta(days=3))
    ActivityFactory(account=star, kind="call", subject="Renewal scoping", body="Wants a 3-year deal.", author=alice,
                    occurred_at=timezone.now() - timedelta(days=1))
    TaskFactory(account=star, title="Send renewal proposal", owner=alice, due_date=today + timedelta(days=5),
                priority="high")
    TaskFactory(account=star, title="Book executive sponsor call", owner=carol, due_date=today - timedelta(days=2))
    return star


def shot(page, name: str) -> None:
    save_shot(page, f"foundation-{name}")


def sign_in(page, base: str) -> None:
    page.goto(f"{base}/login/")
    shot(page, "00-login")
    page.fill("#id_username", "alice@acme.example")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")
    assert page.locator("h1").inner_text() == "Dashboard"


def test_foundation_pages_in_chromium(live_server, browser_page, book):
    page, base = browser_page, live_server.url
    sign_in(page, base)
    shot(page, "01-dashboard")

    # Account list: filters swap the table through HTMX; the page itself is not reloaded.
    page.goto(f"{base}/accounts/")
    rows = page.locator("#results tbody tr")
    assert rows.count() == 7
    shot(page, "02-account-list")
    page.evaluate("window.__notReloaded = true")
    with page.expect_request(lambda r: "segment=enterprise" in r.url) as filtered:
        page.select_option("#f-segment", "enterprise")
    assert filtered.value.headers.get("hx-request") == "true"
    page.wait_for_function("document.querySelectorAll('#results tbody tr').length === 3")
    assert page.evaluate("window.__notReloaded") is True
    assert "segment=enterprise" in page.url  # hx-push-url keeps the filter in the address
    assert set(page.locator("#results tbody tr td:first-child strong").all_inner_texts()) == {
        "Acme Rockets", "Umbrella Inc", "Initech Inc",
    }
    with page.expect_request(lambda r: "q=rock" in r.url):
        page.fill("#f-q", "rock")
    page.wait_for_function("document.querySelectorAll('#results tbody tr').length === 1")
    assert page.evaluate("window.__notReloaded") is True
    shot(page, "03-account-list-filtered")

    # Account 360: timeline, contacts and tasks tabs, each swapped in place.
    page.click("text=Acme Rockets")
    page.wait_for_url(f"{base}/accounts/{book.pk}/")
    assert "Quarterly business review" in page.locator("#tab-body").inner_text()
    shot(page, "04-account-timeline")
    page.evaluate("window.__notReloaded = true")
    page.click("nav.tabs >> text=Contacts")
    page.wait_for_selector("#tab-body >> text=Wile E. Coyote")
    assert "tab=contacts" in page.url
    shot(page, "05-account-contacts")
    page.click("nav.tabs >> text=Tasks")
    page.wait_for_selector("#tab-body >> text=Send renewal proposal")
    shot(page, "06-account-tasks")
    page.click("nav.tabs >> text=Timeline")
    page.wait_for_selector("#tab-body >> text=Renewal scoping")
    assert page.evaluate("window.__notReloaded") is True

    # Add a note inline: the timeline updates without leaving the page.
    page.select_option("#tab-body select[name=kind]", "note")
    page.fill("#tab-body input[name=subject]", "Champion is happy")
    page.fill("#tab-body textarea[name=body]", "Expanding to the EU team next quarter.")
    page.click("#tab-body button[type=submit]")
    page.wait_for_selector("#tab-body .timeline >> text=Champion is happy")
    assert page.evaluate("window.__notReloaded") is True
    assert page.locator("#tab-body .timeline li").first.inner_text().count("Champion is happy") == 1
    shot(page, "07-account-note-added")

    # Mark a task done from the tasks tab (row swapped in place).
    page.click("nav.tabs >> text=Tasks")
    page.wait_for_selector("#tab-body >> text=Send renewal proposal")
    page.locator("#tab-body tr", has_text="Send renewal proposal").locator("button").click()
    page.wait_for_selector("#tab-body tr:has-text('Send renewal proposal') .badge.green")

    page.goto(f"{base}/accounts/tasks/")
    shot(page, "08-my-tasks")

    # CSV import: a file with a bad row is previewed with its line number; nothing is written.
    page.goto(f"{base}/accounts/import/")
    shot(page, "09-import-upload")
    csv_text = "name,external_id,arr,csm_email\nNew Co,CRM-900,5000,carol@acme.example\nBad Co,CRM-901,-3,\n"
    page.set_input_files("input[type=file]", files=[{"name": "book.csv", "mimeType": "text/csv",
                                                     "buffer": csv_text.encode()}])
    page.click("button:has-text('Preview')")
    page.wait_for_selector("table.import-errors")
    assert "arr cannot be negative." in page.locator("table.import-errors").inner_text()
    shot(page, "10-import-preview-errors")
    page.goto(f"{base}/accounts/import/")
    page.set_input_files("input[type=file]", files=[{"name": "book.csv", "mimeType": "text/csv",
                                                     "buffer": csv_text.replace("-3", "3").encode()}])
    page.click("button:has-text('Preview')")
    page.wait_for_selector("button:has-text('Import 2 accounts')")
    shot(page, "11-import-preview-ok")
    page.click("button:has-text('Import 2 accounts')")
    page.wait_for_url(f"{base}/accounts/")
    assert "Imported 2 accounts: 2 created, 0 updated." in page.locator(".messages").inner_text()

    # Settings: people and roles, API keys (the raw key is shown once).
    page.goto(f"{base}/settings/")
    shot(page, "12-settings")
    page.click("text=People and roles")
    page.wait_for_selector("table.members >> text=carol@acme.example")
    shot(page, "13-settings-members")
    page.goto(f"{base}/settings/api-keys/")
    page.fill("#id_name", "Salesforce sync")
    page.check("input[name=scopes][value=write]")
    page.click("button:has-text('Create key')")
    page.wait_for_selector("#raw-key")
    raw_key = page.locator("#raw-key").inner_text().strip()
    assert raw_key.startswith("csp_")
    shot(page, "14-settings-api-key-created")
    page.click("text=Done")
    page.wait_for_selector("table.api-keys >> text=Salesforce sync")
    assert raw_key not in page.content()
    shot(page, "15-settings-api-keys")
    assert page.console_errors == []
