"""What the VP portfolio page, its CSV and the CSM book page show: the selectors' figures (``portfolio_selectors``,
``book_selectors``) and the domain apps' own set-based figures (retention materialised from the ARR ledger per segment x CSM, the weighted
pipeline, NPS/CSAT, onboarding, SLA compliance from the support aggregates), with the link to the list behind
each number. Filters the source cannot apply (onboarding: tenant-wide; the pipeline: by owner, not
segment) are said so on the page."""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import Http404
from django.urls import reverse

from advocacy import survey_selectors
from dashboards import book_selectors, kpi_selectors
from dashboards import portfolio_selectors as selectors
from dashboards.charts import bar_rows
from dashboards.models import RefreshKind
from dashboards.support_selectors import SupportFilters, freshness, sla_breakdown
from health.charts import line_chart
from health.selectors import tenant_bands
from onboarding.selectors import board_metrics
from renewals import renewal_selectors, retention, retention_figures
from renewals.opportunity_selectors import weighted_pipeline
from tenancy.models import Role
from tenancy.selectors import tenant_users

SLA_PERIOD = 30
BOOK_READERS = (Role.ADMIN, Role.VP)
ATTENTION_SHOWN = 50  # the highest-ranked accounts needing attention (a big book has hundreds with a signal)


def _url(name: str, **params) -> str:
    query = urlencode({k: v for k, v in params.items() if v not in (None, "")})
    return f"{reverse(name)}?{query}" if query else reverse(name)


def _retention(today, filters: selectors.PortfolioFilters) -> dict:
    """The trailing-twelve-month trend of the accounts the filters select, from the materialised rows (as of
    their last refresh; before any, today's windows with no figures)."""
    refresh = retention_figures.latest()
    trend = retention_figures.trend(as_of=refresh.as_of if refresh else today, months=12, where=filters.account_q())
    points = [(window, retention.retention(totals)) for window, totals in trend]
    window, current = points[-1]
    chart = line_chart([w.end for w, _ in points], [
        {"label": "NRR %", "values": [float(r.nrr) if r.nrr is not None else None for _, r in points], "css": "score"},
        {"label": "GRR %", "values": [float(r.grr) if r.grr is not None else None for _, r in points],
         "css": "features", "dashed": True},
    ])
    return {"window": window, "current": current, "trend": points, "chart": chart, "refreshed": refresh,
            "totals": trend[-1][1]}


def _known_actuals(filters: selectors.PortfolioFilters, *, sla_filters: SupportFilters, figures: dict) -> dict:
    """The Targets panel's actuals (tenant-wide) that the page's own figures already are: onboarding always;
    the survey and SLA figures when no segment is chosen; the retention when no filter is and the rows are
    materialised (the panel reads the ledger before the first refresh)."""
    known = {"onboarding": kpi_selectors.onboarding_actuals(figures["onboarding"])}
    if not filters.segment:
        known["nps"] = kpi_selectors.nps_actuals(figures["nps"])
        known["csat"] = kpi_selectors.csat_actuals(figures["csat"])
    if sla_filters == kpi_selectors.SUPPORT_FILTERS:
        known["support"] = kpi_selectors.support_actuals(figures["sla_total"])
    if not filters.segment and not filters.csm and figures["retention"]["refreshed"] is not None:
        known["retention"] = kpi_selectors.retention_actuals(figures["retention"]["totals"])
    return known


def portfolio_context(request) -> dict:
    segment_labels = request.tenant.segment_labels()
    filters = selectors.PortfolioFilters.from_params(request.GET, segments=list(segment_labels))
    people = list(tenant_users())
    names = {user.pk: user.display_name for user in people}
    bands = tenant_bands()
    bottom = bands[-1]["key"] if bands else None
    today = renewal_selectors.tenant_today()
    mix = selectors.portfolio_mix(filters=filters)
    band_rows = [{"key": b["key"], "label": b["label"], "css": f"band-{b.get('colour', '')}",
                  "accounts": mix["by_band"].get(b["key"], (0, 0))[0], "arr": mix["by_band"].get(b["key"], (0, 0))[1],
                  "href": _url("accounts:list", health_status=b["key"], segment=filters.segment, csm=filters.csm)} for b in bands]
    if "" in mix["by_band"]:
        band_rows.append({"key": "", "label": "Not scored", "css": "", "accounts": mix["by_band"][""][0],
                          "arr": mix["by_band"][""][1], "href": _url("accounts:list", health_status="none", segment=filters.segment, csm=filters.csm)})
    segment_rows = [{"key": key, "label": segment_labels.get(key, key or "—"), "accounts": n, "arr": arr,
                     "href": _url("accounts:list", segment=key, csm=filters.csm)} for key, (n, arr) in sorted(mix["by_segment"].items())]
    renewals = selectors.renewals_by_forecast(filters=filters, today=today)
    for row in renewals:
        row["href"] = _url("renewals:desk", forecast=row["forecast"], segment=filters.segment, csm=filters.csm)
    survey_window = kpi_selectors.survey_window(today)  # the 90 days to today
    sla_filters = SupportFilters(segment=filters.segment, period=SLA_PERIOD)
    sla = sla_breakdown(filters=sla_filters, today=today, engineers={})
    figures = {"retention": _retention(today, filters), "onboarding": board_metrics(), "sla_total": sla["total"],
               "nps": survey_selectors.nps_metric(window=survey_window, segment=filters.segment or None),
               "csat": survey_selectors.csat_metric(window=survey_window, segment=filters.segment or None)}
    return {
        "filters": filters, "segments": request.tenant.get_segment_thresholds(), "people": people, "today": today, "query": filters.query(),
        "refreshed": freshness(RefreshKind.PORTFOLIO), "mix": mix, "band_rows": band_rows, "segment_rows": segment_rows,
        "band_chart": bar_rows([{"label": r["label"], "value": float(r["arr"]), "css": r["css"]} for r in band_rows]),
        "segment_chart": bar_rows([{"label": r["label"], "value": float(r["arr"])} for r in segment_rows]),
        "at_risk": selectors.at_risk(filters=filters, bottom_band=bottom),
        "bottom_band": bands[-1] if bands else None,
        "retention": figures["retention"], "renewals": renewals,
        "renewals_total": {"count": sum(r["count"] for r in renewals), "arr": sum(r["arr"] for r in renewals)},
        "pipeline": weighted_pipeline(owner_id=filters.csm_id),
        "nps": figures["nps"], "csat": figures["csat"], "survey_window": survey_window, "onboarding": figures["onboarding"],
        "sla": sla["by_severity"], "sla_total": sla["total"], "sla_period": SLA_PERIOD,
        "team": selectors.team_books(filters=filters, today=today, bottom_band=bottom, names=names),
        "targets": kpi_selectors.targets_panel(
            today=today, known=_known_actuals(filters, sla_filters=sla_filters, figures=figures)),
        "links": {"retention": reverse("renewals:retention"), "surveys": reverse("surveys:report"),
                  "support": _url("dashboards:support", segment=filters.segment, period=SLA_PERIOD),
                  "pipeline": reverse("opportunities:pipeline"), "onboarding": reverse("onboarding:board"),
                  "renewals": _url("renewals:desk", segment=filters.segment, csm=filters.csm),
                  "accounts": _url("accounts:list", segment=filters.segment, csm=filters.csm)},
    }


def portfolio_csv_rows(context: dict):
    filters = context["filters"]
    yield ["VP portfolio", f"segment {filters.segment or 'all'}", f"csm {filters.csm or 'all'}",
           f"as of {context['today']:%Y-%m-%d}"]
    for title, rows in (("By health band", context["band_rows"]), ("By segment", context["segment_rows"])):
        yield []
        yield [title, "Group", "Accounts", "ARR"]
        for row in rows:
            yield ["", row["label"], row["accounts"], row["arr"]]
    at_risk = context["at_risk"]
    yield []
    yield ["At-risk ARR", "", at_risk["accounts"], at_risk["arr"]]
    for account in at_risk["top"]:
        yield ["", account.name, "; ".join(account.reasons), account.arr]
    current = context["retention"]["current"]
    yield []
    yield ["Retention (trailing 12 months)", "NRR %", "GRR %", "Logo retention %"]
    yield ["", current.nrr, current.grr, current.logo_retention]
    yield []
    yield ["Renewals in the next 90 days", "Forecast", "Renewals", "ARR"]
    for row in context["renewals"]:
        yield ["", row["label"], row["count"], row["arr"]]
    yield []
    yield ["Team", "CSM", "Accounts", "ARR", "Bottom band", "Overdue tasks", "Renewals at risk", "At-risk renewal ARR"]
    for book in context["team"]:
        yield ["", book["name"], book["accounts"], book["arr"], book["red"], book["overdue"], book["renewals_at_risk"],
               book["renewals_at_risk_arr"]]


def book_owner(request):
    """Whose book: the signed-in user's, or ``?csm=<id>`` (a member of this tenant) for a VP or an admin."""
    requested = (request.GET.get("csm") or "").strip()
    role = getattr(request.membership, "role", None)
    if not requested or role not in BOOK_READERS:
        return request.user
    owner = tenant_users().filter(pk=int(requested)).first() if requested.isdigit() and int(requested) < 2**62 else None
    if owner is None:
        raise Http404("No such member.")
    return owner


def book_context(request) -> dict:
    owner = book_owner(request)
    bands = tenant_bands()
    today = renewal_selectors.tenant_today()
    attention = book_selectors.attention_rows(csm_id=owner.pk, today=today, bottom_band=bands[-1]["key"] if bands else None)
    band_labels = {b["key"]: b["label"] for b in bands}
    for row in attention[:ATTENTION_SHOWN]:
        row.band_label = band_labels.get(row.health_status or "", "Not scored")
        # The open Sev1/2 tickets counted in the reasons, as the queue lists them.
        row.tickets_href = _url("tickets:queue", view="open", account=row.account_id,
                                max_severity=max(book_selectors.URGENT_SEVERITIES))
    viewer_can_switch = getattr(request.membership, "role", None) in BOOK_READERS
    return {
        "owner": owner, "mine": owner.pk == request.user.pk, "today": today,
        "attention": attention[:ATTENTION_SHOWN], "attention_total": len(attention),
        "renewals": book_selectors.my_renewals(csm_id=owner.pk, today=today),
        "plans": book_selectors.my_plans(csm_id=owner.pk), "tasks": book_selectors.my_tasks(csm_id=owner.pk, today=today),
        "people": list(tenant_users(roles=[Role.CSM, Role.VP, Role.ADMIN])) if viewer_can_switch else [],
        "horizon": book_selectors.HORIZON_DAYS, "tasks_days": book_selectors.TASKS_DUE_DAYS,
    }
