"""The one way cadence pages and endpoints fetch a cadence (see ``tenancy.access``): another tenant's, a
missing one or a malformed id is ``NotFound`` (404); writing needs ``renewals.configure`` and locks it."""

from __future__ import annotations

from renewals.models import TouchpointCadence
from tenancy.access import access_object
from tenancy.permissions import RENEWALS_CONFIGURE
from tenancy.principal import Principal


def access_cadence(pk, *, principal: Principal | None, for_write: bool = False) -> TouchpointCadence:
    return access_object(
        TouchpointCadence, pk, principal=principal,
        capability=RENEWALS_CONFIGURE if for_write else None, for_write=for_write,
    )
