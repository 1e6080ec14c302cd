"""The ticket page in Debian's Chromium against a live server: a severity change after a breach shows
the new target beside its own due time, the change log reads as words, and a viewer is offered nothing
they cannot do. Screenshots go to tests/artifacts/ (git-ignored)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from tenancy.models import Role
from tests.browser_support import BROWSER_MARKS, shot
from tests.factories.accounts import AccountFactory, ContactFactory
from tests.factories.tenancy import PASSWORD, MembershipFactory, UserFactory
from tests.factories.tickets import TicketFactory

pytestmark = BROWSER_MARKS


@pytest.fixture
def desk(transactional_db, tenant, alice):
    tom = UserFactory(email="tom@acme.example", full_name="Tom Becker")
    MembershipFactory(tenant=tenant, user=tom, role=Role.SUPPORT_ENGINEER)
    vera = UserFactory(email="vera@acme.example", full_name="Vera Viewer")
    MembershipFactory(tenant=tenant, user=vera, role=Role.VIEWER)
    initech = AccountFactory(tenant=tenant, name="Initech", arr=Decimal("80000"), csm=alice)
    pat = ContactFactory(account=initech, name="Pat Lee", email="pat@initech.example")
    ticket = TicketFactory(account=initech, contact=pat, severity=3, subject="Slow searches in the afternoon",
                           opened_at=timezone.now() - timedelta(hours=2))
    return {"tom": tom, "vera": vera, "ticket": ticket}


def sign_in(page, base: str, email: str) -> None:
    page.goto(f"{base}/login/")
    page.fill("#id_username", email)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")


def target(page, label: str) -> str:
    return page.locator(".sla-target", has_text=label).inner_text()


def test_severity_change_after_a_breach_in_chromium(live_server, browser_page, desk):
    page, base, ticket = browser_page, live_server.url, desk["ticket"]
    sign_in(page, base, desk["tom"].email)
    page.goto(f"{base}/tickets/{ticket.pk}/")
    page.select_option("#id_severity", "1")  # Sev1: the 1h response target passed an hour ago
    page.click("form.props button[type=submit]")
    page.wait_for_selector(".flash")
    assert "Breached" in target(page, "First response")
    page.select_option("#id_severity", "2")  # Sev2: 4h from opening, two hours left
    page.click("form.props button[type=submit]")
    page.wait_for_selector(".flash")
    response = target(page, "First response")
    due = timezone.localtime(ticket.opened_at + timedelta(hours=4)).strftime("%a %b %-d, %H:%M")
    assert "4h" in response and due in response, response
    assert "On track" in response or "At risk" in response
    assert "First response breached" in page.locator("section", has_text="SLA events").last.inner_text()
    shot(page, "tickets-severity-after-breach")
