"""The one way the settings pages fetch a membership, an invitation or an API key of the tenant.

On :func:`tenancy.access.access_object`: another tenant's (or a missing) one is not found (404);
with ``for_write=True`` the ``tenant.manage`` capability is checked (403) and the row locked, so call
it inside ``transaction.atomic()`` together with the write.
"""

from __future__ import annotations

from tenancy.access import access_object
from tenancy.models import ApiKey, Invitation, Membership
from tenancy.permissions import TENANT_MANAGE
from tenancy.principal import Principal


def access_membership(pk, *, principal: Principal | None, for_write: bool = False) -> Membership:
    return access_object(
        Membership.objects.select_related("user"), pk, principal=principal, capability=TENANT_MANAGE,
        for_write=for_write,
    )


def access_invitation(pk, *, principal: Principal | None, for_write: bool = False) -> Invitation:
    return access_object(Invitation, pk, principal=principal, capability=TENANT_MANAGE, for_write=for_write)


def access_api_key(pk, *, principal: Principal | None, for_write: bool = False) -> ApiKey:
    return access_object(ApiKey, pk, principal=principal, capability=TENANT_MANAGE, for_write=for_write)
