"""KPI target settings pages (admins, ``dashboards.configure``): the list with each target's actual, the add /
edit form and removal."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from base.errors import DomainError
from dashboards import kpi_catalogue, kpi_selectors
from dashboards import kpi_services as services
from dashboards.kpi_access import access_kpi_target
from dashboards.kpi_forms import KpiTargetForm
from dashboards.models import KpiTarget
from renewals.renewal_selectors import tenant_today
from tenancy.decorators import capability_required, tenant_required
from tenancy.permissions import DASHBOARDS_CONFIGURE


@login_required
@tenant_required
@capability_required(DASHBOARDS_CONFIGURE)
@require_GET
def kpi_targets(request):
    return render(request, "dashboards/kpi_targets.html", {
        "panel": kpi_selectors.targets_panel(today=tenant_today()), "catalogue": kpi_catalogue.KPIS,
    })


def _editor(request, target: KpiTarget | None):
    data = request.POST if request.method == "POST" else None
    form = KpiTargetForm(data, initial=KpiTargetForm.initial_for(target) if target else None)
    if data is not None and form.is_valid():
        try:
            saved = _save(request, target, form.cleaned_data)
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc))
        else:
            messages.success(request, f"Target for {saved.kpi.label} saved.")
            return redirect("dashboards:kpi_targets")
    context = {"form": form, "kpi_target": target, "catalogue": kpi_catalogue.KPIS}
    return render(request, "dashboards/kpi_target_form.html", context, status=400 if data is not None else 200)


def _save(request, target: KpiTarget | None, data: dict) -> KpiTarget:
    if target is None:
        return services.kpi_target_create(actor=request.user, **data)
    with transaction.atomic():
        locked = access_kpi_target(target.pk, principal=request.principal, for_write=True)
        return services.kpi_target_update(kpi_target=locked, actor=request.user, **data)


@login_required
@tenant_required
@capability_required(DASHBOARDS_CONFIGURE)
@require_http_methods(["GET", "POST"])
def kpi_target_create(request):
    return _editor(request, None)


@login_required
@tenant_required
@capability_required(DASHBOARDS_CONFIGURE)
@require_http_methods(["GET", "POST"])
def kpi_target_edit(request, pk: int):
    return _editor(request, access_kpi_target(pk, principal=request.principal))


@login_required
@tenant_required
@capability_required(DASHBOARDS_CONFIGURE)
@require_POST
def kpi_target_delete(request, pk: int):
    with transaction.atomic():
        target = access_kpi_target(pk, principal=request.principal, for_write=True)
        services.kpi_target_delete(kpi_target=target, actor=request.user)
    messages.success(request, f"Target for {target.kpi.label} removed.")
    return redirect("dashboards:kpi_targets")
