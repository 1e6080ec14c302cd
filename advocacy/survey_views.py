"""Survey pages: campaigns (list, create, edit, email preview, send with live progress), the responses list
with filters, the NPS / CSAT report (trend charts with their data tables, breakdowns), and the account
page's survey history panel."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import Account
from advocacy import survey_selectors as selectors
from advocacy import survey_sending, survey_services, survey_trends
from advocacy.models import Survey, SurveySend
from advocacy.survey_access import SURVEYS_WRITE, access_survey
from advocacy.survey_forms import ResponseFilterForm, SettingsForm, SurveyForm
from base.errors import DomainError
from tenancy.decorators import capability_required, member_can, tenant_required
from tenancy.permissions import TENANT_MANAGE

PAGE_SIZE = 50


@login_required
@tenant_required
@require_GET
def campaigns(request):
    return render(request, "advocacy/campaigns.html", {
        "surveys": selectors.campaign_list(), "can_write": member_can(request, SURVEYS_WRITE),
    })


def _editor(request, survey: Survey | None):
    data = request.POST if request.method == "POST" else None
    form = SurveyForm(data, initial=SurveyForm.initial_for(survey) if survey else None)
    if data is not None and form.is_valid():
        try:
            with transaction.atomic():
                if survey is None:
                    saved = survey_services.survey_create(actor=request.user, **form.service_data())
                else:
                    locked = access_survey(survey.pk, principal=request.principal, for_write=True)
                    saved = survey_services.survey_update(survey=locked, actor=request.user, **form.service_data())
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc))
        else:
            messages.success(request, f"Campaign {saved.name} saved.")
            return redirect("surveys:detail", pk=saved.pk)
    return render(request, "advocacy/campaign_form.html", {"form": form, "survey": survey},
                  status=400 if data is not None else 200)


@login_required
@tenant_required
@capability_required(SURVEYS_WRITE)
@require_http_methods(["GET", "POST"])
def campaign_create(request):
    return _editor(request, None)


@login_required
@tenant_required
@capability_required(SURVEYS_WRITE)
@require_http_methods(["GET", "POST"])
def campaign_edit(request, pk: int):
    return _editor(request, access_survey(pk, principal=request.principal))


def _preview(survey: Survey) -> dict:
    """The email as a recipient would get it (links to a sample send that is never saved)."""
    sample = SurveySend(pk=0, tenant=survey.tenant, survey=survey, email="customer@example.com")
    message = survey_sending.build_message(survey, sample)
    return {"subject": message.subject, "text": message.body, "html": message.alternatives[0][0]}


@login_required
@tenant_required
@require_GET
def campaign_detail(request, pk: int):
    survey = access_survey(pk, principal=request.principal)
    return render(request, "advocacy/campaign.html", {
        "survey": survey, "preview": _preview(survey), "stats": selectors.campaign_stats(survey),
        "can_write": member_can(request, SURVEYS_WRITE),
    })


@login_required
@tenant_required
@require_GET
def campaign_progress(request, pk: int):
    """The progress partial (HTMX polls it every 2 seconds while the campaign is sending)."""
    survey = access_survey(pk, principal=request.principal)
    return render(request, "advocacy/_progress.html", {"survey": survey, "stats": selectors.campaign_stats(survey)})


@login_required
@tenant_required
@capability_required(SURVEYS_WRITE)
@require_POST
def campaign_send(request, pk: int):
    survey = access_survey(pk, principal=request.principal)
    try:
        survey_services.survey_send(survey=survey, actor=request.user)
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Sending {survey.name} to {survey.recipients} contacts.")
    return redirect("surveys:detail", pk=survey.pk)


@login_required
@tenant_required
@require_GET
def responses(request):
    form = ResponseFilterForm(request.GET or None, segments=selectors.segment_keys())
    filters = form.cleaned_data if form.is_valid() else {}
    tz = request.tenant.tzinfo
    start, end = filters.get("start"), filters.get("end")
    rows = selectors.responses_filtered(
        kind=filters.get("kind") or None, category=filters.get("category") or None,
        segment=filters.get("segment") or None,
        since=selectors.Window(start=start, end=start).bounds(tz)[0] if start else None,
        until=selectors.Window(start=end, end=end).bounds(tz)[1] if end else None,
    ).select_related("account", "contact")
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "advocacy/responses.html", {"form": form, "page": page, "query": query.urlencode()})


@login_required
@tenant_required
@require_GET
def report(request):
    today = timezone.localdate()
    segment = request.GET.get("segment") or None
    if segment not in selectors.segment_keys():
        segment = None
    months = survey_trends.monthly(end=today, months=12, segment=segment)
    nps_chart = survey_trends.chart([(m.label, m.nps["nps"]) for m in months], low=-100, high=100,
                                    ticks=[-100, -50, 0, 50, 100])
    csat_chart = survey_trends.chart([(m.label, m.csat["average"]) for m in months], low=1, high=5,
                                     ticks=[1, 2, 3, 4, 5])
    window = selectors.Window(start=today - timedelta(days=89), end=today)
    by = request.GET.get("by") if request.GET.get("by") in ("segment", "tier", "csm") else "segment"
    return render(request, "advocacy/report.html", {
        "months": months, "nps_chart": nps_chart, "csat_chart": csat_chart, "segment": segment,
        "segments": selectors.segment_keys(), "by": by, "breakdown": survey_trends.breakdown(window=window, by=by),
        "nps": selectors.nps_metric(window=window), "csat": selectors.csat_metric(window=window), "window": window,
    })


@login_required
@tenant_required
@require_http_methods(["GET", "POST"])
def settings_page(request):
    """The tenant's survey rules (everyone reads them; admins change them)."""
    current = selectors.settings_for()
    can_manage = member_can(request, TENANT_MANAGE)
    if request.method == "POST" and not can_manage:
        raise PermissionDenied("Only an admin changes the survey settings.")
    initial = {
        "fatigue_days": current.fatigue_days, "csat_contact_days": current.csat_contact_days,
        "link_max_age_days": current.link_max_age_days, "csat_on_ticket_resolved": current.csat_on_ticket_resolved,
        "post_implementation_days": ", ".join(str(d) for d in selectors.post_implementation_days(current)),
    }
    form = SettingsForm(request.POST if request.method == "POST" else None, initial=initial)
    for field in form.fields.values():
        field.disabled = not can_manage
    if request.method == "POST" and form.is_valid():
        try:
            survey_services.settings_update(actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc))
        else:
            messages.success(request, "Survey settings saved.")
            return redirect("surveys:settings")
    return render(request, "advocacy/settings.html", {"form": form, "can_manage": can_manage},
                  status=400 if form.is_bound and form.errors else 200)


def account_panel_context(request, account: Account) -> dict:
    """The account page's survey history: its latest responses (one query)."""
    latest = list(selectors.responses_filtered(account_id=account.pk).select_related("contact")[:8])
    return {
        "responses": latest,
        "latest_nps": next((r for r in latest if r.kind == "nps"), None),
    }
