"""``ticket.created`` (API, page, email intake: all through ``ticket_create``) and ``ticket.sla_breached``
(the scan's compare-and-set transitions: once per ticket and metric, a re-run publishes nothing)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tenancy.context import tenant_context
from tests.events_support import outbox_payloads, rolled_back, subscribed
from tests.factories.accounts import AccountFactory
from tests.factories.tickets import TicketFactory
from tests.tickets.test_email_intake import URL, email
from tickets import sla_engine
from tickets.models import Ticket
from tickets.services import lifecycle

pytestmark = pytest.mark.django_db


def test_api_create_publishes(api, clock, account, published):
    response = api.post("/api/v1/tickets/", {"account": account.pk, "subject": "Search is down", "severity": 1},
                        format="json")
    assert response.status_code == 201
    [payload] = published.of("ticket.created")
    assert payload == {
        "ticket_id": response.json()["id"], "number": 1, "account_id": account.pk, "account_name": "Initech",
        "subject": "Search is down", "severity": 1, "status": "new", "created_at": "2026-03-02T09:00:00+00:00",
    }


def test_page_and_email_intake_publish(alice_client, api, clock, account, contact, published):
    response = alice_client.post(reverse("tickets:create"), {"account": account.pk, "subject": "From the page",
                                                             "severity": 2, "channel": "phone", "support_level": 1})
    assert response.status_code == 302, response.content
    assert api.post(URL, email(), format="json").status_code == 201
    assert [(p["subject"], p["severity"]) for p in published.of("ticket.created")] == [
        ("From the page", 2), ("TPS reports broken", 3)]


def test_a_breach_publishes_once_per_ticket_and_metric(in_tenant, clock, account, published):
    ticket = TicketFactory(account=account, severity=1)  # response due 60 min, resolution 240 min
    clock.shift(timedelta(minutes=61))
    sla_engine.scan()
    sla_engine.scan()
    [breach] = published.of("ticket.sla_breached")
    assert breach == {
        "ticket_id": ticket.pk, "number": ticket.number, "account_id": account.pk, "account_name": "Initech",
        "subject": ticket.subject, "severity": 1, "metric": "response", "due_at": "2026-03-02T10:00:00+00:00",
        "breached_at": "2026-03-02T10:01:00+00:00",
    }
    clock.shift(timedelta(minutes=180))
    sla_engine.scan()
    sla_engine.scan()
    assert [p["metric"] for p in published.of("ticket.sla_breached")] == ["response", "resolution"]


def test_a_metric_breached_again_under_a_new_target_is_not_published_twice(in_tenant, clock, account, published):
    ticket = TicketFactory(account=account, severity=1)
    clock.shift(timedelta(minutes=61))
    sla_engine.scan()
    lifecycle.ticket_set_severity(ticket=Ticket.objects.get(pk=ticket.pk), severity=4)  # due in 1 and 5 days
    clock.shift(timedelta(days=2))
    assert sla_engine.scan().transitions.breached == 1  # the response, again: logged, not published again
    assert [p["metric"] for p in published.of("ticket.sla_breached")] == ["response"]
    clock.shift(timedelta(days=4))
    sla_engine.scan()
    assert [p["metric"] for p in published.of("ticket.sla_breached")] == ["response", "resolution"]


def test_the_scan_publishes_with_a_constant_number_of_queries(in_tenant, clock, account, published):
    def breach(count: int) -> int:
        for _ in range(count):
            TicketFactory(account=account, severity=1)
        clock.shift(timedelta(minutes=61))
        with CaptureQueriesContext(connection) as ctx:
            sla_engine.scan()
        return len(ctx.captured_queries)

    few = breach(3)
    assert len(published.of("ticket.sla_breached")) == 3
    published.clear()
    many = breach(30)
    assert len(published.of("ticket.sla_breached")) == 30
    assert published.batches.count("ticket.sla_breached") == 1
    assert many <= few + 2  # escalation's own bulk writes


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_create_or_scan_publishes_nothing(tenant, clock, monkeypatch):
    account = AccountFactory(tenant=tenant, name="Initech")
    with tenant_context(tenant):
        with subscribed("ticket.created", monkeypatch):
            rolled_back(lambda: lifecycle.ticket_create(account=account, subject="Never", severity=1))
            assert outbox_payloads() == []
            lifecycle.ticket_create(account=account, subject="Kept", severity=1)
            assert [p["subject"] for p in outbox_payloads()] == ["Kept"]
        clock.shift(timedelta(minutes=61))
        with subscribed("ticket.sla_breached", monkeypatch):
            rolled_back(sla_engine.scan)
            assert [p for p in outbox_payloads() if "metric" in p] == []
            sla_engine.scan()
            assert [p["metric"] for p in outbox_payloads() if "metric" in p] == ["response"]


def test_a_ticket_opened_in_the_past_is_created_before_it_breaches(api, clock, account, published):
    response = api.post("/api/v1/tickets/", {"account": account.pk, "subject": "Old", "severity": 1,
                                             "opened_at": "2026-03-02T07:00:00Z"}, format="json")
    assert response.status_code == 201
    assert published.batches == ["ticket.created", "ticket.sla_breached"]
    assert published.of("ticket.sla_breached")[0]["metric"] == "response"
