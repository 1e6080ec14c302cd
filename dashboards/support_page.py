"""What the support operations page and its CSV show: the selectors' figures, the charts drawn from them and
the link from each number to the ticket queue list behind it: the queue filters by severity, segment, assignee,
age, opened / resolved UTC days and by the response and resolution targets' outcome and the UTC day it was
decided (``tickets.states.RESPONSE_DECIDED_AT``), the way the refresh dates them, so a figure and its list
hold the same tickets (as of the last refresh, for the period figures; the backlog is live on both sides)."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

from django.urls import reverse

from dashboards import histograms, kpi_catalogue, kpi_selectors
from dashboards.charts import bar_rows
from dashboards.support_selectors import PERIODS, SupportFilters, support_dashboard
from health.charts import line_chart
from tenancy.selectors import tenant_users


def queue_url(**params) -> str:
    return f"{reverse('tickets:queue')}?{urlencode({k: v for k, v in params.items() if v not in (None, '')})}"


def _scope(filters: SupportFilters) -> dict:
    """The dashboard's own filters as queue parameters (segment, engineer)."""
    scope = {"segment": filters.segment}
    if filters.engineer == "none":
        scope["unassigned"] = 1
    elif filters.engineer:
        scope["assignee"] = filters.engineer
    return scope


def _group_params(group: str, key) -> dict:
    if group == "severity":
        return {"severity": key}
    if group == "segment":
        return {"segment": key}
    if group == "engineer":
        return {"unassigned": 1} if key == "none" else {"assignee": key}
    return {}


def _figure_links(figures, *, group: str, scope: dict, first, last) -> dict:
    """Queue URLs of one row of an SLA table: the tickets behind each count of the period [first, last]."""
    params = {"view": "all", **scope, **_group_params(group, figures.key)}
    days = {"decided_from": f"{first:%Y-%m-%d}", "decided_to": f"{last:%Y-%m-%d}"}
    return {
        "opened": queue_url(**params, opened_from=days["decided_from"], opened_to=days["decided_to"]),
        "resolved": queue_url(**params, resolved_from=days["decided_from"], resolved_to=days["decided_to"]),
        "response_met": queue_url(**params, response="met", **days),
        "response_breached": queue_url(**params, response="breached", **days),
        "resolution_met": queue_url(**params, resolution="met", **days),
        "resolution_breached": queue_url(**params, resolution="breached", **days),
    }


def _distribution(hist: list[int], title: str) -> dict:
    labels = histograms.labels()
    used = [i for i, n in enumerate(hist) if n]
    if not used:
        return {"title": title, "chart": None}
    rows = [{"label": labels[i], "value": hist[i]} for i in range(used[0], used[-1] + 1)]
    return {"title": title, "chart": bar_rows(rows, unit=" tickets")}


def support_context(request) -> dict:
    segments = request.tenant.get_segment_thresholds()
    filters = SupportFilters.from_params(request.GET, segments=[s["key"] for s in segments])
    people = list(tenant_users())
    engineers = {user.pk: user.display_name for user in people}
    data = support_dashboard(filters=filters, engineers=engineers)
    sla, backlog = data["sla"], data["backlog"]
    days = sla["days"]
    by_day = [sla["by_day"].get(day) for day in days]
    compliance_chart = line_chart(days, [
        {"label": "First response met %", "values": [f.response_percent if f else None for f in by_day], "css": "score"},
        {"label": "Resolution met %", "values": [f.resolution_percent if f else None for f in by_day],
         "css": "features", "dashed": True},
    ], y_max=100)
    scope = _scope(filters)
    for row in backlog["rows"]:
        row["href"] = queue_url(view="open", severity=row["severity"], **scope)
        row["breaching_href"] = queue_url(view="open", severity=row["severity"], breaching=1, **scope)
        row["cells"] = [{"count": n, "href": queue_url(view="open", severity=row["severity"], age=key, **scope)}
                        for n, key in zip(row["ages"], backlog["age_keys"], strict=True)]
    last = sla["end_day"]
    first = last - timedelta(days=filters.period - 1)
    for group, rows in (("severity", sla["by_severity"]), ("segment", sla["by_segment"]),
                        ("engineer", sla["by_engineer"]), ("all", [sla["total"]])):
        for figures in rows:
            figures.links = _figure_links(figures, group=group, scope=scope, first=first, last=last)
    week = {"view": "all", **scope, "decided_from": f"{sla['week_start']:%Y-%m-%d}", "decided_to": f"{last:%Y-%m-%d}"}
    top = data["top_accounts"]
    for entry in top:
        entry.href = queue_url(view="all", account=entry.account_id, opened_from=f"{first:%Y-%m-%d}",
                               opened_to=f"{last:%Y-%m-%d}")
    backlog_chart = bar_rows([{"label": r["label"], "value": r["total"]} for r in backlog["rows"]], unit=" open")
    total = sla["total"]
    return {
        "filters": filters, "periods": PERIODS, "segments": segments, "people": people, "data": data,
        "sla": sla, "backlog": backlog, "total": total, "today": sla["end_day"], "refreshed": data["refreshed"],
        "compliance_chart": compliance_chart, "backlog_chart": backlog_chart,
        "distributions": [_distribution(total.response_hist, "Time to first response"),
                          _distribution(total.resolution_hist, "Time to resolution")],
        "links": {
            "open": queue_url(view="open", **scope), "breaching": queue_url(view="open", breaching=1, **scope),
            "level2": queue_url(view="open", level=2, **scope), "level3": queue_url(view="open", level=3, **scope),
            "week_response": queue_url(**week, response="breached"),
            "week_resolution": queue_url(**week, resolution="breached"),
        },
        "targets": kpi_selectors.targets_panel(  # the SLA figures are the panel's when the filters are its
            today=sla["end_day"], sources=kpi_catalogue.SUPPORT_SOURCES,
            known={"support": kpi_selectors.support_actuals(total)} if filters == kpi_selectors.SUPPORT_FILTERS else None),
        "job_id": request.GET.get("job", "")[:64],
        "query": filters.query(),
    }


def support_csv_rows(context: dict):
    """The page's tables as CSV rows: a header line per section."""
    filters = context["filters"]
    yield ["Support operations", f"period {filters.period} days", f"segment {filters.segment or 'all'}",
           f"engineer {filters.engineer or 'all'}", f"as of {context['today']:%Y-%m-%d}"]
    yield []
    yield ["Open backlog", "Severity", *context["backlog"]["ages"], "Total", "Breaching"]
    for row in context["backlog"]["rows"]:
        yield ["", row["label"], *row["ages"], row["total"], row["breaching"]]
    header = ["Opened", "Resolved", "Response met", "Response breached", "Response met %", "Resolution met",
              "Resolution breached", "Resolution met %", "Escalated", "Response median min", "Response p90 min",
              "Resolution median min", "Resolution p90 min", "CSAT responses", "CSAT average", "CSAT satisfied %"]
    sla = context["sla"]
    for title, groups in (("By severity", sla["by_severity"]), ("By segment", sla["by_segment"]),
                          ("By engineer", sla["by_engineer"]), ("All", [sla["total"]])):
        yield []
        yield [title, "Group", *header]
        for f in groups:
            yield ["", f.label, f.opened, f.resolved, f.response_met, f.response_breached, f.response_percent,
                   f.resolution_met, f.resolution_breached, f.resolution_percent, f.escalated,
                   _round(f.response_median), _round(f.response_p90), _round(f.resolution_median),
                   _round(f.resolution_p90), f.csat_responses, f.csat_average, f.csat_satisfied_percent]
    yield []
    yield ["Tickets per account (top 10)", "Account", "Tickets"]
    for top in context["data"]["top_accounts"]:
        yield ["", top.account.name, top.tickets]


def _round(value: float | None):
    return None if value is None else round(value, 1)
