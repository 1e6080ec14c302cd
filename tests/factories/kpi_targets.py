"""Factory for dashboards' KPI targets."""

from decimal import Decimal

import factory

from dashboards.models import KpiTarget
from tests.factories.accounts import TenantOwnedFactory
from tests.factories.tenancy import TenantFactory

__all__ = ["KpiTargetFactory"]


class KpiTargetFactory(TenantOwnedFactory):
    class Meta:
        model = KpiTarget

    tenant = factory.SubFactory(TenantFactory)
    metric = "nrr"
    comparator = "at_least"
    target = Decimal("115.00")
    note = "Handbook"
