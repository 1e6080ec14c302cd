"""The one way health's pages and endpoints fetch a tenant object by id (on ``tenancy.access``)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied

from accounts.models import Account
from tenancy.access import access_object
from tenancy.permissions import HEALTH_WRITE
from tenancy.principal import Principal


def access_account_health(pk, *, principal: Principal | None, for_write: bool = False) -> Account:
    """The account whose health is read (panel, score, history, usage) or written (sentiment).

    Another tenant's account, a missing one or a malformed id is ``NotFound`` (404). With ``for_write``
    the principal needs ``HEALTH_WRITE`` (else ``PermissionDenied``, 403). The account row is not locked:
    health writes take the tenant's recompute lock (the inline recompute after a sentiment), and holding
    the account row before it could deadlock with a running recompute, which updates account rows.
    """
    account = access_object(Account.objects.select_related("csm"), pk, principal=principal)
    if for_write and not principal.can(HEALTH_WRITE):
        raise PermissionDenied("Your role may not change this account's health.")
    return account
