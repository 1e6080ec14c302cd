"""Bulk assign with nothing selected, in Debian's Chromium: the page asks for a selection without sending the
request, and a request that arrives anyway without tickets (here: its tickets stripped on the way) shows the
server's message in the queue instead of "Request failed (400)". Screenshots go to tests/artifacts/."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

from tests.browser_support import BROWSER_MARKS
from tests.browser_support import shot as save_shot
from tests.tickets.test_queue_browser import sign_in, support_desk  # noqa: F401 - the fixture
from tickets.models import Ticket

pytestmark = BROWSER_MARKS


def test_bulk_assign_with_nothing_selected_asks_for_a_selection(live_server, browser_page, support_desk):  # noqa: F811
    page, base = browser_page, live_server.url
    sign_in(page, base, support_desk["tom"].email)
    page.goto(f"{base}/tickets/")
    assignments = list(Ticket.all_tenants.values_list("pk", "assignee_id"))

    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" and "bulk-assign" in r.url else None)
    page.click(".bulk-bar button[type=submit]")
    hint = page.locator("#bulk-hint")
    hint.wait_for()
    assert hint.inner_text() == "Select one or more tickets to assign (tick their boxes), then press Assign."
    assert posts == [] and page.locator("#htmx-error").count() == 0
    save_shot(page, "tickets-04-bulk-assign-nothing-selected")

    # Ticking a box clears the hint.
    first = page.locator("#queue-rows input[name=ticket]").first
    first.check()
    assert page.locator("#bulk-hint").count() == 0

    # The request arrives without tickets anyway: the queue comes back with the server's message.
    def strip_tickets(route):
        fields = [(k, v) for k, v in parse_qsl(route.request.post_data or "") if k != "ticket"]
        route.continue_(post_data=urlencode(fields))

    page.route("**/tickets/bulk-assign/**", strip_tickets)
    with page.expect_response(lambda r: "bulk-assign" in r.url) as answer:
        page.click(".bulk-bar button[type=submit]")
    assert answer.value.status == 400
    page.wait_for_selector("#queue-results .flash-error >> text=Select one or more tickets to assign")
    assert page.locator("#htmx-error").count() == 0  # not "Request failed (400)"
    save_shot(page, "tickets-05-bulk-assign-refused-by-server")
    assert list(Ticket.all_tenants.values_list("pk", "assignee_id")) == assignments
    # Chromium logs the expected 400 itself; nothing else may have gone wrong.
    assert all("status of 400" in e for e in page.console_errors), page.console_errors
    page.console_errors.clear()
