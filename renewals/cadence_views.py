"""Touchpoint cadence pages: the settings list, the add / edit form, delete, and the account page's
"Next touchpoints" panel."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import Account
from base.errors import DomainError
from renewals import cadence_selectors as selectors
from renewals import cadence_services as services
from renewals.cadence_access import access_cadence
from renewals.cadence_forms import CadenceForm
from renewals.models import TouchpointCadence
from tenancy.decorators import capability_required, member_can, tenant_required
from tenancy.permissions import RENEWALS_CONFIGURE


@login_required
@tenant_required
def cadences(request):
    return render(request, "renewals/cadences.html", {
        "cadences": list(selectors.cadence_list()), "can_configure": member_can(request, RENEWALS_CONFIGURE),
    })


def _editor(request, cadence: TouchpointCadence | None):
    data = request.POST if request.method == "POST" else None
    form = CadenceForm(data, initial=CadenceForm.initial_for(cadence) if cadence else None)
    if data is not None and form.is_valid():
        try:
            saved = _save(request, cadence, form.service_data())
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc))
        else:
            messages.success(request, f"Cadence {saved.title} for {saved.match} saved.")
            return redirect("cadences:list")
    context = {
        "form": form, "cadence": cadence, "segments": selectors.segment_choices(), "tiers": selectors.tier_names(),
    }
    return render(request, "renewals/cadence_form.html", context, status=400 if data is not None else 200)


def _save(request, cadence: TouchpointCadence | None, data: dict) -> TouchpointCadence:
    if cadence is None:
        return services.cadence_create(actor=request.user, **data)
    with transaction.atomic():
        locked = access_cadence(cadence.pk, principal=request.principal, for_write=True)
        return services.cadence_update(cadence=locked, actor=request.user, **data)


@login_required
@tenant_required
@capability_required(RENEWALS_CONFIGURE)
@require_http_methods(["GET", "POST"])
def cadence_create(request):
    return _editor(request, None)


@login_required
@tenant_required
@capability_required(RENEWALS_CONFIGURE)
@require_http_methods(["GET", "POST"])
def cadence_edit(request, pk: int):
    return _editor(request, access_cadence(pk, principal=request.principal))


@login_required
@tenant_required
@capability_required(RENEWALS_CONFIGURE)
@require_POST
def cadence_delete(request, pk: int):
    with transaction.atomic():
        cadence = access_cadence(pk, principal=request.principal, for_write=True)
        services.cadence_delete(cadence=cadence, actor=request.user)
    messages.success(request, f"Cadence {cadence.title} for {cadence.match} removed.")
    return redirect("cadences:list")


def account_panel_context(request, account: Account) -> dict:
    """The account page's next touchpoints (three queries, whatever the timeline's size)."""
    return {
        "account": account, "touchpoints": selectors.next_touchpoints_for_account(account),
        "can_configure": member_can(request, RENEWALS_CONFIGURE),
    }
