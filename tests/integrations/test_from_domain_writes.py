"""End to end: a real write in a domain app (its service publishes the event) reaches a webhook and Slack,
signed as API.md says, and a write that rolls back sends nothing."""

from __future__ import annotations

import json

import pytest
from django.db import transaction

from integrations import delivery, services
from integrations.models import WebhookDelivery
from integrations.signing import verify
from tests.integrations.conftest import SECRET, make_webhook

pytestmark = pytest.mark.django_db


def test_a_sev1_ticket_created_over_the_api_reaches_the_webhook_and_slack(tenant, api, receiver, settings):
    from tenancy.context import tenant_context
    from tests.factories.accounts import AccountFactory

    settings.SITE_URL = "https://csp.example.com"
    with tenant_context(tenant):
        account = AccountFactory(tenant=tenant, name="Initech")
    make_webhook(tenant, receiver.url + "hook", events=["ticket.created", "account.updated"])
    services.endpoint_create(tenant=tenant, kind="slack", url=receiver.url + "slack", events=["sev1_opened"])

    for severity in (3, 1):
        response = api.post("/api/v1/tickets/", {"account": account.pk, "subject": f"Sev {severity} down",
                                                 "severity": severity}, format="json")
        assert response.status_code == 201, response.content
    delivery.deliver_due()

    hooks = [r for r in receiver.requests if r["path"].endswith("hook")]
    slack = [json.loads(r["body"]) for r in receiver.requests if r["path"].endswith("slack")]
    assert sorted(json.loads(r["body"])["data"]["severity"] for r in hooks) == [1, 3]
    assert all(verify(SECRET, r["body"], r["headers"]["X-Signature"]) for r in hooks)
    [message] = slack
    assert message["text"].startswith(":rotating_light: Sev1 ticket opened: Sev 1 down https://csp.example.com/tickets/")


@pytest.mark.django_db(transaction=True)
def test_an_account_update_that_rolls_back_records_nothing(tenant, receiver):
    from accounts.services import account_update
    from tenancy.context import tenant_context
    from tests.factories.accounts import AccountFactory

    with tenant_context(tenant):
        account = AccountFactory(tenant=tenant, name="Initech")
    make_webhook(tenant, receiver.url, events=["account.updated"])
    with tenant_context(tenant):
        with pytest.raises(RuntimeError), transaction.atomic():
            account_update(account=account, name="Initech Global")
            raise RuntimeError("the request fails after the change")
        assert not WebhookDelivery.all_tenants.exists()
        account.refresh_from_db()
        account_update(account=account, name="Initech Global")
    delivery.deliver_due()
    [request] = receiver.requests
    sent = json.loads(request["body"])
    assert sent["event"] == "account.updated" and sent["data"]["name"] == "Initech Global"
    assert "name" in sent["data"]["changed"]
