"""The KPIs a tenant may set targets on: key, label, unit, the bounds a target may take, where the actual comes
from and the page behind it (pure, no database). ``dashboards.kpi_selectors`` computes the actuals, one
query group per ``source``, only for the sources a tenant's targets use.

How each actual is computed (tenant-wide, whatever the dashboard's filters, as of the tenant's today):

* ``nrr``, ``grr``, ``logo_retention``: the ARR ledger over the trailing twelve months (API.md's formulas,
  ``renewals.retention``); ``expansion_rate``: expansion (and reactivation) of that window as a percentage of
  its starting ARR.
* ``avg_health``: the mean health score of the scored active accounts; ``share_green``: the share of the
  scored active accounts in the top band; both from today's ``PortfolioDay`` aggregates.
* ``share_at_risk``: the share of active accounts (a count, not ARR) that are at risk as the portfolio page
  counts them: in the bottom band or with an open renewal forecast at risk.
* ``time_to_value_days``: the median, ``time_to_value_avg_days`` the mean, days from plan start to first value
  over the plans that reached it; ``operational_by_week_8``: the share of plans (decided ones: live, or
  started 8 weeks ago or more) that went live within 8 weeks (``onboarding.metrics``).
* ``feature_adoption_90d``: the tenant's key features are the distinct ``feature:*`` usage metrics any of its
  active accounts used (value > 0) in the last 90 days; each active account that reported any usage in those
  90 days adopted the share of them it used itself; the actual is the mean of those shares. A scan of 90 days
  of usage, so it is materialised once a day (``dashboards.kpi_refresh``), not computed per request.
* ``nps``, ``csat``, ``csat_satisfied``: survey answers of the last 90 days (``advocacy.nps``).
* ``sla_response_met``, ``sla_resolution_met``: SLA targets met over the last 30 days;
  ``response_median_hours``, ``resolution_median_hours``: the median wall-clock time to first response and to
  resolution of the last 30 days, read off the support histograms (an estimate within the bucket's width).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from dashboards.kpi_status import Comparator

PERCENT, SCORE, RATING, NPS, DAYS, HOURS = "percent", "score", "rating", "nps", "days", "hours"


@dataclass(frozen=True)
class Kpi:
    key: str
    label: str
    unit: str
    source: str
    comparator: Comparator  # the usual direction (a suggestion on the settings form)
    low: Decimal
    high: Decimal
    link: str  # URL name of the page behind the figure ("" when there is none)
    help: str


def _kpi(key, label, unit, source, comparator, low, high, link, help_text) -> Kpi:
    return Kpi(key, label, unit, source, Comparator(comparator), Decimal(low), Decimal(high), link, help_text)


KPIS: tuple[Kpi, ...] = (
    _kpi("nrr", "Net revenue retention", PERCENT, "retention", "at_least", 0, 1000, "renewals:retention",
         "Trailing 12 months, from the ARR ledger."),
    _kpi("grr", "Gross revenue retention", PERCENT, "retention", "at_least", 0, 100, "renewals:retention",
         "Trailing 12 months, from the ARR ledger."),
    _kpi("logo_retention", "Logo retention", PERCENT, "retention", "at_least", 0, 100, "renewals:retention",
         "Share of the accounts with ARR 12 months ago that still have ARR."),
    _kpi("expansion_rate", "Expansion rate", PERCENT, "retention", "at_least", 0, 1000, "renewals:retention",
         "Expansion over the trailing 12 months as a share of the starting ARR."),
    _kpi("avg_health", "Average health score", SCORE, "portfolio", "at_least", 0, 100, "accounts:list",
         "Mean score of the scored active accounts."),
    _kpi("share_green", "Accounts in the top health band", PERCENT, "portfolio", "at_least", 0, 100,
         "accounts:list", "Share of the scored active accounts in the top band."),
    _kpi("share_at_risk", "Accounts at risk", PERCENT, "at_risk", "at_most", 0, 100, "dashboards:portfolio",
         "Share of active accounts (by count) in the bottom band or with a renewal forecast at risk."),
    _kpi("time_to_value_days", "Time to value (median)", DAYS, "onboarding", "at_most", 0, 3650,
         "onboarding:board", "Median days from plan start to first value."),
    _kpi("time_to_value_avg_days", "Time to value (average)", DAYS, "onboarding", "at_most", 0, 3650,
         "onboarding:board", "Mean days from plan start to first value."),
    _kpi("operational_by_week_8", "Operational by week 8", PERCENT, "onboarding", "at_least", 0, 100,
         "onboarding:board", "Share of decided onboarding plans live within 8 weeks of their start."),
    _kpi("feature_adoption_90d", "Feature adoption (90 days)", PERCENT, "usage", "at_least", 0, 100, "", "Mean share of the tenant's features (feature:* usage) each active account used "
                          "in the last 90 days."),
    _kpi("nps", "NPS", NPS, "nps", "at_least", -100, 100, "surveys:report", "Last 90 days."),
    _kpi("csat", "CSAT (average, 1-5)", RATING, "csat", "at_least", 1, 5, "surveys:report", "Last 90 days."),
    _kpi("csat_satisfied", "CSAT satisfied (4 or 5)", PERCENT, "csat", "at_least", 0, 100, "surveys:report",
         "Share of CSAT answers of 4 or 5, last 90 days."),
    _kpi("sla_response_met", "First-response SLA met", PERCENT, "support", "at_least", 0, 100,
         "dashboards:support", "Last 30 days."),
    _kpi("sla_resolution_met", "Resolution SLA met", PERCENT, "support", "at_least", 0, 100, "dashboards:support",
         "Last 30 days."),
    _kpi("response_median_hours", "Time to first response (median)", HOURS, "support", "at_most", 0, 10000,
         "dashboards:support", "Last 30 days, wall-clock hours (estimated from the support histograms)."),
    _kpi("resolution_median_hours", "Time to resolution (median)", HOURS, "support", "at_most", 0, 10000,
         "dashboards:support", "Last 30 days, wall-clock hours (estimated from the support histograms)."),
)
BY_KEY: dict[str, Kpi] = {kpi.key: kpi for kpi in KPIS}
CHOICES: list[tuple[str, str]] = [(kpi.key, kpi.label) for kpi in KPIS]
SUPPORT_SOURCES = frozenset({"support", "csat"})  # what the support operations page shows


def format_value(value, unit: str) -> str:
    """115.0 -> "115.0%", 4.5 -> "4.50 / 5", 30 -> "30 days"; None -> "no data"."""
    if value is None:
        return "no data"
    number = Decimal(str(value))
    if unit == PERCENT:
        return f"{number:.1f}%"
    if unit == RATING:
        return f"{number:.2f} / 5"
    if unit == DAYS:
        return f"{number.normalize():f} day{'' if number == 1 else 's'}"
    if unit == HOURS:
        return f"{number:.1f} h"
    return f"{number:.1f}"


def bounds_message(kpi: Kpi) -> str:
    return f"{kpi.label}: a target between {format_value(kpi.low, kpi.unit)} and {format_value(kpi.high, kpi.unit)}."
