"""Dashboard pages (thin): support operations (+ CSV), score validation, and the on-demand refresh."""

from __future__ import annotations

import csv

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from base.http import safe_next
from core import jobs
from core.models import Job
from dashboards import services
from dashboards.support_page import support_context, support_csv_rows
from tenancy.decorators import tenant_required


@login_required
@tenant_required
@require_GET
@vary_on_headers("HX-Request")
def support(request):
    context = support_context(request)
    template = "dashboards/support.html#results" if request.htmx else "dashboards/support.html"
    return render(request, template, context)


@login_required
@tenant_required
@require_GET
def support_export(request):
    context = support_context(request)
    response = HttpResponse(content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="support-{context["today"]:%Y-%m-%d}.csv"'
    writer = csv.writer(response)
    for row in support_csv_rows(context):
        writer.writerow(row)
    return response


@login_required
@tenant_required
@require_POST
def refresh(request):
    """Refresh the tenant's aggregates now (idempotent; everyone who reads the dashboards may ask)."""
    outcome = services.request_refresh(tenant=request.tenant)
    target = safe_next(request, reverse("dashboards:support"))
    if outcome["status"] == "queued":
        messages.success(request, "Refresh queued; the figures update when it ends.")
        return redirect(f"{target}{'&' if '?' in target else '?'}job={outcome['job_id']}")
    messages.success(request, f"Refreshed ({outcome['support']['rows']} support rows) in "
                              f"{outcome['support']['seconds'] + outcome['portfolio']['seconds']:.1f}s.")
    return redirect(target)


@login_required
@tenant_required
@require_GET
def refresh_status(request, job_id: str):
    """The refresh job's progress (polled by the page while it runs)."""
    try:
        job = jobs.job_get(pk=job_id)
    except Job.DoesNotExist as exc:
        raise Http404("No such job.") from exc
    return render(request, "dashboards/_refresh_status.html", {"job": job})
