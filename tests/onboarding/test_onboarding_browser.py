"""In a real browser (Debian's Chromium through Playwright): start onboarding from the account page,
tick tasks and checklist items off the plan inline (HTMX), see progress and the board move.
Screenshots go to tests/artifacts/ (git-ignored)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from onboarding.models import OnboardingPlan, PlanTask
from tenancy.models import Role
from tests.browser_support import BROWSER_MARKS, wait_for_landing
from tests.browser_support import shot as save_shot
from tests.factories.accounts import AccountFactory
from tests.factories.onboarding import make_plan, make_template
from tests.factories.tenancy import PASSWORD, MembershipFactory, TenantFactory, UserFactory

pytestmark = BROWSER_MARKS


@pytest.fixture
def browser(chromium_browser):
    return chromium_browser


@pytest.fixture
def world(transactional_db):
    """Acme with an onboarding specialist, a CSM, the standard template, an account mid-onboarding
    (started 10 days ago, so the kickoff phase is late) and a fresh account with no plan yet."""
    tenant = TenantFactory(slug="acme-browser", name="Acme Corp")
    people = {}
    for key, role, name in (("specialist", Role.ONBOARDING_SPECIALIST, "Sue Specialist"), ("csm", Role.CSM, "Carl CSM"),
                            ("engineer", Role.SUPPORT_ENGINEER, "Erin Engineer"), ("vp", Role.VP, "Vera VP")):
        people[key] = UserFactory(email=f"{key}@acme-browser.example", full_name=name)
        MembershipFactory(tenant=tenant, user=people[key], role=role)
    make_template(tenant)
    today = timezone.localdate()
    running = make_plan(AccountFactory(tenant=tenant, name="Initech", csm=people["csm"], arr=180000),
                        start_date=today - timedelta(days=10))
    make_plan(AccountFactory(tenant=tenant, name="Hooli", csm=people["csm"], arr=40000), start_date=today - timedelta(days=2))
    fresh = AccountFactory(tenant=tenant, name="Umbrella", csm=people["csm"], arr=12000)
    return {"tenant": tenant, "people": people, "running": running, "fresh": fresh}


def shot(page, name: str) -> None:
    save_shot(page, f"onboarding-{name}")


def test_tick_tasks_off_a_plan(live_server, world, browser):
    errors: list[str] = []
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)

    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", world["people"]["specialist"].email)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    wait_for_landing(page, live_server.url)

    # The board: both plans on the timeline, the late kickoff phase in red, today marked.
    page.goto(f"{live_server.url}/onboarding/")
    assert page.locator("tr.onb-row").count() == 2
    assert page.locator(".onb-bar.late").count() >= 1
    assert page.locator(".onb-today").count() == 2
    shot(page, "board")

    # The plan page: tick the kickoff off inline; progress moves without a page load.
    plan = world["running"]
    page.goto(f"{live_server.url}/onboarding/plans/{plan.pk}/")
    assert page.get_by_test_id("plan-progress").inner_text() == "0%"
    shot(page, "plan-before")
    page.get_by_role("button", name="Mark Kickoff meeting done").click()
    page.wait_for_function("document.querySelector('[data-testid=plan-progress]').textContent.trim() === '16%'")
    page.get_by_role("button", name="Mark Document success criteria done").click()
    page.wait_for_function("document.querySelector('[data-testid=plan-progress]').textContent.trim() === '33%'")
    page.get_by_role("button", name="☐ SSO").click()
    page.get_by_role("button", name="☑ SSO").wait_for()
    page.get_by_label("Status of Go live").select_option("blocked")
    page.locator("#phase-" + str(PlanTask.all_tenants.get(plan=plan, title="Go live").phase_id)).get_by_text("Blocked").first.wait_for()
    kickoff = page.locator("#phase-" + str(PlanTask.all_tenants.get(plan=plan, title="Kickoff meeting").phase_id))
    assert kickoff.locator("details").get_attribute("open") is None  # a done phase folds away
    kickoff.locator("summary").click()
    kickoff.get_by_role("button", name="Reopen Kickoff meeting").wait_for()
    shot(page, "plan-ticked")
    statuses = dict(PlanTask.all_tenants.filter(plan=plan).values_list("title", "status"))
    assert statuses["Kickoff meeting"] == "done" and statuses["Document success criteria"] == "done"
    assert statuses["Configure integrations"] == "in_progress" and statuses["Go live"] == "blocked"
    assert PlanTask.all_tenants.get(plan=plan, title="Configure integrations").checklist[0]["done"] is True

    # Start onboarding the fresh account from its page.
    page.goto(f"{live_server.url}/accounts/{world['fresh'].pk}/")
    page.get_by_role("button", name="Start onboarding").click()
    page.wait_for_url(f"{live_server.url}/onboarding/plans/*/")
    assert OnboardingPlan.all_tenants.filter(account=world["fresh"]).exists()
    page.goto(f"{live_server.url}/accounts/{world['fresh'].pk}/")
    page.locator("#onboarding-panel").get_by_text("0%").wait_for()
    shot(page, "account-panel")

    # My onboarding tasks, ticked off from the list.
    page.goto(f"{live_server.url}/accounts/tasks/")
    section = page.locator("#my-onboarding-tasks")
    assert section.count() == 1
    section.get_by_role("button", name="Mark Go live done").first.click()
    section.locator("span.badge.green", has_text="Done").first.wait_for()
    shot(page, "my-tasks")

    page.goto(f"{live_server.url}/onboarding/templates/{plan.template_id}/")
    shot(page, "template-editor")
    assert errors == []


def login(page, live_server, email: str) -> None:
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", email)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    wait_for_landing(page, live_server.url)


def test_seeded_handbook_tenant_board(live_server, transactional_db, browser):
    """RAG Fortress as seed_demo leaves it: the 7-week plan, plans on track, late and completed."""
    from onboarding import seed
    from ops.demo.accounts import seed_accounts
    from tenancy.context import tenant_context

    from .test_seed import context_for

    ctx = context_for("rag-fortress")
    ctx.today = timezone.localdate()
    with tenant_context(ctx.tenant):
        ctx.accounts = seed_accounts(ctx, 60)
        seed.seed_tenant(ctx)
    late = OnboardingPlan.all_tenants.filter(tenant=ctx.tenant, status="active").order_by("start_date").first()
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    login(page, live_server, ctx.users["onboarding_specialist"][0].email)
    page.goto(f"{live_server.url}/onboarding/")
    assert page.locator("tr.onb-row").count() >= 4
    assert page.locator("tr.onb-late").count() >= 1
    shot(page, "seeded-board")
    page.goto(f"{live_server.url}/onboarding/plans/{late.pk}/")
    page.get_by_text("Enterprise onboarding (7 weeks)").first.wait_for()
    shot(page, "seeded-plan")
    page.goto(f"{live_server.url}/onboarding/templates/")
    shot(page, "seeded-templates")
    assert errors == []
