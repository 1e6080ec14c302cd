"""In a real browser, end to end: the CSM creates an NPS campaign and sends it (the file email backend),
the customer opens the link from the email file on a phone (390x844, no sign-in), answers 3 with a comment,
opens the link again and sees the answer recorded; the CSM sees the response and the follow-up CTA on the
account page. Screenshots (each checked by axe-core, WCAG 2.1 AA) go to tests/artifacts/."""

from __future__ import annotations

import email
import re
from decimal import Decimal

import pytest

from accounts.models import Task
from advocacy.models import SurveyResponse
from tenancy.models import Role
from tests.browser_support import BROWSER_MARKS, shot, wait_for_landing
from tests.factories import AccountFactory, ContactFactory
from tests.factories.tenancy import PASSWORD, MembershipFactory, TenantFactory, UserFactory

pytestmark = BROWSER_MARKS


@pytest.fixture
def world(transactional_db):
    tenant = TenantFactory(slug="acme-surveys", name="Acme Corp")
    csm = UserFactory(email="carla@acme-surveys.example", full_name="Carla CSM")
    MembershipFactory(tenant=tenant, user=csm, role=Role.CSM)
    account = AccountFactory(tenant=tenant, name="Initech", arr=Decimal("180000"), csm=csm)
    ContactFactory(account=account, name="Peter Gibbons", email="peter@initech.example", role="executive")
    ContactFactory(account=account, name="Milton W", email="milton@initech.example", role="technical")
    return {"tenant": tenant, "csm": csm, "account": account}


def emailed_links(folder) -> list[tuple[str, str]]:
    """(recipient, answer link) of every email the file backend wrote."""
    found = []
    for path in sorted(folder.iterdir()):
        for raw in re.split(rb"\n-{79}\n", path.read_bytes()):
            if not raw.strip():
                continue
            message = email.message_from_bytes(raw.strip() + b"\n")
            text = next(part for part in message.walk() if part.get_content_type() == "text/plain")
            body = text.get_payload(decode=True).decode()
            found.append((message["To"], re.search(r"Answer here \(it takes a minute\): (\S+)", body).group(1)))
    return found


def test_send_answer_on_a_phone_and_see_it_as_the_csm(live_server, world, browser_page, chromium_browser, settings, tmp_path):
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path)
    settings.SITE_URL = live_server.url
    page = browser_page
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", world["csm"].email)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    wait_for_landing(page, live_server.url)

    page.click("nav.mainnav >> text=Advocacy")
    page.click("nav.tabs >> text=Campaigns")
    page.click("text=New NPS campaign")
    page.fill("#id_name", "Q4 executive NPS")
    page.check("input[name=target_roles][value=executive]")
    shot(page, "surveys-campaign-form")
    page.click("button:has-text('Save campaign')")
    page.wait_for_selector("h1:has-text('Q4 executive NPS')")
    shot(page, "surveys-campaign-preview")
    page.click("button:has-text('Send now')")
    page.wait_for_selector("#campaign-progress:has-text('Sent')")
    assert page.inner_text("#stat-sent") == "1"
    shot(page, "surveys-campaign-sent")

    [(recipient, link)] = emailed_links(tmp_path)
    assert recipient == "peter@initech.example" and link.startswith(f"{live_server.url}/s/")

    phone = chromium_browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2,
                                         is_mobile=True, has_touch=True)
    customer = phone.new_page()
    customer.set_default_timeout(10_000)
    errors: list[str] = []
    customer.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        customer.goto(link)
        assert "How likely are you to recommend us" in customer.inner_text("legend")
        assert customer.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling
        shot(customer, "surveys-phone-question")
        customer.tap("#score-3")  # the radio covers its numbered box: a tap anywhere on the box
        customer.fill("#comment", "Reports are too slow for our month-end close.")
        shot(customer, "surveys-phone-answered")
        customer.click("button:has-text('Send my answer')")
        customer.wait_for_selector("h1:has-text('Thank you')")
        shot(customer, "surveys-phone-thanks")
        customer.goto(link)  # the link again: the answer recorded, no form
        assert customer.inner_text("#recorded-score") == "3" and customer.locator("input[type=radio]").count() == 0
        shot(customer, "surveys-phone-second-visit")
    finally:
        phone.close()
    assert errors == []

    response = SurveyResponse.all_tenants.get()
    assert (response.score, response.contact.name) == (3, "Peter Gibbons")
    cta = Task.all_tenants.get(account=world["account"])
    assert cta.owner_id == world["csm"].pk and cta.title.startswith("Follow up: NPS 3 (detractor)")

    page.goto(f"{live_server.url}/accounts/{world['account'].pk}/")
    panel = page.inner_text("#survey-panel")
    assert "NPS 3" in panel and "Reports are too slow" in panel and "Peter Gibbons" in panel
    shot(page, "surveys-account-panel")
    page.goto(f"{live_server.url}/surveys/report/")
    assert page.inner_text("#nps-now") == "-100.0"
    shot(page, "surveys-report")
    page.goto(f"{live_server.url}/surveys/responses/?category=detractor")
    assert "Reports are too slow" in page.inner_text("#responses-table")
    shot(page, "surveys-responses")
    page.click(".tabs >> text=Campaigns")
    assert "Q4 executive NPS" in page.inner_text("table")
    shot(page, "surveys-campaigns")
    page.click(".tabs >> text=Settings")
    assert page.input_value("#id_fatigue_days") == "30"
    shot(page, "surveys-settings")
    assert page.console_errors == []
