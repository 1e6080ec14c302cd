"""In a real browser, on seed_demo's TechCorp: score validation on the seeded year of history, then a dry run
of new weights and a higher green band from the scorecard settings page (nothing saved), checked with axe
(tests/browser_support.shot). Screenshots go to tests/artifacts/."""

import io

import pytest
from django.core.management import call_command

from health.models import Scorecard
from ops.demo.handbooks import DEMO_PASSWORD
from tenancy.context import tenant_context
from tenancy.models import Tenant
from tests.browser_support import BROWSER_MARKS, shot

pytestmark = BROWSER_MARKS


@pytest.fixture
def techcorp(transactional_db):
    call_command("seed_demo", "--only", "techcorp", stdout=io.StringIO())
    return Tenant.objects.get(slug="techcorp")


def test_validation_and_a_dry_run_on_seeded_history(live_server, techcorp, browser_page):
    page, base = browser_page, live_server.url
    page.goto(f"{base}/login/")
    page.fill("#id_username", "admin@techcorp.example")
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/**")

    page.goto(f"{base}/dashboards/score-validation/")
    auc = float(page.inner_text("[data-testid=auc]"))
    assert 0.6 <= auc <= 0.95
    shot(page, "score_validation_seeded")

    page.goto(f"{base}/health/scorecard/")
    page.fill("#c-0-weight", "25")  # usage 40 -> 25
    page.fill("#c-3-weight", "25")  # business outcomes 10 -> 25
    page.fill("input[name=b-0-min_score]", "75")  # green from 70.1 to 75
    page.click("text=Dry run on the last 90 days")
    page.wait_for_url(f"{base}/dashboards/scorecard-dry-run/")
    assert "Nothing has been saved" in page.inner_text("main")
    changed = int(page.inner_text("[data-testid=changed]").split()[0].replace(",", ""))
    assert changed > 0 and page.locator("#moves tbody tr").count() == changed
    assert page.locator("#distribution tbody tr").count() == 7  # now, and every 15 days back to 90
    shot(page, "scorecard_dry_run")
    with tenant_context(techcorp):
        assert Scorecard.objects.get().version == 1  # the seed's card, untouched

    page.click("text=Discard and go back")
    page.wait_for_url(f"{base}/health/scorecard/")
    page.fill("#c-0-weight", "35")  # 35 + 30 + 20 + 10 = 95
    page.click("text=Dry run on the last 90 days")
    assert "Not run (nothing was saved)." in page.inner_text("main")
    assert "must sum to 100 (they sum to 95)" in page.inner_text("main")
    shot(page, "scorecard_dry_run_bad_weights")
    # The refused dry run answers 400 (as a refused save does), which the browser logs; nothing else may.
    assert page.console_errors == ["error: Failed to load resource: the server responded with a status of 400 (Bad Request)"]
    page.console_errors.clear()
