"""Issue 8 in a real browser: the plan page's go-live milestone, the 360 page after a Done (counts and side
panel refreshed out of band, sentiment moving the score at once, one band label), the grouped timeline, the
dashboard's overdue onboarding tasks and a viewer with no Done buttons. Screenshots in tests/artifacts/."""

from datetime import timedelta

import pytest
from django.utils import timezone

from health.services import recompute_health
from tenancy.models import Role
from tests.browser_support import BROWSER_MARKS, wait_for_landing
from tests.browser_support import shot as save_shot
from tests.factories.accounts import AccountFactory, ActivityFactory, TaskFactory
from tests.factories.onboarding import make_plan, make_template
from tests.factories.tenancy import PASSWORD, MembershipFactory, TenantFactory, UserFactory

pytestmark = BROWSER_MARKS


@pytest.fixture
def world(transactional_db):
    tenant = TenantFactory(slug="acme-i8", name="Acme Corp")
    people = {}
    for key, role, name in (("csm", Role.CSM, "Carl CSM"), ("viewer", Role.VIEWER, "Vic Viewer"),
                            ("specialist", Role.ONBOARDING_SPECIALIST, "Sue Specialist")):
        people[key] = UserFactory(email=f"{key}@acme-i8.example", full_name=name)
        MembershipFactory(tenant=tenant, user=people[key], role=role)
    make_template(tenant)
    today = timezone.localdate()
    account = AccountFactory(tenant=tenant, name="Initech", csm=people["csm"], arr=180000)
    plan = make_plan(account, start_date=today - timedelta(days=16))
    TaskFactory(tenant=tenant, account=account, title="Send the QBR deck", owner=people["csm"], due_date=today)
    TaskFactory(tenant=tenant, account=account, title="Call the sponsor", owner=people["csm"], due_date=today)
    now = timezone.now()
    ActivityFactory(tenant=tenant, account=account, kind="note", subject="Sponsor changes team in May",
                    occurred_at=now - timedelta(hours=6), author=people["csm"])
    for i, what in enumerate(["opened", "assigned to Tom", "first response", "pending customer", "solved", "closed"]):
        ActivityFactory(tenant=tenant, account=account, kind="system", source="tickets", ref_type="ticket", ref_id=77,
                        subject=f"Ticket #77: {what}", body="Export to CSV times out",
                        occurred_at=now - timedelta(hours=5) + timedelta(minutes=20 * i))
    recompute_health(tenant=tenant)
    return {"tenant": tenant, "people": people, "account": account, "plan": plan}


def login(page, base, user):
    page.goto(f"{base}/login/")
    page.fill("#id_username", user.email)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    wait_for_landing(page, base)


def test_issue8_pages(live_server, world, chromium_browser):
    errors: list[str] = []
    page = chromium_browser.new_page(viewport={"width": 1400, "height": 900})
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    base = live_server.url
    login(page, base, world["people"]["csm"])
    page.goto(f"{base}/overview/")  # a CSM lands on their book; the workspace overview holds the task tiles
    assert page.locator('[data-testid="overdue"]').inner_text().startswith("2")  # the kickoff and criteria tasks
    save_shot(page, "i8-dashboard-overdue")

    account = world["account"]
    page.goto(f"{base}/accounts/{account.pk}/?tab=tasks")
    page.locator("#count-tasks").wait_for()
    assert page.locator("#count-tasks").inner_text() == "2"
    page.locator("tr", has_text="Send the QBR deck").get_by_role("button", name="✓ Done").click()
    page.wait_for_function("document.querySelector('#count-tasks').textContent.trim() === '1'")
    assert page.locator('[data-testid="facts-open-tasks"]').inner_text() == "1"
    save_shot(page, "i8-account-done-oob")

    before = page.locator("#account-health-value").inner_text()
    page.select_option("#id_score", "5")
    page.get_by_role("button", name="Record sentiment").click()
    page.wait_for_function(f"document.querySelector('#account-health-value').textContent.trim() !== {before.strip()!r}")
    header = page.locator("#account-health-value").inner_text().strip()
    panel = page.locator("#health-panel .health-score").inner_text().strip()
    assert header == panel, (header, panel)
    save_shot(page, "i8-account-sentiment")

    page.goto(f"{base}/accounts/{account.pk}/?tab=timeline")
    group = page.locator("details.timeline-group").first
    assert "6 updates" in group.inner_text()
    group.locator("summary").click()
    save_shot(page, "i8-account-timeline-grouped")
    page.get_by_role("link", name="Conversations").click()
    page.wait_for_timeout(300)
    page.goto(f"{base}/accounts/{account.pk}/")
    assert "Sponsor changes team" in page.content() and "Ticket #77" not in page.content()

    page.goto(f"{base}/onboarding/plans/{world['plan'].pk}/")
    assert page.get_by_role("button", name="◆ Record go-live").is_visible()
    save_shot(page, "i8-plan-go-live-button")
    page.get_by_role("button", name="◆ Record go-live").click()
    page.wait_for_load_state()
    assert "post-launch check-ins are scheduled" in page.content()
    save_shot(page, "i8-plan-went-live")

    viewer = chromium_browser.new_page(viewport={"width": 1400, "height": 900})
    login(viewer, base, world["people"]["viewer"])
    viewer.goto(f"{base}/accounts/{account.pk}/?tab=tasks")
    assert viewer.get_by_role("button", name="✓ Done").count() == 0
    assert "Call the sponsor" in viewer.content()
    save_shot(viewer, "i8-viewer-account-tasks")
    assert not errors, errors
