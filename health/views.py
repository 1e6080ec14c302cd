"""Health pages: the scorecard settings page, the account panel (HTMX refresh) and the sentiment form."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from base.errors import DomainError
from core.registries.health import all_rules, all_sources
from health import retention, risks, selectors, services
from health.access import access_account_health
from health.forms import RiskSettingsForm, ScorecardDraft, SentimentForm
from health.panels import health_panel_context
from health.scorecard import ScorecardInvalid
from health.services import events as events_service
from tenancy.decorators import capability_required, member_can, tenant_required
from tenancy.permissions import HEALTH_CONFIGURE, HEALTH_WRITE


def _risk_form(tenant, data=None) -> RiskSettingsForm:
    return RiskSettingsForm(data, rules=all_rules(), settings=risks.rule_settings(tenant),
                            competitors=list((tenant.settings or {}).get("competitors") or []),
                            retention_days=retention.policy_from_settings(tenant.settings).as_dict())


@login_required
@tenant_required
@require_http_methods(["GET", "POST"])
def scorecard_settings(request):
    """Read by everyone; admins and the VP (HEALTH_CONFIGURE) edit components, measures, bands and risk rules."""
    config = selectors.scorecard_get()
    editor = ScorecardDraft.from_scorecard(config.as_dict())
    risk_form = _risk_form(request.tenant)
    can_configure = member_can(request, HEALTH_CONFIGURE)
    status = 200
    if request.method == "POST":
        if not can_configure:
            raise PermissionDenied("Your role may not change the scorecard.")
        if request.POST.get("form") == "risks":
            risk_form = _risk_form(request.tenant, request.POST)
            if risk_form.is_valid():
                try:
                    services.risk_settings_save(
                        tenant=request.tenant, rules=risk_form.cleaned_data["rules"],
                        competitors=risk_form.cleaned_data["competitor_names"],
                        retention_days=risk_form.cleaned_data["retention_days"],
                    )
                except risks.RiskSettingsInvalid as exc:
                    for key, messages_ in exc.errors.items():
                        risk_form.add_error(None, f"{key}: {' '.join(messages_)}")
            if not risk_form.errors:
                messages.success(request, "Risk rules and retention saved; they apply from the next recompute and prune.")
                return redirect("health:scorecard")
        else:
            editor = ScorecardDraft.from_post(request.POST)
            payload = editor.to_scorecard()
            if not editor.errors:
                try:
                    services.scorecard_save(data=payload, actor=request.user)
                except ScorecardInvalid as exc:
                    editor.add_validation_errors(exc.errors, payload)
            if not editor.errors:
                messages.success(request, "Scorecard saved; every account is being recomputed with it.")
                return redirect("health:scorecard")
            editor.with_blank_rows()
        status = 400
    return render_scorecard_settings(request, config=config, editor=editor, risk_form=risk_form, status=status)


def render_scorecard_settings(request, *, editor: ScorecardDraft, config=None, risk_form=None, status: int = 200,
                              refused: str = "Not saved."):
    """The scorecard settings page with ``editor``'s rows and errors (``refused`` heads the error list): the
    page itself, and the dry run (dashboards) when the proposed card does not validate."""
    risk_form = risk_form or _risk_form(request.tenant)
    context = {
        "config": config or selectors.scorecard_get(),
        "editor": editor,
        "refused": refused,
        "risk_form": risk_form,
        "risk_rows": risk_form.rows(),
        "sources": all_sources(),
        "source_keys": {source.key for source in all_sources()},
        "can_configure": member_can(request, HEALTH_CONFIGURE),
        "can_recompute": member_can(request, HEALTH_WRITE),
    }
    return render(request, "health/scorecard_settings.html", context, status=status)


@login_required
@tenant_required
@require_GET
@vary_on_headers("HX-Request")
def account_panel(request, pk: int):
    """The account page's health panel alone (HTMX refreshes it)."""
    account = access_account_health(pk, principal=request.principal)
    return render(request, "health/_account_panel.html", {"panel": health_panel_context(request, account)})


@login_required
@tenant_required
@require_POST
def account_sentiment(request, pk: int):
    account = access_account_health(pk, principal=request.principal, for_write=True)
    form = SentimentForm(request.POST)
    if form.is_valid():
        try:
            services.sentiment_set(account=account, actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc))
    if form.is_valid():
        account = access_account_health(pk, principal=request.principal)  # the recompute (inline without a broker) may have moved the score
        form = None
        if not request.htmx:
            messages.success(request, "Sentiment recorded.")
    if request.htmx:  # swapped in place, errors and all (htmx does not swap 4xx responses)
        context = health_panel_context(request, account, sentiment_form=form) | {"refresh_account_header": True}
        return render(request, "health/_account_panel.html", {"panel": context})
    if form is not None:
        messages.error(request, "Sentiment not saved: " + "; ".join(e for errs in form.errors.values() for e in errs))
    return redirect(reverse("accounts:detail", kwargs={"pk": account.pk}))


@login_required
@tenant_required
@capability_required(HEALTH_WRITE)
@require_POST
def recompute(request):
    outcome = services.request_tenant_recompute(tenant=request.tenant)
    if outcome["status"] == "queued":
        messages.success(request, f"Recompute queued (job {outcome['job_id']}).")
    else:
        messages.success(request, f"Recomputed {outcome['accounts']} accounts in {outcome['seconds']:.1f}s.")
    return redirect("health:scorecard")


@login_required
@tenant_required
@capability_required(HEALTH_CONFIGURE)
@require_http_methods(["GET", "POST"])
def event_mappings(request):
    """Admins map product events (Segment ``track`` names) to usage metrics; those metrics then count
    distinct events per day and refuse pushed usage rows."""
    status = 200
    form_values = {"event": "", "metric": ""}
    error = None
    if request.method == "POST":
        form_values = {"event": request.POST.get("event", ""), "metric": request.POST.get("metric", "")}
        try:
            mapping = events_service.event_mapping_create(**form_values)
        except DomainError as exc:
            error, status = str(exc), 400
        else:
            messages.success(request, f"{mapping.event} now counts into {mapping.metric}.")
            return redirect("health:event_mappings")
    return render(request, "health/event_mappings.html", {
        "mappings": selectors.event_mappings(), "values": form_values, "error": error,
    }, status=status)


@login_required
@tenant_required
@capability_required(HEALTH_CONFIGURE)
@require_POST
def event_mapping_delete(request, pk: int):
    mapping = get_object_or_404(selectors.event_mappings(), pk=pk)
    events_service.event_mapping_delete(mapping=mapping)
    messages.success(request, f"{mapping.event} no longer counts into {mapping.metric}.")
    return redirect("health:event_mappings")
