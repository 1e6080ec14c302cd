"""Dashboard pages (thin): support operations (+ CSV), score validation, and the on-demand refresh."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from base.http import csv_response, safe_next
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
    return csv_response(f"support-{context['today']:%Y-%m-%d}.csv", support_csv_rows(context))



@login_required
@tenant_required
@require_POST
def refresh(request):
    """Refresh the tenant's aggregates now (idempotent; everyone who reads the dashboards may ask)."""
    outcome = services.request_refresh(tenant=request.tenant)
    # Back to the page as it is now (the filters an HTMX swap pushed into its URL): ``next``, else the referrer.
    target = safe_next(request, "") or _same_site_referrer(request) or reverse("dashboards:support")
    if outcome["status"] == "queued":
        messages.success(request, "Refresh queued; the figures update when it ends.")
        return redirect(f"{target}{'&' if '?' in target else '?'}job={outcome['job_id']}")
    messages.success(request, f"Refreshed ({outcome['support']['rows']} support rows) in "
                              f"{outcome['support']['seconds'] + outcome['portfolio']['seconds']:.1f}s.")
    return redirect(target)


def _same_site_referrer(request) -> str:
    referrer = request.headers.get("Referer", "")
    if not url_has_allowed_host_and_scheme(referrer, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return ""
    parts = urlsplit(referrer)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


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
