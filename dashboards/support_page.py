"""What the support operations page and its CSV show: the selectors' figures, the charts drawn from them and
the link from each number to the ticket queue behind it (the queue filters it can express: view, severity,
breaching, level, account; it has no segment, engineer or date filter, so those links show the open queue
or every ticket of the account rather than exactly the period's)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.urls import reverse

from dashboards import histograms, kpi_catalogue, kpi_selectors
from dashboards.charts import bar_rows
from dashboards.support_selectors import PERIODS, SupportFilters, support_dashboard
from health.charts import line_chart
from tenancy.selectors import tenant_users


def queue_url(**params) -> str:
    return f"{reverse('tickets:queue')}?{urlencode({k: v for k, v in params.items() if v not in (None, '')})}"


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
    for row in backlog["rows"]:
        row["href"] = queue_url(view="open", severity=row["severity"])
        row["breaching_href"] = queue_url(view="open", severity=row["severity"], breaching=1)
    backlog_chart = bar_rows([{"label": r["label"], "value": r["total"]} for r in backlog["rows"]], unit=" open")
    total = sla["total"]
    return {
        "filters": filters, "periods": PERIODS, "segments": segments, "people": people, "data": data,
        "sla": sla, "backlog": backlog, "total": total, "today": sla["end_day"], "refreshed": data["refreshed"],
        "compliance_chart": compliance_chart, "backlog_chart": backlog_chart,
        "distributions": [_distribution(total.response_hist, "Time to first response"),
                          _distribution(total.resolution_hist, "Time to resolution")],
        "links": {
            "open": queue_url(view="open"), "breaching": queue_url(view="open", breaching=1),
            "done": queue_url(view="done"), "level2": queue_url(view="open", level=2),
            "level3": queue_url(view="open", level=3),
        },
        "severity_done_links": {f.key: queue_url(view="done", severity=f.key) for f in sla["by_severity"]},
        "targets": kpi_selectors.targets_panel(today=sla["end_day"], sources=kpi_catalogue.SUPPORT_SOURCES),
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
              "Resolution median min", "Resolution p90 min"]
    sla = context["sla"]
    for title, groups in (("By severity", sla["by_severity"]), ("By segment", sla["by_segment"]),
                          ("By engineer", sla["by_engineer"]), ("All", [sla["total"]])):
        yield []
        yield [title, "Group", *header]
        for f in groups:
            yield ["", f.label, f.opened, f.resolved, f.response_met, f.response_breached, f.response_percent,
                   f.resolution_met, f.resolution_breached, f.resolution_percent, f.escalated,
                   _round(f.response_median), _round(f.response_p90), _round(f.resolution_median),
                   _round(f.resolution_p90)]
    yield []
    yield ["Tickets per account (top 10)", "Account", "Tickets"]
    for top in context["data"]["top_accounts"]:
        yield ["", top.account.name, top.tickets]


def _round(value: float | None):
    return None if value is None else round(value, 1)
