"""In a real browser: from the account page's References panel, record a reward (a bad value first: the error
is shown and nothing written), then a referral and a review; the rewards ledger and the reviews and referrals
list show them under the reference program's tabs. Screenshots (with the axe check) go to tests/artifacts/."""

from datetime import timedelta

import pytest
from django.utils import timezone

from advocacy.models import AdvocacyActivity, ReferenceReward
from tenancy.models import Role
from tests.browser_support import BROWSER_MARKS, shot, wait_for_landing
from tests.factories import AccountFactory, ContactFactory
from tests.factories.references import ReferenceRequestFactory
from tests.factories.tenancy import PASSWORD, MembershipFactory, TenantFactory, UserFactory

pytestmark = BROWSER_MARKS


@pytest.fixture
def world(transactional_db):
    tenant = TenantFactory(slug="acme-ledger", name="Acme Corp")
    csm = UserFactory(email="csm@acme-ledger.example", full_name="Cam Csm")
    MembershipFactory(tenant=tenant, user=csm, role=Role.CSM)
    account = AccountFactory(tenant=tenant, name="Falcon Networks", csm=csm)
    champion = ContactFactory(account=account, name="Riley Champion", is_champion=True, title="Head of Search")
    ContactFactory(account=account, name="Jordan Lee", title="IT Lead")
    request = ReferenceRequestFactory(account=account, contact=champion, kind="reference_call", status="completed",
                                      requested_at=timezone.now() - timedelta(days=12), notes="Bank prospect")
    return {"tenant": tenant, "csm": csm, "account": account, "champion": champion, "request": request}


def test_record_reward_and_review_from_the_account(live_server, world, browser_page):
    page, base, account = browser_page, live_server.url, world["account"]
    page.goto(f"{base}/login/")
    page.fill("#id_username", world["csm"].email)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    wait_for_landing(page, base)

    page.goto(f"{base}/accounts/{account.pk}/")
    page.click("#references-panel >> text=Record reward")
    page.wait_for_url(f"{base}/advocacy/references/accounts/{account.pk}/reward/")
    page.select_option("#id_kind", "gift")
    page.fill("#id_description", "Executive swag box")
    page.fill("#id_value", "-20")
    page.select_option("#id_contact", str(world["champion"].pk))
    page.select_option("#id_request", str(world["request"].pk))
    page.click("#record-form button[type=submit]")
    page.wait_for_load_state()
    assert "greater than or equal to 0" in page.inner_text("#record-form")
    assert not ReferenceReward.all_tenants.exists()
    assert all("400 (Bad Request)" in e for e in page.console_errors)  # the refused form's status, expected
    page.console_errors.clear()
    shot(page, "references-reward-error")

    page.fill("#id_value", "150")
    page.click("#record-form button[type=submit]")
    page.wait_for_url(f"{base}/accounts/{account.pk}/")
    assert "Reward recorded for Falcon Networks" in page.inner_text("body")
    assert "Rewards: 1" in page.inner_text("#references-panel")

    page.click("#references-panel >> text=Record review/referral")
    page.select_option("#id_kind", "review")
    page.select_option("#id_source", "g2")
    page.fill("#id_rating", "4.5")
    page.fill("#id_url", "https://www.g2.com/products/acme/reviews/1")
    page.select_option("#id_contact", str(world["champion"].pk))
    page.fill("#id_notes", "Praised the search quality.")
    shot(page, "references-review-form")
    page.click("#record-form button[type=submit]")
    page.wait_for_url(f"{base}/accounts/{account.pk}/")
    assert AdvocacyActivity.all_tenants.filter(kind="review", source="g2").count() == 1
    assert "Reviews: 1" in page.inner_text("#references-panel")
    page.locator("#references-panel").scroll_into_view_if_needed()
    shot(page, "references-account-panel")

    page.goto(f"{base}/advocacy/references/rewards/")
    assert "Executive swag box" in page.inner_text("#rewards-table")
    assert "Reference call (completed" in page.inner_text("#rewards-table")
    shot(page, "references-rewards-ledger")

    page.click("nav.tabs >> text=Reviews and referrals")
    page.wait_for_url(f"{base}/advocacy/references/reviews-and-referrals/")
    assert "Riley Champion" in page.inner_text("#activities-table")
    assert "4.5" in page.inner_text("#by-source")
    shot(page, "references-reviews-referrals")
