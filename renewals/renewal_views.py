"""Renewal pages: the renewal desk (the next 12 months' renewals by month, filtered by CSM, segment and
forecast, with totals per forecast category)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from renewals import renewal_selectors as selectors
from renewals.models import Forecast
from tenancy.decorators import tenant_required
from tenancy.models import Role
from tenancy.selectors import tenant_users


@login_required
@tenant_required
def desk(request):
    filters = selectors.DeskFilters(
        csm=request.GET.get("csm", "").strip(), segment=request.GET.get("segment", "").strip(),
        forecast=request.GET.get("forecast", "").strip(),
    )
    today = selectors.tenant_today()
    template = "renewals/desk.html#results" if request.headers.get("HX-Request") else "renewals/desk.html"
    return render(request, template, {
        "desk": selectors.renewal_desk(today=today, filters=filters), "filters": filters, "today": today,
        "segments": request.tenant.get_segment_thresholds(), "forecasts": Forecast.choices,
        "csms": list(tenant_users(roles=[Role.CSM, Role.VP, Role.ADMIN])),
    })
