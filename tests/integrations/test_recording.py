"""Events are recorded in the publisher's transaction: a rollback records (and sends) nothing; a commit records
the event and one delivery per subscribed endpoint, in a constant number of queries."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from core.registries.events import publish, publish_many
from integrations import delivery, services
from integrations.catalogue import object_key
from integrations.models import WebhookDelivery, WebhookEvent
from tests.integrations.conftest import make_webhook, publish_now, ticket_created


class Boom(Exception):
    pass


@pytest.mark.django_db(transaction=True)
def test_a_rollback_records_nothing_and_sends_nothing(tenant, receiver):
    make_webhook(tenant, receiver.url)
    with pytest.raises(Boom), transaction.atomic():
        publish("ticket.created", tenant_id=tenant.pk, payload=ticket_created(1))
        assert WebhookEvent.all_tenants.count() == 1  # written, inside the transaction
        raise Boom
    assert not WebhookEvent.all_tenants.exists() and not WebhookDelivery.all_tenants.exists()
    assert delivery.deliver_due()["claimed"] == 0 and receiver.requests == []


@pytest.mark.django_db(transaction=True)
def test_a_commit_records_the_event_and_its_deliveries(tenant, receiver):
    make_webhook(tenant, receiver.url)
    make_webhook(tenant, receiver.url.replace("/hook", "/two"), events=["ticket.created", "account.created"])
    with transaction.atomic():
        publish("ticket.created", tenant_id=tenant.pk, payload=ticket_created(1))
    assert WebhookEvent.all_tenants.count() == 1 and WebhookDelivery.all_tenants.count() == 2
    assert delivery.deliver_due()["succeeded"] == 2


@pytest.mark.django_db
def test_only_subscribed_active_endpoints_of_the_tenant_get_deliveries(tenant, other_tenant, receiver):
    mine = make_webhook(tenant, receiver.url, events=["account.created"])
    make_webhook(tenant, receiver.url, events=["ticket.created"], active=False)
    make_webhook(other_tenant, receiver.url, events=["ticket.created", "account.created"])
    publish_now("ticket.created", tenant, ticket_created(1))
    assert not WebhookDelivery.all_tenants.exists()  # nobody active wanted it: recorded (for replay), not sent
    assert WebhookEvent.all_tenants.filter(tenant=tenant, event="ticket.created").count() == 1
    publish_now("account.created", tenant, {"id": 5, "name": "Initech"})
    [row] = WebhookDelivery.all_tenants.all()
    assert row.endpoint_id == mine.pk and row.tenant_id == tenant.pk and row.object_key == "account:5"
    assert not WebhookEvent.all_tenants.filter(tenant=other_tenant).exists()


@pytest.mark.django_db
def test_a_tenant_without_endpoints_records_nothing_and_events_outside_the_catalogue_never(tenant, receiver):
    publish_now("ticket.created", tenant, ticket_created(1))
    assert not WebhookEvent.all_tenants.exists()
    make_webhook(tenant, receiver.url, events=["account.created"])
    publish_now("ticket.resolved", tenant, {"ticket_id": 1})  # not a webhook event
    assert not WebhookEvent.all_tenants.exists()


@pytest.mark.django_db
def test_every_catalogue_event_is_recorded_in_constant_queries_once_the_tenant_has_an_endpoint(tenant, receiver):
    """A Slack endpoint alone is enough; the recorder costs the same three queries whether or not anyone wants
    the events (the tenant's endpoints, the events' INSERT, the deliveries' INSERT when there are any)."""
    services.endpoint_create(tenant=tenant, kind="slack", url=receiver.url.replace("/hook", "/slack"),
                             events=["sev1_opened"])
    counts = []
    for n in (2, 200):
        with CaptureQueriesContext(connection) as queries, transaction.atomic():
            publish_many("ticket.created", tenant_id=tenant.pk,
                         payloads=[ticket_created(i, severity="sev2") for i in range(n)])
        counts.append(len([q for q in queries.captured_queries if "integrations_" in q["sql"]]))
    assert counts == [2, 2]  # no Slack notification applies: events only
    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        publish_many("ticket.created", tenant_id=tenant.pk,
                     payloads=[ticket_created(1000 + i, severity="sev1" if i % 2 else "sev3") for i in range(100)])
    assert len([q for q in queries.captured_queries if "integrations_" in q["sql"]]) == 3
    assert WebhookEvent.all_tenants.filter(tenant=tenant).count() == 302
    assert WebhookDelivery.all_tenants.count() == 50


@pytest.mark.django_db
def test_a_bulk_publish_is_three_queries_whatever_its_size(tenant, receiver):
    make_webhook(tenant, receiver.url)
    make_webhook(tenant, receiver.url)
    counts = []
    for n in (2, 200):
        with CaptureQueriesContext(connection) as queries, transaction.atomic():
            publish_many("ticket.created", tenant_id=tenant.pk, payloads=[ticket_created(i) for i in range(n)])
        counts.append(len([q for q in queries.captured_queries if "integrations_" in q["sql"]]))
    assert counts == [3, 3]
    assert WebhookDelivery.all_tenants.count() == 2 * 202


@pytest.mark.parametrize(("event", "data", "key"), [
    ("account.updated", {"id": 3, "changed": ["arr"]}, "account:3"),
    ("health.status_changed", {"account_id": 3}, "account:3"),
    ("ticket.sla_breached", {"ticket_id": 9}, "ticket:9"),
    ("renewal.outcome_recorded", {"renewal_id": 4}, "renewal:4"),
    ("survey.response_received", {"response_id": 8}, "survey_response:8"),
    ("something.else", {"id": 1}, ""),
    ("ticket.created", {}, ""),
])
def test_object_keys(event, data, key):
    assert object_key(event, data) == key
