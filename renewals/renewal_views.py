"""Renewal pages: the renewal desk (the next 12 months' renewals by month, filtered by CSM, segment and
forecast, with totals per forecast category), the renewal page (motions, forecast history, the override
and outcome forms) and the account page's renewal panel."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts.access import access_account
from accounts.models import Account
from base.errors import DomainError
from renewals import renewal_selectors as selectors
from renewals import renewal_services as services
from renewals.models import Forecast, Renewal
from renewals.renewal_access import access_renewal
from renewals.renewal_forms import ForecastForm, OutcomeForm
from tenancy.decorators import capability_required, member_can, tenant_required
from tenancy.models import Role
from tenancy.permissions import ACCOUNTS_WRITE
from tenancy.selectors import tenant_users


@login_required
@tenant_required
def desk(request):
    filters = selectors.DeskFilters(
        csm=request.GET.get("csm", "").strip(), segment=request.GET.get("segment", "").strip(),
        forecast=request.GET.get("forecast", "").strip(), month=request.GET.get("month", "").strip(),
    )
    today = selectors.tenant_today()
    template = "renewals/desk.html#results" if request.headers.get("HX-Request") else "renewals/desk.html"
    return render(request, template, {
        "desk": selectors.renewal_desk(today=today, filters=filters), "filters": filters, "today": today,
        "filter_query": urlencode({k: v for k, v in (("csm", filters.csm), ("segment", filters.segment),
                                                     ("forecast", filters.forecast)) if v}),
        "segments": request.tenant.get_segment_thresholds(), "forecasts": Forecast.choices,
        "csms": list(tenant_users(roles=[Role.CSM, Role.VP, Role.ADMIN])),
        "window_days": selectors.renewal_settings_get().window_days,
    })


def _page(request, renewal: Renewal, *, forecast_form=None, outcome_form=None, status=200):
    return render(request, "renewals/renewal.html", {
        "renewal": renewal, "motions": selectors.motion_ctas(renewal_id=renewal.pk),
        "history": selectors.forecast_history(renewal=renewal), "today": selectors.tenant_today(),
        "forecast_form": forecast_form or ForecastForm(initial={"forecast": renewal.forecast}),
        "outcome_form": outcome_form or OutcomeForm(),
        "churn_reasons": selectors.renewal_settings_get().churn_reasons,
        "can_write": member_can(request, ACCOUNTS_WRITE),
    }, status=status)


@login_required
@tenant_required
def renewal_detail(request, pk: int):
    return _page(request, access_renewal(pk, principal=request.principal))


def _write(request, pk: int, data: dict) -> Renewal:
    renewal = access_renewal(pk, principal=request.principal)
    with transaction.atomic():
        # Lock order: the account, then the renewal (as the renewal-date hook does).
        access_account(renewal.account_id, principal=request.principal, for_write=True)
        locked = access_renewal(pk, principal=request.principal, for_write=True)
        return services.renewal_update(renewal=locked, actor=request.user, **data)


def _refused(request, pk: int, form, exc: DomainError, *, which: str):
    form.add_error(exc.field if exc.field in form.fields else None, str(exc))
    renewal = access_renewal(pk, principal=request.principal)
    return _page(request, renewal, **{which: form}, status=exc.status_code)


@login_required
@tenant_required
@capability_required(ACCOUNTS_WRITE)
@require_POST
def renewal_forecast(request, pk: int):
    form = ForecastForm(request.POST)
    if not form.is_valid():
        return _page(request, access_renewal(pk, principal=request.principal), forecast_form=form, status=400)
    try:
        _write(request, pk, dict(form.cleaned_data))
    except DomainError as exc:
        return _refused(request, pk, form, exc, which="forecast_form")
    messages.success(request, "Forecast overridden.")
    return redirect("renewals:detail", pk)


@login_required
@tenant_required
@capability_required(ACCOUNTS_WRITE)
@require_POST
def renewal_outcome(request, pk: int):
    form = OutcomeForm(request.POST)
    if not form.is_valid():
        return _page(request, access_renewal(pk, principal=request.principal), outcome_form=form, status=400)
    try:
        renewal = _write(request, pk, form.service_data())
    except DomainError as exc:
        return _refused(request, pk, form, exc, which="outcome_form")
    messages.success(request, f"Outcome recorded: {renewal.get_outcome_display()}.")
    return redirect("accounts:detail", renewal.account_id)


def account_panel_context(request, account: Account) -> dict:
    """The account page's renewal panel: the open renewal (else the latest), one query."""
    renewals = selectors.renewals_for_account(account_id=account.pk)
    current = next((r for r in renewals if r.outcome is None), renewals[0] if renewals else None)
    return {"renewal": current, "today": selectors.tenant_today(),
            "days_left": (current.contract_end - selectors.tenant_today()).days if current else None}
