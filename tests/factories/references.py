"""Factories of the reference program (advocacy.models.references)."""

from datetime import date
from decimal import Decimal

import factory
from django.utils import timezone

from advocacy.models import (
    AdvocacyActivity,
    AdvocateProfile,
    CaseStudy,
    ReferenceKind,
    ReferenceRequest,
    ReferenceReward,
    ReferenceStatus,
)
from tests.factories.accounts import AccountFactory, ContactFactory, TenantOwnedFactory

__all__ = [
    "AdvocacyActivityFactory", "AdvocateProfileFactory", "CaseStudyFactory", "ReferenceRequestFactory",
    "ReferenceRewardFactory",
]


class ReferenceRequestFactory(TenantOwnedFactory):
    class Meta:
        model = ReferenceRequest

    account = factory.SubFactory(AccountFactory)
    tenant = factory.LazyAttribute(lambda o: o.account.tenant)
    contact = factory.LazyAttribute(lambda o: ContactFactory(account=o.account))
    kind = ReferenceKind.REFERENCE_CALL
    status = ReferenceStatus.REQUESTED
    requested_at = factory.LazyFunction(timezone.now)
    completed_at = factory.LazyAttribute(lambda o: o.requested_at if o.status == ReferenceStatus.COMPLETED else None)


class AdvocateProfileFactory(TenantOwnedFactory):
    class Meta:
        model = AdvocateProfile

    contact = factory.SubFactory(ContactFactory)
    tenant = factory.LazyAttribute(lambda o: o.contact.tenant)
    willing = True
    willing_since = date(2025, 1, 1)


class ReferenceRewardFactory(TenantOwnedFactory):
    class Meta:
        model = ReferenceReward

    account = factory.SubFactory(AccountFactory)
    tenant = factory.LazyAttribute(lambda o: o.account.tenant)
    kind = "gift"
    description = "Executive gift box"
    value = Decimal("150.00")
    given_on = date(2026, 1, 15)


class CaseStudyFactory(TenantOwnedFactory):
    class Meta:
        model = CaseStudy

    account = factory.SubFactory(AccountFactory)
    tenant = factory.LazyAttribute(lambda o: o.account.tenant)
    title = factory.Sequence(lambda n: f"Case study {n}")
    stage = "identified"


class AdvocacyActivityFactory(TenantOwnedFactory):
    class Meta:
        model = AdvocacyActivity

    account = factory.SubFactory(AccountFactory)
    tenant = factory.LazyAttribute(lambda o: o.account.tenant)
    kind = "review"
    source = "g2"
    occurred_on = date(2026, 1, 10)
