"""In a real browser (issue 13): each role signs in and lands on its dashboard, the tabs reach the others, and
the support manager follows figures (an engineer's breached responses, a backlog cell) to the queue list that
holds exactly those tickets. Screenshots (axe-checked) go to tests/artifacts/."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from dashboards.refresh import refresh_all
from tenancy.models import Role
from tests.browser_support import BROWSER_MARKS, shot, wait_for_landing
from tests.dashboards.conftest import set_ticket
from tests.factories import (
    AccountFactory,
    SurveyFactory,
    SurveyResponseFactory,
    SurveySendFactory,
    TicketFactory,
)
from tests.factories.tenancy import PASSWORD, MembershipFactory, TenantFactory, UserFactory

pytestmark = BROWSER_MARKS


@pytest.fixture
def world(transactional_db):
    tenant = TenantFactory(slug="acme-land", name="Acme Corp")
    people = {}
    for role, name in ((Role.VP, "Vera VP"), (Role.CSM, "Carl CSM"), (Role.SUPPORT_MANAGER, "Sam Lead"),
                       (Role.SUPPORT_ENGINEER, "Erin Engineer"), (Role.ADMIN, "Ada Admin")):
        people[role] = UserFactory(email=f"{role}@acme-land.example", full_name=name)
        MembershipFactory(tenant=tenant, user=people[role], role=role)
    erin = people[Role.SUPPORT_ENGINEER]
    now = timezone.now()
    accounts = [AccountFactory(tenant=tenant, name=name, segment=segment, arr=Decimal("50000"))
                for name, segment in (("Initech", "enterprise"), ("Hooli", "smb"))]
    survey = SurveyFactory(tenant=tenant, kind="csat", purpose="csat_ticket", automatic=True)
    for i in range(10):
        ticket = TicketFactory(account=accounts[i % 2], severity=1 + i % 3)
        opened = now - timedelta(days=i * 2, hours=3)
        late, resolved = i % 3 == 0, i % 2 == 0
        set_ticket(ticket, assignee=erin if i < 6 else None, opened_at=opened,
                   first_response_at=opened + timedelta(minutes=30), response_due_at=opened + timedelta(minutes=15 if late else 60),
                   response_state="breached" if late else "met", status="resolved" if resolved else "open",
                   resolved_at=opened + timedelta(hours=5) if resolved else None,
                   resolution_state="met" if resolved else "on_track", escalated_at=None)
        if resolved:
            response = SurveyResponseFactory(account=ticket.account, kind="csat", score=5 - i % 3,
                                             responded_at=opened + timedelta(hours=6))
            SurveySendFactory(survey=survey, account=ticket.account, occasion=f"ticket:{ticket.pk}", response=response)
    refresh_all(tenant=tenant)
    return people


def _sign_in(page, base, user, path):
    page.goto(f"{base}/login/")
    page.fill("#id_username", user.email)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    wait_for_landing(page, base, path)


@pytest.mark.parametrize(("role", "path", "heading"), [
    (Role.VP, "/dashboards/portfolio/", "Portfolio"), (Role.CSM, "/dashboards/my-book/", "My book"),
    (Role.ADMIN, "/", "Dashboard"),
])
def test_each_role_lands_on_its_dashboard(live_server, world, browser_page, role, path, heading):
    page = browser_page
    _sign_in(page, live_server.url, world[role], path)
    assert page.locator("h1").inner_text() == heading
    nav = page.locator("nav.mainnav").get_by_role("link", name="Dashboards", exact=True)
    assert nav.get_attribute("aria-current") == "page"
    shot(page, f"landing-{role}")
    page.click("nav.mainnav >> text=Accounts")
    page.click(".topbar .brand")  # the brand link leads back to the landing
    page.wait_for_url(f"{live_server.url}{path}")


def test_the_support_lead_follows_figures_to_their_lists(live_server, world, browser_page):
    page, base = browser_page, live_server.url
    _sign_in(page, base, world[Role.SUPPORT_MANAGER], "/dashboards/support/")
    assert page.locator('nav.tabs[aria-label="Dashboards"] a[aria-current="page"]').inner_text() == "Support operations"
    engineers = page.locator("#sla-engineer")
    assert "CSAT AVERAGE" in engineers.inner_text().upper() and "Erin Engineer" in engineers.inner_text()
    shot(page, "landing-support")

    # Erin's breached first responses: the link's count is the queue's row count.
    erin_row = engineers.locator("tr", has_text="Erin Engineer")
    link = erin_row.locator("td").nth(4).locator("a").first
    count = int(link.inner_text())
    assert count > 0
    link.click()
    page.wait_for_url("**/tickets/?view=all**response=breached**")
    rows = page.locator("#queue-rows > tr:not(:has(td.empty))").count()
    assert rows == count, (rows, count)
    assert page.locator("details.more-filters").get_attribute("open") is not None
    shot(page, "landing-support-followed")

    # Back on the dashboard, its tabs reach the other dashboards.
    page.go_back()
    page.wait_for_url(f"{base}/dashboards/support/")
    page.click('nav.tabs[aria-label="Dashboards"] >> text=Portfolio')
    page.wait_for_url(f"{base}/dashboards/portfolio/")
    assert not page.console_errors, page.console_errors
