"""seed_demo's last step: the dashboards' aggregates, refreshed once (as beat does every 5 minutes), so the
support operations page is alive on first run rather than waiting for the first scheduled refresh."""

from __future__ import annotations

from core.seeding import SeedContext
from dashboards.kpi_refresh import refresh_feature_adoption, refresh_kpi_actuals
from dashboards.refresh import refresh_all


def refresh_dashboards(ctx: SeedContext) -> None:
    result = refresh_all(tenant=ctx.tenant, full=True)
    result["feature_adoption"] = refresh_feature_adoption(tenant=ctx.tenant, force=True)
    result["kpi_actuals"] = refresh_kpi_actuals(tenant=ctx.tenant)
    ctx.progress(f"dashboards refreshed: {', '.join(sorted(result))}")
