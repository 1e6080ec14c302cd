"""Slack notifications: per-notification subscriptions filter the events (Sev1 only, bottom band only,
detractors only), and the message is Slack's {"text", "blocks"} with a link to the page."""

from __future__ import annotations

import json

import pytest

from integrations import delivery, services
from integrations.models import WebhookDelivery
from integrations.slack import slack_message
from tests.integrations.conftest import publish_now, ticket_created

pytestmark = pytest.mark.django_db


def _slack(tenant, url, events):
    return services.endpoint_create(tenant=tenant, kind="slack", url=url, events=events)


def test_only_the_occurrences_the_notifications_name_are_sent(tenant, receiver, settings):
    settings.SITE_URL = "https://csp.example.com"
    _slack(tenant, receiver.url, ["sev1_opened", "account_red", "detractor", "renewal_at_risk", "sla_breached"])
    publish_now("ticket.created", tenant, payloads=[ticket_created(1, severity=2), ticket_created(2, severity=1)])
    publish_now("health.status_changed", tenant, payloads=[
        {"account_id": 5, "account_name": "Initech", "from_status": "green", "to_status": "yellow", "score": 61,
         "is_bottom_band": False, "computed_at": "2026-03-02T09:00:00+00:00"},
        {"account_id": 6, "account_name": "Hooli", "from_status": "yellow", "to_status": "red", "score": 22.5,
         "is_bottom_band": True, "computed_at": "2026-03-02T09:00:00+00:00"},
    ])
    publish_now("survey.response_received", tenant, payloads=[
        {"response_id": 1, "account_id": 5, "account_name": "Initech", "kind": "nps", "score": 9, "category": "promoter",
         "comment": ""},
        {"response_id": 2, "account_id": 6, "account_name": "Hooli", "kind": "nps", "score": 2, "category": "detractor",
         "comment": "Too slow <script>"},
    ])
    publish_now("renewal.at_risk", tenant, {"renewal_id": 3, "account_id": 6, "account_name": "Hooli",
                                            "renewal_date": "2026-06-30", "arr": "120000.00", "forecast": "at_risk"})
    publish_now("account.created", tenant, {"id": 9, "name": "Not for Slack"})
    assert WebhookDelivery.all_tenants.count() == 4

    delivery.deliver_due()

    messages = [json.loads(r["body"]) for r in receiver.requests]
    assert len(messages) == 4 and all("X-Signature" not in r["headers"] for r in receiver.requests)
    texts = " | ".join(m["text"] for m in messages)
    assert "Sev1 ticket opened: Help 2" in texts and "https://csp.example.com/tickets/2/" in texts
    assert "Hooli turned red" in texts and "https://csp.example.com/accounts/6/" in texts
    assert "Detractor response from Hooli" in texts and "Renewal at risk: Hooli" in texts
    assert "Initech" not in texts and "Help 1" not in texts
    detractor = next(m for m in messages if "Detractor" in m["text"])
    assert "&lt;script&gt;" in detractor["blocks"][0]["text"]["text"]  # Slack's control characters escaped


def test_the_message_shape():
    message = slack_message("ticket.sla_breached", {"ticket_id": 4, "account_id": 2, "account_name": "Acme",
                                                     "subject": "Down", "severity": "sev1", "metric": "first_response",
                                                     "due_at": "2026-03-02T10:00:00+00:00"})
    assert message["text"].startswith(":alarm_clock: SLA breached (first response): Down")
    section, actions = message["blocks"]
    assert section["type"] == "section" and section["text"]["type"] == "mrkdwn"
    assert actions["elements"][0]["url"].endswith("/tickets/4/")


def test_slack_notifications_are_validated(tenant, allow_private):
    from base.errors import DomainError

    with pytest.raises(DomainError, match="Unknown: ticket.created"):
        _slack(tenant, "http://127.0.0.1:9/x", ["ticket.created"])
    endpoint = _slack(tenant, "http://127.0.0.1:9/x", ["detractor"])
    assert endpoint.secret == "" and endpoint.events == ["detractor"]


def test_a_slack_test_send_is_a_plain_message(tenant, receiver):
    endpoint = _slack(tenant, receiver.url, ["detractor"])
    assert services.endpoint_test_send(endpoint=endpoint).ok
    message = json.loads(receiver.requests[0]["body"])
    assert message["text"] == "A test delivery from Acme Corp."
    assert message["blocks"][0]["text"]["text"] == "*A test delivery from Acme Corp.*"
