"""The settings pages: admins only; add a webhook or Slack notifications, the paused banner, pause / resume /
test-send / replay buttons, the delivery log in a bounded number of queries."""

from __future__ import annotations

import pytest
from django.utils import timezone

from integrations import delivery
from integrations.models import DeliveryAttempt, WebhookDelivery, WebhookEndpoint
from tenancy.models import Role
from tests.integrations.conftest import make_webhook, publish_now, ticket_created

pytestmark = pytest.mark.django_db


def test_only_admins_see_the_pages(client, member, tenant):
    client.force_login(member(Role.VP))
    assert client.get("/settings/integrations/").status_code == 403
    assert client.post("/settings/integrations/webhooks/new/", {}).status_code == 403


def test_add_a_webhook_with_the_offered_secret(alice_client, receiver):
    page = alice_client.get("/settings/integrations/webhooks/new/")
    assert page.status_code == 200
    secret = page.context["form"].initial["secret"]
    assert secret.startswith("whsec_") and secret in page.content.decode()  # offered once, before saving
    answer = alice_client.post("/settings/integrations/webhooks/new/", {
        "url": receiver.url, "events": ["ticket.created", "account.updated"], "secret": secret,
        "max_in_flight": 4, "active": "on",
    })
    endpoint = WebhookEndpoint.all_tenants.get()
    assert answer.status_code == 302 and answer.url == f"/settings/integrations/{endpoint.pk}/"
    assert endpoint.secret == secret and endpoint.events == ["account.updated", "ticket.created"]
    detail = alice_client.get(answer.url).content.decode()
    assert secret not in detail
    edit = alice_client.get(f"/settings/integrations/{endpoint.pk}/edit/").content.decode()
    assert secret not in edit


def test_an_unsafe_url_is_refused_on_the_form(alice_client, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_HOSTS = False
    answer = alice_client.post("/settings/integrations/webhooks/new/", {
        "url": "http://127.0.0.1/x", "events": ["ticket.created"], "secret": "whsec_0123456789abcdef", "max_in_flight": 8,
    })
    assert answer.status_code == 400 and "loopback address" in answer.content.decode()
    assert not WebhookEndpoint.all_tenants.exists()


def test_add_slack_notifications(alice_client, receiver):
    answer = alice_client.post("/settings/integrations/slack/new/", {
        "url": receiver.url, "description": "#cs-alerts", "events": ["sev1_opened", "detractor"], "active": "on",
    })
    assert answer.status_code == 302
    endpoint = WebhookEndpoint.all_tenants.get()
    assert endpoint.kind == "slack" and endpoint.events == ["sev1_opened", "detractor"]
    listing = alice_client.get("/settings/integrations/").content.decode()
    assert "Slack notifications" in listing and "#cs-alerts" in listing and "Sev1 ticket opened" in listing


def test_the_breaker_says_so_and_resume_and_replay_work(alice_client, tenant, receiver, django_assert_max_num_queries):
    endpoint = make_webhook(tenant, receiver.url, max_in_flight=64)
    publish_now("ticket.created", tenant, payloads=[ticket_created(i) for i in range(60)])
    delivery.deliver_due()
    WebhookEndpoint.all_tenants.filter(pk=endpoint.pk).update(
        paused_at=timezone.now(), paused_reason="Paused after 15 failed deliveries in a row (last: HTTP 500).")
    with django_assert_max_num_queries(14):
        page = alice_client.get(f"/settings/integrations/{endpoint.pk}/")
    html = page.content.decode()
    assert "Paused since" in html and "HTTP 500" in html and ">Resume</button>" in html
    assert "at most 30 days back" in html
    assert html.count('id="delivery-') == 50 and "Page 1 of 2" in html and "HTTP 200" in html and " ms" in html
    with django_assert_max_num_queries(12):
        alice_client.get("/settings/integrations/")

    assert alice_client.post(f"/settings/integrations/{endpoint.pk}/resume/").status_code == 302
    endpoint.refresh_from_db()
    assert not endpoint.is_paused

    row = WebhookDelivery.all_tenants.order_by("pk").first()
    assert alice_client.post(f"/settings/integrations/{endpoint.pk}/deliveries/{row.pk}/replay/").status_code == 302
    row.refresh_from_db()
    assert row.status == "pending"
    answer = alice_client.post(f"/settings/integrations/{endpoint.pk}/replay/", {"since": "2000-01-01T00:00"},
                               follow=True)
    assert "are due again (events are kept 30 days: older ones are gone)." in answer.content.decode()
    assert WebhookDelivery.all_tenants.filter(status="pending").count() == 60
    assert alice_client.post(f"/settings/integrations/{endpoint.pk}/replay/", {"since": "soon"}).status_code == 400


def test_pause_test_send_and_delete_buttons(alice_client, tenant, receiver):
    endpoint = make_webhook(tenant, receiver.url)
    alice_client.post(f"/settings/integrations/{endpoint.pk}/pause/")
    endpoint.refresh_from_db()
    assert endpoint.is_paused and endpoint.paused_reason == "Paused by hand."
    answer = alice_client.post(f"/settings/integrations/{endpoint.pk}/test/", follow=True)
    assert "Test delivered: HTTP 200" in answer.content.decode() and "The endpoint is resumed." in answer.content.decode()
    endpoint.refresh_from_db()
    assert not endpoint.is_paused
    publish_now("ticket.created", tenant, ticket_created(1))
    delivery.deliver_due()
    assert DeliveryAttempt.all_tenants.count() == 1
    alice_client.post(f"/settings/integrations/{endpoint.pk}/delete/")
    assert not WebhookEndpoint.all_tenants.exists()
    assert not WebhookDelivery.all_tenants.exists() and not DeliveryAttempt.all_tenants.exists()


def test_another_tenants_endpoint_is_404(alice_client, other_tenant, receiver):
    theirs = make_webhook(other_tenant, receiver.url)
    assert alice_client.get(f"/settings/integrations/{theirs.pk}/").status_code == 404
    assert alice_client.post(f"/settings/integrations/{theirs.pk}/test/").status_code == 404
    assert receiver.requests == []
