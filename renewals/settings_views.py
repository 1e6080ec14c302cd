"""Settings pages of renewals and expansion: the renewal window, default term, the motions (steps per
offset) and churn reasons; the expansion triggers' thresholds and the stage probabilities.

Every member may read them (as the cadence list); saving needs ``renewals.configure`` (403 otherwise, as
the cadence forms), and others see the values read-only. Bad input re-renders the form with its errors
(400) and writes nothing: the services validate again, and refuse as a whole."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from base.errors import DomainError
from renewals import (
    expansion_triggers,
    opportunity_selectors,
    opportunity_services,
    renewal_selectors,
    renewal_services,
)
from renewals.settings_forms import ExpansionSettingsForm, RenewalSettingsForm, motion_formset
from tenancy.decorators import member_can, tenant_required
from tenancy.permissions import RENEWALS_CONFIGURE


def _may_save(request) -> bool:
    can_configure = member_can(request, RENEWALS_CONFIGURE)
    if request.method == "POST" and not can_configure:
        raise PermissionDenied(f"Your role may not do this ({RENEWALS_CONFIGURE}).")
    return can_configure


def _read_only(*forms) -> None:
    for form in forms:
        for field in form.fields.values():
            field.disabled = True


def _refused(form, exc: DomainError) -> None:
    field = exc.field if exc.field in form.fields else None
    form.add_error(field, str(exc) if field else f"{(exc.field or 'Settings').replace('_', ' ').capitalize()}: {exc}")


def _save(request, form, write, *, message: str, to: str):
    """Run the service's write; a redirect once it is saved, None (the error on the form) when refused."""
    try:
        write()
    except DomainError as exc:
        _refused(form, exc)
        return None
    messages.success(request, message)
    return redirect(to)


def _page(request, template: str, *, forms, can_configure: bool, **context):
    if not can_configure:
        _read_only(*forms)
    return render(request, template, {**context, "can_configure": can_configure},
                  status=400 if request.method == "POST" else 200)


@login_required
@tenant_required
@require_http_methods(["GET", "POST"])
def renewal_settings(request):
    can_configure = _may_save(request)
    current = renewal_selectors.renewal_settings_get()
    data = request.POST if request.method == "POST" else None
    form = RenewalSettingsForm(data, initial=RenewalSettingsForm.initial_for(current))
    motions = motion_formset(data, motions=current.motions)
    if data is not None and form.is_valid() & motions.is_valid():
        saved = _save(request, form, lambda: renewal_services.renewal_settings_update(
            actor=request.user, window_days=form.cleaned_data["window_days"],
            term_months=form.cleaned_data["term_months"], churn_reasons=form.cleaned_data["churn_reasons"],
            motions=motions.motions(),
        ), message="Renewal settings saved. New renewals use them; open ones keep their motions.", to="renewals:settings")
        if saved:
            return saved
    return _page(request, "renewals/renewal_settings.html", forms=[form, *motions.forms], can_configure=can_configure,
                 form=form, motions=motions)


def _triggers() -> list:
    stored = opportunity_selectors.trigger_params()
    return [(t, expansion_triggers.effective_params(t, stored)) for t in expansion_triggers.all_triggers()]


@login_required
@tenant_required
@require_http_methods(["GET", "POST"])
def expansion_settings(request):
    can_configure = _may_save(request)
    data = request.POST if request.method == "POST" else None
    form = ExpansionSettingsForm(data, probabilities=opportunity_selectors.stage_probabilities(), triggers=_triggers())
    if data is not None and form.is_valid():
        saved = _save(request, form, lambda: opportunity_services.opportunity_settings_update(
            actor=request.user, **form.service_data(),
        ), message="Expansion settings saved. The next daily run of the triggers uses them.",
            to="renewals:expansion_settings")
        if saved:
            return saved
    return _page(request, "renewals/expansion_settings.html", forms=[form], can_configure=can_configure, form=form)
