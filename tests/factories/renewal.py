from datetime import date
from decimal import Decimal

import factory

from renewals.models import Renewal
from tests.factories.accounts import AccountFactory, TenantOwnedFactory

__all__ = ["RenewalFactory"]


class RenewalFactory(TenantOwnedFactory):
    class Meta:
        model = Renewal

    account = factory.SubFactory(AccountFactory)
    tenant = factory.LazyAttribute(lambda o: o.account.tenant)
    contract_end = date(2026, 6, 1)
    arr = Decimal("50000.00")
