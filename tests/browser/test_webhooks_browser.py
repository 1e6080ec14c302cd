"""The webhooks and Slack settings pages in Chromium, checked with axe-core (WCAG 2.1 AA): the list, a paused
webhook's page with its delivery log, the add forms, and a form with an error."""

from __future__ import annotations

import pytest
from django.utils import timezone

from integrations import delivery, services
from integrations.loopback_receiver import LoopbackReceiver
from integrations.models import WebhookEndpoint
from tests.browser_support import BROWSER_MARKS, shot
from tests.factories.tenancy import PASSWORD
from tests.integrations.conftest import make_webhook, publish_now, ticket_created

pytestmark = BROWSER_MARKS


@pytest.fixture
def world(transactional_db, tenant, alice, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_HOSTS = True
    with LoopbackReceiver(lambda n, event_id, path: 503 if n % 3 == 0 else 200) as receiver:
        endpoint = make_webhook(tenant, receiver.url, events=["ticket.created", "account.updated"],
                                description="CRM sync")
        services.endpoint_create(tenant=tenant, kind="slack", url=receiver.url.replace("/hook", "/slack"),
                                 events=["sev1_opened", "detractor"], description="#cs-alerts")
        publish_now("ticket.created", tenant, payloads=[ticket_created(i, severity="sev1") for i in range(12)])
        delivery.deliver_due()
    WebhookEndpoint.all_tenants.filter(pk=endpoint.pk).update(
        paused_at=timezone.now(), consecutive_failures=15,
        paused_reason="Paused after 15 failed deliveries in a row (last: HTTP 503).")
    return endpoint


def test_webhook_pages_pass_axe(live_server, browser_page, world):
    page, base = browser_page, live_server.url
    page.goto(f"{base}/login/")
    page.fill("#id_username", "alice@acme.example")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")
    page.goto(f"{base}/settings/integrations/")
    assert page.locator("table.slack").inner_text().count("#cs-alerts") == 1
    shot(page, "webhooks-list")
    page.goto(f"{base}/settings/integrations/{world.pk}/")
    assert "Paused since" in page.inner_text("body")
    shot(page, "webhooks-detail-paused")
    page.goto(f"{base}/settings/integrations/webhooks/new/")
    shot(page, "webhooks-add")
    page.fill("#id_url", "ftp://example.com/x")
    page.check("input[name=events][value='ticket.created']")
    page.click("form.panel button[type=submit]")
    assert "must start with https://" in page.inner_text("body")
    assert page.console_errors == ["error: Failed to load resource: the server responded with a status of 400 "
                                   "(Bad Request)"]  # the form's answer: 400 with the message
    page.console_errors.clear()
    shot(page, "webhooks-add-error")
    page.goto(f"{base}/settings/integrations/slack/new/")
    shot(page, "webhooks-add-slack")
