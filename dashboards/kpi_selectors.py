"""KPI targets beside their actual figures: the tenant's targets (one query) and the actual of each, computed
only for the sources its targets use, each source in one or two queries over the materialised aggregates or
the domain apps' own set-based selectors: 12 queries for every KPI, whatever the data size. The tenant's
refresh stores them (``dashboards.kpi_refresh``, ``KpiActuals``) and the panel reads that row, computing live
only what it does not hold. How each actual is defined is in ``dashboards.kpi_catalogue``; on track / off
track in ``dashboards.kpi_status``."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal
from urllib.parse import urlencode

from django.db.models import Count, Q, QuerySet, Subquery, Sum
from django.urls import reverse

from accounts.models import Account, AccountStatus
from advocacy import survey_selectors
from dashboards import kpi_catalogue
from dashboards.kpi_status import Comparator, assess
from dashboards.models import FeatureAdoptionDay, KpiActuals, KpiTarget, PortfolioDay
from dashboards.portfolio_selectors import OPEN_RENEWAL
from dashboards.support_selectors import SupportFilters, sla_breakdown
from health.selectors import tenant_bands
from onboarding.selectors import board_metrics
from renewals import ledger_selectors, retention, retention_figures
from renewals.models import Forecast, Renewal

SURVEY_WINDOW_DAYS = 90
SUPPORT_PERIOD_DAYS = 30
ORDER = {kpi.key: n for n, kpi in enumerate(kpi_catalogue.KPIS)}


def target_list() -> list[KpiTarget]:
    """The tenant's targets in the catalogue's order (one query); a row whose KPI left the catalogue is skipped."""
    return sorted((t for t in KpiTarget.objects.all() if t.metric in ORDER), key=lambda t: ORDER[t.metric])


def target_queryset() -> QuerySet[KpiTarget]:
    return KpiTarget.objects.order_by("metric")


# --------------------------------------------------------------------------- actuals, one source at a time


def _retention(today: date, bands: list[dict]) -> dict:
    refresh = retention_figures.latest()  # the materialised rows the portfolio page reads (as of their refresh)
    if refresh is not None:
        [(_, totals)] = retention_figures.trend(as_of=refresh.as_of, months=1)
    else:  # before the first refresh: the ledger, live
        window = retention.trailing_windows(today=today, months=1)[-1]
        totals = ledger_selectors.retention_totals(start=window.start, end=window.end)
    return retention_actuals(totals)


def retention_actuals(totals: retention.RetentionTotals) -> dict:
    """The retention KPIs of a trailing-twelve-month window's totals (the last of the portfolio's trend)."""
    result = retention.retention(totals)
    expansion = retention.percent(totals.expansion, totals.starting_arr) if totals.starting_arr > 0 else None
    return {"nrr": result.nrr, "grr": result.grr, "logo_retention": result.logo_retention, "expansion_rate": expansion}


def _portfolio(today: date, bands: list[dict]) -> dict:
    latest = PortfolioDay.objects.order_by("-day").values("day")[:1]
    rows = (PortfolioDay.objects.filter(day=Subquery(latest)).values("band")
            .annotate(n=Sum("accounts"), scored=Sum("scored_accounts"), score=Sum("score_sum")))
    top = bands[0]["key"] if bands else None
    scored = in_top = 0
    score_sum = Decimal("0")
    for row in rows:
        scored += row["scored"]
        score_sum += row["score"]
        if row["band"] and row["band"] == top:
            in_top += row["n"]
    return {"avg_health": (score_sum / scored).quantize(Decimal("0.1")) if scored else None,
            "share_green": retention.percent(in_top, scored) if scored and top else None}


def _at_risk(today: date, bands: list[dict]) -> dict:
    """Active accounts at risk as the portfolio page counts them (``portfolio_selectors.at_risk``: in the bottom
    band or with an open renewal forecast at risk), over all active accounts: one pass over the accounts (the
    renewals at risk as a hashed set; no per-account subquery over 20,000 accounts)."""
    risky = Q(id__in=Renewal.objects.filter(OPEN_RENEWAL, forecast=Forecast.AT_RISK).values("account_id"))
    if bands:
        risky |= Q(health_status=bands[-1]["key"])
    counts = Account.objects.filter(status=AccountStatus.ACTIVE).aggregate(total=Count("id"), risky=Count("id", filter=risky))
    return {"share_at_risk": retention.percent(counts["risky"], counts["total"]) if counts["total"] else None}


def _onboarding(today: date, bands: list[dict]) -> dict:
    return onboarding_actuals(board_metrics())


def onboarding_actuals(figures: dict) -> dict:
    """The onboarding KPIs of ``onboarding.selectors.board_metrics()`` (tenant-wide)."""
    return {"time_to_value_days": figures["time_to_value"]["median"],
            "time_to_value_avg_days": figures["time_to_value"]["mean"],
            "operational_by_week_8": figures["operational_by_week_8"]["share"]}


def feature_adoption() -> Decimal | None:
    """The mean share of the tenant's features that each active account reporting usage used, in percent, from
    the latest ``FeatureAdoptionDay`` (one query; see ``dashboards.kpi_catalogue`` for the definition)."""
    row = FeatureAdoptionDay.objects.order_by("-day").first()
    if row is None or not row.features or not row.accounts:
        return None
    return retention.percent(row.used, row.features * row.accounts)


def _usage(today: date, bands: list[dict]) -> dict:
    return {"feature_adoption_90d": feature_adoption()}


def survey_window(today: date) -> survey_selectors.Window:
    """The survey KPIs' window: the 90 days to ``today`` (the portfolio page's NPS and CSAT figures' too)."""
    return survey_selectors.Window(start=today - timedelta(days=SURVEY_WINDOW_DAYS - 1), end=today)


def _nps(today: date, bands: list[dict]) -> dict:
    return nps_actuals(survey_selectors.nps_metric(window=survey_window(today)))


def nps_actuals(figures: dict) -> dict:
    """The NPS KPI of ``survey_selectors.nps_metric`` over ``survey_window``, all segments."""
    return {"nps": figures["nps"]}


def _csat(today: date, bands: list[dict]) -> dict:
    return csat_actuals(survey_selectors.csat_metric(window=survey_window(today)))


def csat_actuals(figures: dict) -> dict:
    """The CSAT KPIs of ``survey_selectors.csat_metric`` over ``survey_window``, all segments."""
    return {"csat": figures["average"], "csat_satisfied": figures["satisfied"]}


def _hours(minutes: float | None) -> Decimal | None:
    return None if minutes is None else (Decimal(str(minutes)) / 60).quantize(Decimal("0.1"))


SUPPORT_FILTERS = SupportFilters(period=SUPPORT_PERIOD_DAYS)  # every segment and engineer


def _support(today: date, bands: list[dict]) -> dict:
    return support_actuals(sla_breakdown(filters=SUPPORT_FILTERS, today=today, engineers={})["total"])


def support_actuals(total) -> dict:
    """The support KPIs of the SLA figures of ``SUPPORT_FILTERS`` (``sla_breakdown(...)["total"]``)."""
    return {"sla_response_met": total.response_percent, "sla_resolution_met": total.resolution_percent,
            "response_median_hours": _hours(total.response_median),
            "resolution_median_hours": _hours(total.resolution_median)}


SOURCES = {"retention": _retention, "portfolio": _portfolio, "at_risk": _at_risk, "onboarding": _onboarding,
           "usage": _usage, "nps": _nps, "csat": _csat, "support": _support}


def actuals(*, metrics: Iterable[str], today: date, bands: list[dict] | None = None,
            known: dict[str, dict] | None = None) -> dict[str, object]:
    """``{metric: actual or None}`` for the given metrics, each needed source computed once; ``known``: the
    actuals of some sources as the page computed them already (``{source: {metric: actual}}``, from the
    ``*_actuals`` functions over the same figures), not computed again."""
    wanted = {kpi_catalogue.BY_KEY[m].source for m in metrics if m in kpi_catalogue.BY_KEY}
    known = {source: known[source] for source in wanted & set(known or {})}
    wanted -= set(known)
    if wanted & {"portfolio", "at_risk"} and bands is None:
        bands = tenant_bands()
    values: dict[str, object] = {}
    for figures in known.values():
        values.update(figures)
    for source in sorted(wanted):
        values.update(SOURCES[source](today, bands or []))
    return values


# --------------------------------------------------------------------------- stored by the refresh


def decode_actuals(stored: dict[str, object]) -> dict[str, object]:
    """The actuals ``kpi_refresh.encode_actuals`` stored, with their types back (a string is a Decimal)."""
    return {metric: Decimal(value) if isinstance(value, str) else value for metric, value in stored.items()}


def stored_actuals(*, today: date) -> KpiActuals | None:
    """The actuals the tenant's last refresh stored, if it computed them for ``today`` (one query)."""
    return KpiActuals.objects.filter(day=today).first()


# --------------------------------------------------------------------------- the panel


def _link(kpi: kpi_catalogue.Kpi, bands: list[dict]) -> str:
    if not kpi.link:
        return ""
    if kpi.key == "share_green" and bands:
        return f"{reverse(kpi.link)}?{urlencode({'health_status': bands[0]['key']})}"
    if kpi.key == "share_at_risk":
        return f"{reverse(kpi.link)}#at-risk-h"
    if kpi.source == "support":
        return f"{reverse(kpi.link)}?{urlencode({'period': SUPPORT_PERIOD_DAYS})}"
    return reverse(kpi.link)


def targets_panel(*, today: date, sources: frozenset[str] | None = None, known: dict[str, dict] | None = None) -> dict:
    """``{"rows": [...], "on_track", "off_track", "no_data", "computed_at"}``: each target (of the given sources,
    or all) with its actual, the formatted figures, the status and the link to the page behind the actual.

    The actuals are the ones the tenant's refresh stored for ``today`` (``computed_at``: when; one query); a
    target they do not cover (none stored yet, an older day, a target added since) is computed now, reusing
    ``known``: the tenant-wide actuals the page has already (see ``actuals``); ``computed_at`` is then None."""
    targets = [t for t in target_list() if sources is None or t.kpi.source in sources]
    if not targets:
        return {"rows": [], "on_track": 0, "off_track": 0, "no_data": 0, "computed_at": None}
    bands = tenant_bands() if any(t.kpi.source in {"portfolio", "at_risk"} or t.metric == "share_green"
                                  for t in targets) else []
    stored = stored_actuals(today=today)
    values = decode_actuals(stored.values) if stored else {}
    missing = [t.metric for t in targets if t.metric not in values]
    if missing:
        values.update(actuals(metrics=missing, today=today, bands=bands, known=known))
    rows = []
    for target in targets:
        kpi = target.kpi
        comparator = Comparator(target.comparator)
        assessment = assess(values.get(kpi.key), comparator=comparator, target=target.target)
        rows.append({
            "target": target, "kpi": kpi, "actual": values.get(kpi.key), "status": assessment.status,
            "gap": assessment.gap,
            "target_text": f"{comparator.symbol} {kpi_catalogue.format_value(target.target, kpi.unit)}",
            "target_words": f"{comparator.label} {kpi_catalogue.format_value(target.target, kpi.unit)}",
            "actual_text": kpi_catalogue.format_value(values.get(kpi.key), kpi.unit),
            "href": _link(kpi, bands),
        })
    counts = {status: sum(1 for r in rows if r["status"] == status) for status in ("on_track", "off_track", "no_data")}
    return {"rows": rows, **counts, "computed_at": None if missing else stored.computed_at}
