"""The one way survey pages fetch a campaign (see ``tenancy.access``): another tenant's, a missing one or a
malformed id is ``NotFound`` (404); writing needs ``accounts.write`` (CSMs, VPs, admins) and locks it."""

from __future__ import annotations

from advocacy.models import Survey
from tenancy.access import access_object
from tenancy.permissions import ACCOUNTS_WRITE
from tenancy.principal import Principal

SURVEYS_WRITE = ACCOUNTS_WRITE


def access_survey(pk, *, principal: Principal | None, for_write: bool = False) -> Survey:
    return access_object(
        Survey, pk, principal=principal, capability=SURVEYS_WRITE if for_write else None, for_write=for_write,
    )
