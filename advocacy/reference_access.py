"""The one way reference-program pages and endpoints fetch their objects (see ``tenancy.access``): another
tenant's, a missing one or a malformed id is ``NotFound`` (404); writing needs ``accounts.write`` (the CSM's
capability) and locks the row."""

from __future__ import annotations

from advocacy.models import AdvocacyActivity, CaseStudy, ReferenceRequest, ReferenceReward
from tenancy.access import access_object
from tenancy.permissions import ACCOUNTS_WRITE
from tenancy.principal import Principal


def _access(model, pk, principal, for_write):
    return access_object(
        model.objects.select_related("account"), pk, principal=principal,
        capability=ACCOUNTS_WRITE if for_write else None, for_write=for_write,
    )


def access_reference_request(pk, *, principal: Principal | None, for_write: bool = False) -> ReferenceRequest:
    return _access(ReferenceRequest, pk, principal, for_write)


def access_case_study(pk, *, principal: Principal | None, for_write: bool = False) -> CaseStudy:
    return _access(CaseStudy, pk, principal, for_write)


def access_reward(pk, *, principal: Principal | None, for_write: bool = False) -> ReferenceReward:
    return _access(ReferenceReward, pk, principal, for_write)


def access_advocacy_activity(pk, *, principal: Principal | None, for_write: bool = False) -> AdvocacyActivity:
    return _access(AdvocacyActivity, pk, principal, for_write)
