"""The one way the KPI target pages and endpoints fetch a target (see ``tenancy.access``): another tenant's, a
missing one or a malformed id is ``NotFound`` (404); writing needs ``dashboards.configure`` and locks it."""

from __future__ import annotations

from dashboards.models import KpiTarget
from tenancy.access import access_object
from tenancy.permissions import DASHBOARDS_CONFIGURE
from tenancy.principal import Principal


def access_kpi_target(pk, *, principal: Principal | None, for_write: bool = False) -> KpiTarget:
    return access_object(KpiTarget, pk, principal=principal,
                         capability=DASHBOARDS_CONFIGURE if for_write else None, for_write=for_write)
