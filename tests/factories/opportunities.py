from datetime import date
from decimal import Decimal

import factory

from renewals.models import Opportunity, OpportunityKind, OpportunityStage
from tests.factories.accounts import AccountFactory, TenantOwnedFactory

__all__ = ["OpportunityFactory"]


class OpportunityFactory(TenantOwnedFactory):
    class Meta:
        model = Opportunity

    account = factory.SubFactory(AccountFactory)
    tenant = factory.LazyAttribute(lambda o: o.account.tenant)
    kind = OpportunityKind.SEATS
    stage = OpportunityStage.IDENTIFY
    amount = Decimal("10000")
    close_date = date(2026, 6, 30)
