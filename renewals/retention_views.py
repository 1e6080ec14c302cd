"""The retention report (a VP's page, readable by every member like the renewal desk): the trailing-12-month
NRR and GRR trend, the chosen window's retention, movements by month, churn reasons, the split by segment,
and the same numbers as CSV."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from base.http import csv_response
from renewals import renewal_selectors
from renewals import retention_report as report_selectors
from renewals.retention_chart import trend_chart
from renewals.retention_forms import RetentionWindowForm
from renewals.retention_report import MOVEMENT_KINDS, Report
from tenancy.decorators import tenant_required


def _window_form(request) -> RetentionWindowForm:
    today = renewal_selectors.tenant_today()
    return RetentionWindowForm(request.GET, today=today, default=report_selectors.default_window(today))


def _report(request, form: RetentionWindowForm) -> Report:
    return report_selectors.retention_report(
        start=form.cleaned_data["start"], end=form.cleaned_data["end"],
        thresholds=request.tenant.get_segment_thresholds(),
    )


@login_required
@tenant_required
@require_GET
def retention_page(request):
    form = _window_form(request)
    if not form.is_valid():
        return render(request, "renewals/retention.html", {"form": form, "report": None,
                                                           "max_months": report_selectors.MAX_WINDOW_MONTHS}, status=400)
    report = _report(request, form)
    chart = trend_chart(
        [p.month for p in report.trend],
        [{"key": "nrr", "label": "NRR", "values": [p.result.nrr for p in report.trend]},
         {"key": "grr", "label": "GRR", "values": [p.result.grr for p in report.trend]}],
    )
    return render(request, "renewals/retention.html", {
        "form": form, "report": report, "chart": chart, "max_months": report_selectors.MAX_WINDOW_MONTHS,
        "export_query": f"start={report.start.isoformat()}&end={report.end.isoformat()}",
    })


def _pct(value) -> str:
    return "" if value is None else f"{value:.1f}"


def csv_rows(report: Report):
    """The report as one long table: section, row (a month, reason or segment; blank for the window), metric,
    value. Money with two decimals, percentages with one, blank where there is no value."""
    yield ["section", "row", "metric", "value"]
    yield ["window", "", "start", report.start.isoformat()]
    yield ["window", "", "end", report.end.isoformat()]
    for name, value in report.summary.as_dict().items():
        yield ["summary", "", name, _pct(value) if name in ("nrr", "grr", "logo_retention") else f"{value:.2f}"]
    yield ["summary", "", "accounts_at_start", str(report.accounts)]
    yield ["summary", "", "accounts_retained", str(report.retained)]
    for point in report.trend:
        for metric in ("nrr", "grr", "logo_retention"):
            yield ["trend", point.month, metric, _pct(getattr(point.result, metric))]
    for month in report.months:
        label = month.month.strftime("%Y-%m")
        yield ["movements", label, "starting_arr", f"{month.starting_arr:.2f}"]
        for kind in MOVEMENT_KINDS:
            yield ["movements", label, kind, f"{getattr(month, kind):.2f}"]
        yield ["movements", label, "ending_arr", f"{month.ending_arr:.2f}"]
    for reason in report.churn_reasons:
        yield ["churn_reasons", reason.reason, "renewals", str(reason.count)]
        yield ["churn_reasons", reason.reason, "arr_lost", f"{reason.arr_lost:.2f}"]
    for segment in report.segments:
        yield ["segments", segment.key, "accounts_at_start", str(segment.accounts)]
        for name, value in segment.result.as_dict().items():
            yield ["segments", segment.key, name, _pct(value) if name in ("nrr", "grr", "logo_retention") else f"{value:.2f}"]


@login_required
@tenant_required
@require_GET
def retention_export(request):
    form = _window_form(request)
    if not form.is_valid():
        return HttpResponse("\n".join(form.error_list()) + "\n", status=400, content_type="text/plain; charset=utf-8")
    report = _report(request, form)
    filename = f"retention-{request.tenant.slug}-{report.start.isoformat()}-to-{report.end.isoformat()}.csv"
    return csv_response(filename, csv_rows(report))
