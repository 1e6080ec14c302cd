"""Factories of the integrations app (webhook endpoints, events, deliveries)."""

from datetime import timedelta

import factory
from django.utils import timezone

from integrations.models import EndpointKind, WebhookDelivery, WebhookEndpoint, WebhookEvent
from tests.factories.accounts import TenantOwnedFactory
from tests.factories.tenancy import TenantFactory

__all__ = ["WebhookDeliveryFactory", "WebhookEndpointFactory", "WebhookEventFactory"]


class WebhookEndpointFactory(TenantOwnedFactory):
    class Meta:
        model = WebhookEndpoint

    tenant = factory.SubFactory(TenantFactory)
    kind = EndpointKind.WEBHOOK
    url = factory.Sequence(lambda n: f"https://hooks{n}.example.com/csp")
    events = factory.LazyFunction(lambda: ["account.created", "ticket.created"])
    secret = "whsec_test_secret_0123456789"


class WebhookEventFactory(TenantOwnedFactory):
    class Meta:
        model = WebhookEvent

    tenant = factory.SubFactory(TenantFactory)
    event = "ticket.created"
    data = factory.Sequence(lambda n: {"ticket_id": n, "account_id": 1, "subject": f"Ticket {n}", "severity": "sev2"})


class WebhookDeliveryFactory(TenantOwnedFactory):
    class Meta:
        model = WebhookDelivery

    endpoint = factory.SubFactory(WebhookEndpointFactory)
    tenant = factory.LazyAttribute(lambda o: o.endpoint.tenant)
    event = factory.LazyAttribute(lambda o: WebhookEventFactory(tenant=o.endpoint.tenant))
    object_key = factory.LazyAttribute(lambda o: f"ticket:{o.event.data.get('ticket_id', '')}")
    retry_until = factory.LazyFunction(lambda: timezone.now() + timedelta(days=1))
