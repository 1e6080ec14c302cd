"""The one way opportunity pages and endpoints fetch an opportunity (see ``tenancy.access``): another
tenant's, a missing one or a malformed id is ``NotFound`` (404); writing needs ``accounts.write`` (the CSM's
capability) and locks the row, so two concurrent "won" PATCHes serialise on it."""

from __future__ import annotations

from renewals.models import Opportunity
from tenancy.access import access_object
from tenancy.permissions import ACCOUNTS_WRITE
from tenancy.principal import Principal


def access_opportunity(pk, *, principal: Principal | None, for_write: bool = False) -> Opportunity:
    return access_object(
        Opportunity, pk, principal=principal, capability=ACCOUNTS_WRITE if for_write else None, for_write=for_write,
    )
