"""What a user sees of bad input, in Debian's Chromium: a UTF-16 CSV from Excel previews; a NUL in a
cell is shown and reported on its line; a negative employee count "must be zero or more"; an API
URL that does not exist answers JSON, not a page. Screenshots go to tests/artifacts/."""

from __future__ import annotations

import json

import pytest

from tests.browser_support import BROWSER_MARKS, shot
from tests.factories.tenancy import PASSWORD

pytestmark = BROWSER_MARKS


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def test_bad_input_in_the_browser(live_server, browser_page, transactional_db, alice):
    page, base = browser_page, live_server.url
    page.goto(f"{base}/login/")
    page.fill("#id_username", alice.email)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")

    page.goto(f"{base}/accounts/import/")
    utf16 = "name\tindustry\tarr\nCaf\u00e9 \u00c9toile\tBoulangerie\t5000\nM\u00fcller GmbH\tMaschinenbau\t9000\n"
    page.set_input_files("input[type=file]", files=[{"name": "excel-unicode.csv", "mimeType": "text/csv",
                                                     "buffer": utf16.encode("utf-16")}])
    page.click("button:has-text('Preview')")
    page.wait_for_selector("button:has-text('Import 2 accounts')")
    assert "Caf\u00e9 \u00c9toile" in page.content()
    shot(page, "input-import-utf16-preview")

    page.goto(f"{base}/accounts/import/")
    with_nul = "name,external_id,arr\nGood Co,G-1,100\nBad\x00Co,B-1,200\n"
    page.set_input_files("input[type=file]", files=[{"name": "nul.csv", "mimeType": "text/csv",
                                                     "buffer": with_nul.encode()}])
    page.click("button:has-text('Preview')")
    page.wait_for_selector("table.import-errors")
    errors = page.locator("table.import-errors").inner_text()
    assert "3" in errors and "name contains a NUL character" in errors
    assert "Bad\\0Co" in page.content()
    shot(page, "input-import-nul-row")

    page.goto(f"{base}/accounts/new/")
    page.fill("input[name=name]", "Negative Co")
    page.fill("input[name=arr]", "100")
    page.fill("input[name=employee_count]", "-5")
    page.click("button:has-text('Save')")
    page.wait_for_selector("text=Must be zero or more.")
    shot(page, "input-account-negative-employees")

    response = page.goto(f"{base}/api/v1/accounts/abc/health/")
    assert response.status == 404 and response.headers["content-type"].startswith("application/json")
    assert json.loads(page.inner_text("body")) == {"detail": "Not found."}
    shot(page, "input-api-404-json")
    # Chromium logs the 404 it was asked to load (and the favicon's): expected here, nothing else.
    assert all("404 (Not Found)" in e for e in page.console_errors)
    page.console_errors.clear()
