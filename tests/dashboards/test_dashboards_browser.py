"""In a real browser: the support operations dashboard as a support manager (refresh now, a filter through
HTMX, one number followed to the queue behind it) and score validation as the VP, checked with axe
(tests/browser_support.shot). Screenshots go to tests/artifacts/."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from renewals.models import Renewal
from tenancy.context import tenant_context
from tenancy.models import Role
from tests.browser_support import BROWSER_MARKS, shot, wait_for_landing
from tests.dashboards.conftest import set_ticket
from tests.factories import AccountFactory, HealthSnapshotFactory, RenewalFactory, TicketFactory
from tests.factories.tenancy import PASSWORD, MembershipFactory, TenantFactory, UserFactory

pytestmark = BROWSER_MARKS


@pytest.fixture
def world(transactional_db):
    tenant = TenantFactory(slug="acme-dash", name="Acme Corp")
    lead = UserFactory(email="lead@acme-dash.example", full_name="Sam Support-Lead")
    MembershipFactory(tenant=tenant, user=lead, role=Role.SUPPORT_MANAGER)
    vp = UserFactory(email="vp@acme-dash.example", full_name="Vera VP")
    MembershipFactory(tenant=tenant, user=vp, role=Role.VP)
    erin = UserFactory(email="erin@acme-dash.example", full_name="Erin Engineer")
    MembershipFactory(tenant=tenant, user=erin, role=Role.SUPPORT_ENGINEER)
    now = timezone.now()
    accounts = [AccountFactory(tenant=tenant, name=name, segment=segment, arr=Decimal(arr)) for name, segment, arr in [
        ("Initech", "enterprise", "180000"), ("Hooli", "mid_market", "40000"), ("Falcon Networks", "smb", "9000"),
        ("Umbrella", "enterprise", "120000"),
    ]]
    for i in range(24):
        ticket = TicketFactory(account=accounts[i % 4], severity=1 + i % 4)
        opened = now - timedelta(days=i * 1.7, hours=i)
        late = i % 5 == 0
        resolved = i % 3 != 0
        set_ticket(ticket, assignee=erin if i % 2 else None, opened_at=opened,
                   first_response_at=opened + timedelta(minutes=20 + 40 * i),
                   response_due_at=opened + timedelta(minutes=60 if not late else 10),
                   response_state="breached" if late else "met",
                   resolved_at=opened + timedelta(hours=3 + 5 * i) if resolved else None,
                   status="resolved" if resolved else "open",
                   resolution_state=("breached" if i % 4 == 0 else "met") if resolved else "on_track",
                   escalated_at=opened + timedelta(hours=2) if i % 7 == 0 else None,
                   support_level=2 if i % 7 == 0 else 1)
    # Outcomes a quarter after the health they follow: mostly as the score said, one churned while green.
    for i, (band, score, outcome) in enumerate([
        ("green", "88", "renewed"), ("green", "84", "expanded"), ("green", "91", "churned"), ("yellow", "66", "renewed"),
        ("yellow", "62", "downgraded"), ("red", "35", "churned"), ("red", "41", "churned"), ("red", "48", "renewed"),
    ]):
        account = AccountFactory(tenant=tenant, name=f"Customer {chr(65 + i)}", segment="smb")
        HealthSnapshotFactory(account=account, computed_at=now - timedelta(days=100), score=Decimal(score), status=band)
        renewal = RenewalFactory(account=account, contract_end=(now - timedelta(days=5)).date(), arr=Decimal("10000"))
        with tenant_context(tenant):
            Renewal.objects.filter(pk=renewal.pk).update(outcome=outcome, stage="closed", closed_at=now - timedelta(days=5))
    return {"tenant": tenant, "lead": lead, "vp": vp}


def _sign_in(page, base, user):
    page.goto(f"{base}/login/")
    page.fill("#id_username", user.email)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    wait_for_landing(page, base)


def test_the_support_dashboard(live_server, world, browser_page):
    page = browser_page
    _sign_in(page, live_server.url, world["lead"])
    page.goto(f"{live_server.url}/dashboards/support/")
    assert "Not computed yet" in page.inner_text("#freshness")
    page.click("text=Refresh now")  # eager in tests: the job runs inline and the page comes back
    page.wait_for_url(f"{live_server.url}/dashboards/support/")
    assert "Updated" in page.inner_text("#freshness")
    assert "Sev1 - Critical" in page.inner_text("#sla-severity")
    assert "Erin Engineer" in page.inner_text("#sla-engineer")
    shot(page, "dashboards-support")

    page.select_option("#f-period", "7")
    page.wait_for_url("**/dashboards/support/?**period=7**")
    page.wait_for_function("document.querySelector('#sla-h').innerText.includes('7 days')")
    with page.expect_navigation():
        page.click("text=Refresh now")  # back to the filtered page (the URL HTMX pushed)
    assert "period=7" in page.url and "Refreshed" in page.inner_text("main")
    shot(page, "dashboards-support-7-days")

    open_count = page.inner_text("[data-testid=open-backlog]")
    page.click("[data-testid=open-backlog]")
    page.wait_for_url("**/tickets/?view=open**")
    assert open_count.strip() in page.inner_text("main")
    assert not page.console_errors, page.console_errors


def test_score_validation_page(live_server, world, browser_page):
    page = browser_page
    _sign_in(page, live_server.url, world["vp"])
    page.goto(f"{live_server.url}/health/scorecard/")
    page.click("text=Does the score predict churn?")
    page.wait_for_url(f"{live_server.url}/dashboards/score-validation/")
    assert page.inner_text("[data-testid=outcomes]").startswith("8")
    assert "Customer C" in page.inner_text("#churned-green")
    shot(page, "dashboards-score-validation")
    assert not page.console_errors, page.console_errors
