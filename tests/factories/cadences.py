import factory

from renewals.models import CadenceScope, IntervalUnit, TouchpointCadence, TouchpointKind
from tests.factories.accounts import TenantOwnedFactory
from tests.factories.tenancy import TenantFactory

__all__ = ["TouchpointCadenceFactory"]


class TouchpointCadenceFactory(TenantOwnedFactory):
    class Meta:
        model = TouchpointCadence

    tenant = factory.SubFactory(TenantFactory)
    kind = TouchpointKind.QBR
    scope = CadenceScope.SEGMENT
    match = "enterprise"
    interval_count = 3
    interval_unit = IntervalUnit.MONTHS
    lead_days = 14
    steps = factory.LazyFunction(lambda: ["Pull usage trends", "Draft the agenda"])
