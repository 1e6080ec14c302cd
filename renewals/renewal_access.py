"""The one way renewal pages and endpoints fetch a renewal (see ``tenancy.access``): another tenant's, a
missing one or a malformed id is ``NotFound`` (404); writing needs ``accounts.write`` and locks the row."""

from __future__ import annotations

from renewals import renewal_selectors as selectors
from renewals.models import Renewal
from tenancy.access import access_object
from tenancy.permissions import ACCOUNTS_WRITE
from tenancy.principal import Principal


def access_renewal(pk, *, principal: Principal | None, for_write: bool = False) -> Renewal:
    source = Renewal.objects.all() if for_write else selectors.renewal_list()
    return access_object(source, pk, principal=principal, capability=ACCOUNTS_WRITE, for_write=for_write)
