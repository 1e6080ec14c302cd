"""The handbook tenants' KPI targets (``seed_demo``), each from its handbook's KPI section (shared/seeds):

* 000 RAG Fortress, "Key Performance Indicators" table and onboarding: NRR 110%+, CSAT 90%+ (per ticket: the
  satisfied share), NPS 50+, gross retention 95%+, time to value < 4 weeks, ticket resolution < 24 hours,
  support response < 4 hours, 95% of customers operational by week 8.
* 001 Modular CS, "Key Metrics": 94%+ GRR, 89%+ logo retention, 118%+ NRR, 85%+ of customers green, < 5% at
  risk, 45-day average time to value.
* 002 TechCorp, "Key Performance Indicators": NRR > 115%, GRR > 95%, average health > 70, time to value < 30
  days, feature adoption > 60% within 90 days, CSAT > 4.5, NPS > 50.
* 003 MarketingAI Pro, "Customer Success KPIs": retention > 95%, expansion > 20%, CSAT > 4.5, NPS > 70, time to
  first value < 24 hours (1 day), > 80% of customers healthy, first response < 2 hours.
* 004 Agent Factory, "Year 1 Targets": customer retention 90%+, revenue retention 100%+, NPS 50+, CSAT 4.5,
  expansion 20%+.

Idempotent: a metric the tenant already has a target for is left as it is. Tenants created otherwise start
with no targets (the dashboards say so and link admins to the settings page).
"""

from __future__ import annotations

from core.seeding import AGENT_FACTORY, MARKETINGAI_PRO, MODULAR_CS, RAG_FORTRESS, TECHCORP, SeedContext
from dashboards.kpi_services import kpi_targets_seed


def _t(metric: str, comparator: str, target: str, note: str) -> dict:
    return {"metric": metric, "comparator": comparator, "target": target, "note": note}


HANDBOOK_TARGETS: dict[str, list[dict]] = {
    RAG_FORTRESS: [
        _t("nrr", "at_least", "110", "Handbook KPI table: NRR 110%+, monthly"),
        _t("grr", "at_least", "95", "Handbook KPI table: gross retention 95%+, monthly"),
        _t("csat_satisfied", "at_least", "90", "Handbook KPI table: CSAT 90%+, per ticket"),
        _t("nps", "at_least", "50", "Handbook KPI table: NPS 50+, quarterly"),
        _t("time_to_value_days", "at_most", "28", "Handbook KPI table: time to value < 4 weeks"),
        _t("operational_by_week_8", "at_least", "95", "Handbook onboarding: 95% of customers operational by week 8"),
        _t("response_median_hours", "at_most", "4", "Handbook KPI table: support response time < 4 hours"),
        _t("resolution_median_hours", "at_most", "24", "Handbook KPI table: ticket resolution time < 24 hours"),
    ],
    MODULAR_CS: [
        _t("grr", "at_least", "94", "Handbook key metrics: 94%+ gross revenue retention"),
        _t("logo_retention", "at_least", "89", "Handbook key metrics: 89%+ logo retention"),
        _t("nrr", "at_least", "118", "Handbook key metrics: 118%+ net revenue retention"),
        _t("share_green", "at_least", "85", "Handbook key metrics: 85%+ customers green"),
        _t("share_at_risk", "at_most", "5", "Handbook key metrics: < 5% at-risk accounts"),
        _t("time_to_value_avg_days", "at_most", "45", "Handbook key metrics: 45-day average time to value"),
    ],
    TECHCORP: [
        _t("nrr", "at_least", "115", "Handbook KPIs: NRR > 115% annually"),
        _t("grr", "at_least", "95", "Handbook KPIs: GRR > 95% annually"),
        _t("avg_health", "at_least", "70", "Handbook KPIs: average health > 70 across all segments"),
        _t("time_to_value_days", "at_most", "30", "Handbook KPIs: < 30 days to first meaningful insight"),
        _t("feature_adoption_90d", "at_least", "60", "Handbook KPIs: > 60% adoption of key features within 90 days"),
        _t("csat", "at_least", "4.5", "Handbook KPIs: CSAT > 4.5/5.0"),
        _t("nps", "at_least", "50", "Handbook KPIs: NPS > 50"),
    ],
    MARKETINGAI_PRO: [
        _t("logo_retention", "at_least", "95", "Handbook primary KPIs: customer retention > 95%"),
        _t("expansion_rate", "at_least", "20", "Handbook primary KPIs: revenue expansion > 20%"),
        _t("csat", "at_least", "4.5", "Handbook primary KPIs: customer satisfaction > 4.5/5"),
        _t("nps", "at_least", "70", "Handbook primary KPIs: NPS > 70"),
        _t("time_to_value_days", "at_most", "1", "Handbook secondary KPIs: time to first value < 24 hours"),
        _t("share_green", "at_least", "80", "Handbook secondary KPIs: > 80% of customers healthy"),
        _t("response_median_hours", "at_most", "2", "Handbook support objectives: < 2 hours for initial response"),
    ],
    AGENT_FACTORY: [
        _t("logo_retention", "at_least", "90", "Handbook year 1 targets: customer retention 90%+"),
        _t("nrr", "at_least", "100", "Handbook year 1 targets: revenue retention 100%+"),
        _t("nps", "at_least", "50", "Handbook year 1 targets: NPS 50+"),
        _t("csat", "at_least", "4.5", "Handbook year 1 targets: CSAT 4.5/5"),
        _t("expansion_rate", "at_least", "20", "Handbook year 1 targets: expansion rate 20%+"),
    ],
}


def seed_tenant(ctx: SeedContext) -> None:
    added = kpi_targets_seed(targets=HANDBOOK_TARGETS.get(ctx.slug, []))
    ctx.progress(f"{added} KPI targets from the handbook")
