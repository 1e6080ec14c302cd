"""The one way pages and endpoints fetch webhook endpoints and deliveries (scoped, 404 across tenants)."""

from __future__ import annotations

from integrations.models import EndpointKind, WebhookDelivery, WebhookEndpoint
from tenancy.access import access_object
from tenancy.permissions import INTEGRATIONS_MANAGE
from tenancy.principal import Principal


def access_endpoint(pk, *, principal: Principal | None, for_write: bool = False, kind: str | None = None
                    ) -> WebhookEndpoint:
    queryset = WebhookEndpoint.objects.all()
    if kind is not None:
        queryset = queryset.filter(kind=kind)
    return access_object(queryset, pk, principal=principal, capability=INTEGRATIONS_MANAGE, for_write=for_write)


def access_webhook(pk, *, principal: Principal | None, for_write: bool = False) -> WebhookEndpoint:
    return access_endpoint(pk, principal=principal, for_write=for_write, kind=EndpointKind.WEBHOOK)


def access_delivery(pk, *, endpoint: WebhookEndpoint, principal: Principal | None, for_write: bool = False
                    ) -> WebhookDelivery:
    """A delivery of ``endpoint`` (itself already accessed): another endpoint's or tenant's is 404."""
    return access_object(WebhookDelivery.objects.filter(endpoint=endpoint), pk, principal=principal,
                         capability=INTEGRATIONS_MANAGE, for_write=for_write)
