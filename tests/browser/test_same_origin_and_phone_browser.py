"""In Debian's Chromium against a live server:

- the main pages (sign-in, dashboard, accounts, an account, tickets queue, a ticket, settings, the API docs
  in Swagger UI and Redoc) request nothing from another origin: no CDN, no web fonts, no validator badge;
- at a phone's 390 px the main navigation stays usable (every link visible on screen and tappable)
  and no page is wider than the screen;
- an invitation is listed as pending and accepted from its emailed link.
Screenshots go to tests/artifacts/.
"""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.utils import timezone

from tenancy.models import Membership, Role
from tests.browser_support import ARTIFACTS, BROWSER_MARKS, wait_for_landing
from tests.browser_support import shot as save_shot
from tests.factories import AccountFactory, ContactFactory, MembershipFactory, UserFactory
from tests.factories.tenancy import PASSWORD
from tests.factories.tickets import TicketFactory

pytestmark = BROWSER_MARKS


@pytest.fixture
def desk(transactional_db, tenant, alice):
    account = AccountFactory(tenant=tenant, name="Initech", arr=Decimal("180000"), csm=alice)
    contact = ContactFactory(account=account, name="Pat Lee", email="pat@initech.example")
    ticket = TicketFactory(account=account, contact=contact, severity=2, subject="SSO login fails",
                           opened_at=timezone.now() - timedelta(hours=1))
    return {"account": account, "ticket": ticket}


def sign_in(page, base: str, email: str = "alice@acme.example") -> None:
    page.goto(f"{base}/login/")
    page.fill("#id_username", email)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    wait_for_landing(page, base)


def main_pages(desk) -> list[tuple[str, str]]:
    return [
        ("dashboard", "/"),
        ("accounts", "/accounts/"),
        ("account", f"/accounts/{desk['account'].pk}/"),
        ("tickets", "/tickets/"),
        ("ticket", f"/tickets/{desk['ticket'].pk}/"),
        ("settings", "/settings/"),
        ("swagger", "/api/v1/docs/"),
        ("redoc", "/api/v1/redoc/"),
    ]


def test_main_pages_request_nothing_from_another_origin(live_server, browser_page, desk):
    page, base = browser_page, live_server.url
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(base))
    foreign: list[str] = []

    def record(request):
        parts = urlsplit(request.url)
        if parts.scheme in ("http", "https", "ws", "wss") and f"{parts.scheme}://{parts.netloc}" != origin:
            foreign.append(f"{page.url} -> {request.url}")

    page.on("request", record)
    page.on("response", lambda r: foreign.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    page.goto(f"{base}/login/")
    page.wait_for_load_state("networkidle")
    sign_in(page, base)
    for name, path in main_pages(desk):
        page.goto(f"{base}{path}")
        page.wait_for_load_state("networkidle")
        if name == "redoc":
            page.wait_for_selector("text=Customer Success Platform API")
        if name == "swagger":
            page.wait_for_selector(".swagger-ui .info")
        assert page.url.endswith(path), (name, page.url)
        if name in ("redoc", "swagger"):  # long pages: the first screen is enough
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / f"origin-{name}.png"))
    assert foreign == [], "requests to another origin (or failed):\n" + "\n".join(foreign)


def test_phone_layout_keeps_the_navigation(live_server, chromium_browser, desk, monkeypatch):
    context = chromium_browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2,
                                           is_mobile=True, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(10_000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    base = live_server.url
    try:
        sign_in(page, base)
        save_shot(page, "phone-390-dashboard")
        nav = page.locator("nav.mainnav")
        box = nav.bounding_box()
        assert box is not None and box["width"] >= 300, box  # collapsed to zero before
        for label in ("Dashboards", "Accounts", "Tickets", "Knowledge base", "Onboarding", "My tasks", "Settings"):
            link = nav.get_by_role("link", name=label, exact=True)
            assert link.is_visible(), label
            link_box = link.bounding_box()
            assert link_box and link_box["width"] > 20 and link_box["height"] >= 24, (label, link_box)
            assert 0 <= link_box["x"] and link_box["x"] + link_box["width"] <= 390 + 1, (label, link_box)
        for name, path in main_pages(desk)[:6]:
            page.goto(f"{base}{path}")
            page.wait_for_load_state("networkidle")
            overflow = page.evaluate("Math.max(document.documentElement.scrollWidth, document.body.scrollWidth) - 390")
            assert overflow <= 1, f"{name} is {overflow}px wider than a 390px screen"
            save_shot(page, f"phone-390-{name}")
        page.goto(f"{base}/accounts/")
        page.locator("nav.mainnav").get_by_role("link", name="Tickets", exact=True).click()
        page.wait_for_url(f"{base}/tickets/")
    finally:
        context.close()
    assert errors == []


MAIN_NAV = ("Dashboards", "Accounts", "Tickets", "Knowledge base", "Onboarding", "Renewals", "Advocacy", "My tasks",
            "Settings")


@pytest.mark.parametrize("width", [1024, 1280, 1366, 1920])
def test_every_main_link_is_in_sight_on_laptop_and_desktop_screens(live_server, chromium_browser, desk, width):
    """The main navigation never hides a link behind a scroll (at 1360 px "My tasks" and "Settings" were
    scrolled out of sight once the renewals and advocacy links came): it wraps onto a row of its own."""
    context = chromium_browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    try:
        sign_in(page, live_server.url)
        nav = page.locator("nav.mainnav")
        nav_box = nav.bounding_box()
        for label in MAIN_NAV:
            box = nav.get_by_role("link", name=label, exact=True).bounding_box()
            assert box is not None and box["width"] > 20, (width, label, box)
            assert nav_box["x"] <= box["x"] and box["x"] + box["width"] <= nav_box["x"] + nav_box["width"] + 1, \
                (width, label, box, nav_box)
            assert box["x"] + box["width"] <= width + 1, (width, label, box)
        assert page.evaluate("document.querySelector('nav.mainnav').scrollWidth <= "
                             "document.querySelector('nav.mainnav').clientWidth + 1")
        save_shot(page, f"nav-{width}")
    finally:
        context.close()


def test_inviting_and_accepting_in_the_browser(live_server, browser_page, chromium_browser, desk, other_tenant):
    bob = UserFactory(email="bob@globex.example", full_name="Bob Other")
    MembershipFactory(tenant=other_tenant, user=bob, role=Role.ADMIN)
    page, base = browser_page, live_server.url
    sign_in(page, base)
    page.goto(f"{base}/settings/people/")
    page.fill("#id_email", "bob@globex.example")
    page.select_option("#id_role", "viewer")
    page.click("button:has-text('Send invitation')")
    page.wait_for_selector("#pending-invitations >> text=bob@globex.example")
    assert not Membership.all_tenants.filter(user=bob, tenant__slug="acme").exists()
    save_shot(page, "invite-01-pending")
    link = re.search(r"https?://\S+/invitations/\S+/", mail.outbox[-1].body).group(0)
    link = base + urlsplit(link).path

    context = chromium_browser.new_context(viewport={"width": 1360, "height": 900})
    bob_page = context.new_page()
    try:
        bob_page.goto(link)
        save_shot(bob_page, "invite-02-sign-in-to-accept")
        bob_page.click("text=Sign in to accept")
        bob_page.fill("#id_username", "bob@globex.example")
        bob_page.fill("#id_password", PASSWORD)
        bob_page.click("button[type=submit]")
        bob_page.wait_for_url(link)
        save_shot(bob_page, "invite-03-accept")
        bob_page.click("button:has-text('Join Acme Corp')")
        wait_for_landing(bob_page, base)
        assert "Welcome to Acme Corp" in bob_page.locator(".messages").inner_text()
        assert bob_page.locator(".topbar .brand").inner_text().endswith("Acme Corp")
        save_shot(bob_page, "invite-04-joined")
    finally:
        context.close()
    assert Membership.all_tenants.get(user=bob, tenant__slug="acme").role == Role.VIEWER


def test_error_pages_in_the_browser(live_server, chromium_browser, desk, member, settings):
    settings.DEBUG = False
    viewer = member(Role.VIEWER, email="vera@acme.example")
    context = chromium_browser.new_context(viewport={"width": 1360, "height": 900})
    page = context.new_page()
    base = live_server.url
    try:
        response = page.goto(f"{base}/no-such-page/")
        assert response.status == 404 and page.locator("h1").inner_text() == "Page not found"
        save_shot(page, "error-404-anonymous")
        sign_in(page, base, viewer.email)
        response = page.goto(f"{base}/settings/people/")
        assert response.status == 403 and page.locator("h1").inner_text() == "Not allowed"
        assert page.locator(".topbar").is_visible()
        save_shot(page, "error-403-viewer")
        response = page.goto(f"{base}/accounts/999999/")
        assert response.status == 404 and page.locator("h1").inner_text() == "Page not found"
        save_shot(page, "error-404-member")
        # The 500 page as Django's server_error renders it: no request, no context, nothing loaded.
        from django.template import loader

        page.set_content(loader.get_template("500.html").render())
        assert page.locator("h1").inner_text() == "Something went wrong"
        save_shot(page, "error-500")
    finally:
        context.close()
