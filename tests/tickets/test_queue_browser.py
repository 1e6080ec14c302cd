"""Working the support queue in Debian's Chromium (Playwright, sync API) against a live server.

A support engineer signs in, filters the queue (HTMX, no reload), claims a ticket from its row,
selects two others and bulk-assigns them, lets the live refresh run (selection kept), opens the
claimed ticket, adds an internal note and a public reply (first response), links a suggested
knowledge-base article, resolves the ticket, and reads the article. Any browser console error
fails the test. Screenshots go to tests/artifacts/ (git-ignored).
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from tenancy.models import Role
from tests.browser_support import ARTIFACTS, BROWSER_MARKS, wait_for_landing
from tests.browser_support import shot as save_shot
from tests.factories.accounts import AccountFactory, ContactFactory
from tests.factories.knowledge import ArticleFactory, CategoryFactory
from tests.factories.tenancy import PASSWORD, MembershipFactory, UserFactory
from tests.factories.tickets import TicketFactory
from tickets.models import Ticket

pytestmark = BROWSER_MARKS


@pytest.fixture
def support_desk(transactional_db, tenant, alice):
    """Acme's support desk: an engineer (Tom), a colleague, a queue of tickets and a knowledge base."""
    tom = UserFactory(email="tom@acme.example", full_name="Tom Becker")
    MembershipFactory(tenant=tenant, user=tom, role=Role.SUPPORT_ENGINEER)
    aisha = UserFactory(email="aisha@acme.example", full_name="Aisha Khan")
    MembershipFactory(tenant=tenant, user=aisha, role=Role.SUPPORT_ENGINEER)
    initech = AccountFactory(tenant=tenant, name="Initech", arr=Decimal("180000"), csm=alice, health_status="yellow",
                             health_score=Decimal("64"))
    hooli = AccountFactory(tenant=tenant, name="Hooli", arr=Decimal("40000"), health_status="green",
                           health_score=Decimal("88"))
    dunder = AccountFactory(tenant=tenant, name="Dunder Mifflin", arr=Decimal("9000"), health_status="red",
                            health_score=Decimal("41"))
    pat = ContactFactory(account=initech, name="Pat Lee", email="pat@initech.example")
    now = timezone.now()
    sso = TicketFactory(account=initech, contact=pat, severity=1, subject="SSO login fails: assertion invalid",
                        description="Since the certificate rotation nobody can sign in with SSO.",
                        opened_at=now - timedelta(minutes=20))
    TicketFactory(account=hooli, severity=2, subject="Connector sync stuck at 0%", assignee=aisha,
                  opened_at=now - timedelta(hours=3))
    TicketFactory(account=dunder, severity=3, subject="Slow searches in the afternoon",
                  opened_at=now - timedelta(hours=9))  # already past its 8h response target
    TicketFactory(account=hooli, severity=4, subject="How do saved searches work?")
    TicketFactory(account=dunder, severity=3, subject="Export to CSV misses columns")
    category = CategoryFactory(tenant=tenant, name="Troubleshooting", slug="troubleshooting")
    ArticleFactory(category=category, title="SSO login setup and login errors", author=tom,
                   body="## Login errors\n\n- *SSO assertion invalid*: the signing **certificate** changed.\n"
                        "- Check the identity provider's clock.\n\n```\nSettings → Security → SSO\n```")
    ArticleFactory(category=category, title="Ingestion stuck or failing", body="Re-authorize the connector.")
    return {"tom": tom, "aisha": aisha, "sso": sso, "dunder": dunder}


def shot(page, name: str) -> None:
    save_shot(page, f"tickets-{name}")


def sign_in(page, base: str, email: str) -> None:
    page.goto(f"{base}/login/")
    page.fill("#id_username", email)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    wait_for_landing(page, base)


def test_working_the_queue_in_chromium(live_server, browser_page, support_desk, settings):
    settings.TICKETS_QUEUE_REFRESH_SECONDS = 2  # the live refresh, sped up
    page, base = browser_page, live_server.url
    tom, aisha, sso = support_desk["tom"], support_desk["aisha"], support_desk["sso"]
    sign_in(page, base, tom.email)

    # The queue: "Tickets" in the nav, ordered by next breach, the overdue one first and in red.
    page.click("nav.mainnav >> text=Tickets")
    page.wait_for_url(f"{base}/tickets/")
    rows = page.locator("#queue-rows tr")
    assert rows.count() == 5
    first = rows.nth(0)
    assert "Slow searches" in first.inner_text() and first.locator(".sla-left.breached").inner_text().startswith("-")
    assert "SSO login fails" in rows.nth(1).inner_text()
    shot(page, "01-queue")

    # Filters swap the table through HTMX; the page is not reloaded and the URL keeps the filter.
    page.evaluate("window.__notReloaded = true")
    with page.expect_request(lambda r: "severity=1" in r.url):
        page.select_option("#f-sev", "1")
    page.wait_for_function("document.querySelectorAll('#queue-rows tr').length === 1")
    assert page.evaluate("window.__notReloaded") is True and "severity=1" in page.url
    page.select_option("#f-sev", "")
    page.wait_for_function("document.querySelectorAll('#queue-rows tr').length === 5")

    # Claim the Sev1 from its row (the row is swapped in place).
    sso_row = page.locator(f"#ticket-row-{sso.pk}")
    sso_row.locator("button", has_text="Claim").click()
    page.wait_for_selector(f"#ticket-row-{sso.pk} >> text=Tom Becker")
    assert page.evaluate("window.__notReloaded") is True
    assert Ticket.all_tenants.get(pk=sso.pk).assignee_id == tom.pk

    # Select two unassigned tickets; the live refresh keeps them checked; bulk-assign them to Aisha.
    targets = [t for t in Ticket.all_tenants.filter(assignee__isnull=True).order_by("pk")][:2]
    for t in targets:
        page.check(f"#ticket-row-{t.pk} input[name=ticket]")
    with page.expect_response(lambda r: "/tickets/" in r.url and r.request.headers.get("hx-target") == "queue-rows"):
        pass  # the periodic refresh of the rows (every 30 s in production)
    page.wait_for_timeout(200)  # let htmx swap the new rows in
    for t in targets:
        assert page.is_checked(f"#ticket-row-{t.pk} input[name=ticket]")
    shot(page, "02-queue-selected")
    page.select_option("#bulk-assignee", str(aisha.pk))
    page.click(".bulk-bar button[type=submit]")
    page.wait_for_selector("#queue-results >> text=2 tickets assigned to Aisha Khan")
    assert set(Ticket.all_tenants.filter(assignee=aisha).values_list("pk", flat=True)) >= {t.pk for t in targets}
    shot(page, "03-queue-bulk-assigned")

    # The ticket page: SLA panel, account sidebar, suggested article.
    page.click(f"#ticket-row-{sso.pk} a[href='/tickets/{sso.pk}/']")
    page.wait_for_url(f"{base}/tickets/{sso.pk}/")
    assert "First response" in page.locator("#sla-panel").inner_text()
    assert "Initech" in page.inner_text("aside")
    assert "SSO login setup and login errors" in page.locator("#kb-panel").inner_text()
    shot(page, "04-ticket")

    # An internal note, then the public reply (the first response).
    page.fill("#reply-body", "Checked the IdP: certificate rotated on Monday.")
    page.click("button[value=note]")
    page.wait_for_selector(".comment.internal >> text=certificate rotated")
    assert Ticket.all_tenants.get(pk=sso.pk).first_response_at is None
    page.fill("#reply-body", "Hi Pat, please upload the new SAML certificate; steps are in the linked article.")
    page.click("button[value=reply]")
    page.wait_for_selector(".comment.reply >> text=upload the new SAML certificate")
    assert Ticket.all_tenants.get(pk=sso.pk).first_response_at is not None
    assert "Met" in page.locator("#sla-panel").inner_text()

    # Link the suggested article (HTMX swaps the KB panel).
    page.locator("#kb-panel form", has_text="Link to ticket").first.locator("button").click()
    page.wait_for_selector("#kb-panel >> text=Linked to this ticket")
    shot(page, "05-ticket-replied")

    # Resolve.
    page.click(".ticket-actions button:has-text('Resolve')")
    page.wait_for_selector(".ticket-meta >> text=Resolved")
    assert Ticket.all_tenants.get(pk=sso.pk).status == "resolved"
    assert "Resolved" in page.locator(".timeline").first.inner_text() or "resolved" in page.content().lower()
    shot(page, "06-ticket-resolved")

    # The article shows it is used in one ticket.
    page.click("#kb-panel >> text=SSO login setup and login errors")
    page.wait_for_selector("text=Used in 1 ticket")
    assert page.locator(".kb-body h2").inner_text() == "Login errors"
    shot(page, "07-kb-article")

    # The queue no longer lists the resolved ticket.
    page.goto(f"{base}/tickets/")
    assert page.locator(f"#ticket-row-{sso.pk}").count() == 0

    # Knowledge base: search as you type (HTMX), then write an article with the live preview.
    page.goto(f"{base}/kb/")
    page.evaluate("window.__notReloaded = true")
    page.fill("#kb-q", "certificate")
    page.wait_for_selector("#kb-results >> text=1 result for")
    assert page.locator("#kb-results mark").first.inner_text().lower() == "certificate"
    assert page.evaluate("window.__notReloaded") is True
    shot(page, "08-kb-search")
    page.click("text=New article")
    page.fill("#id_title", "Rotating the SAML certificate")
    page.fill("textarea[name=body]", "## Steps\n\n1. Download the new **certificate**\n2. Upload it\n\n<script>alert(1)</script>")
    page.wait_for_selector("#kb-preview h2")
    assert "alert" not in page.inner_html("#kb-preview")
    shot(page, "09-kb-editor")
    page.select_option("#id_status", "published")
    page.click("form.panel button[type=submit]")
    page.wait_for_selector("h1 >> text=Rotating the SAML certificate")
    assert page.locator(".kb-body li").count() == 2

    # The account 360 page lists the account's open tickets.
    page.goto(f"{base}/accounts/{support_desk['dunder'].pk}/")
    panel = page.locator("#account-tickets-panel")
    assert panel.locator("tbody tr").count() == 2 and "Slow searches" in panel.inner_text()
    panel.screenshot(path=str(ARTIFACTS / "tickets-10-account-panel.png"))
