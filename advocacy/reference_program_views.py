"""Reference program pages, continued: the case-study pipeline (by stage, progress to the quarterly target,
moves by form, a case study started from an account) and the program's settings (the yearly cap, the eligibility rules, the case-study target)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from accounts.access import access_account
from accounts.models import Account, Contact
from advocacy import reference_program_services as program_services
from advocacy import reference_selectors as selectors
from advocacy import reference_services as services
from advocacy.models import CaseStudyStage
from advocacy.reference_access import access_case_study
from base.errors import DomainError
from base.http import safe_next
from tenancy.decorators import capability_required, member_can, tenant_required
from tenancy.permissions import ACCOUNTS_WRITE, ADVOCACY_CONFIGURE


@login_required
@tenant_required
def case_studies(request):
    board = selectors.case_study_board()
    return render(request, "advocacy/reference_case_studies.html", {
        "columns": [{"stage": s, "label": label, "studies": board[s]} for s, label in CaseStudyStage.choices],
        "progress": selectors.case_study_progress(), "stages": CaseStudyStage.choices,
        "can_write": member_can(request, ACCOUNTS_WRITE),
    })


@login_required
@tenant_required
@capability_required(ACCOUNTS_WRITE)
@require_POST
def case_study_stage(request, pk: int):
    stage = request.POST.get("stage", "")
    try:
        with transaction.atomic():
            study = access_case_study(pk, principal=request.principal, for_write=True)
            program_services.case_study_update(study=study, stage=stage, actor=request.user)
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"{study.title}: {study.get_stage_display().lower()}.")
    return redirect(safe_next(request, reverse("references:case_studies")))


class CaseStudyForm(forms.Form):
    title = forms.CharField(max_length=200, label="Title", help_text="e.g. Search across 40M documents.")
    contact = forms.ModelChoiceField(queryset=Contact.objects.none(), required=False, label="Customer contact")
    stage = forms.ChoiceField(choices=CaseStudyStage.choices, initial=CaseStudyStage.IDENTIFIED, label="Stage")
    url = forms.URLField(required=False, assume_scheme="https", label="Link", help_text="The draft or the published page.")
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}), label="Notes")

    def __init__(self, *args, account: Account, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contact"].queryset = Contact.objects.filter(account=account, left_company=False).order_by(
            "-is_champion", "name")


@login_required
@tenant_required
@capability_required(ACCOUNTS_WRITE)
@require_http_methods(["GET", "POST"])
def case_study_start(request, pk: int):
    """Start a case study with an account (from its page): it joins the pipeline at the stage chosen."""
    account = access_account(pk, principal=request.principal)
    data = request.POST if request.method == "POST" else None
    form = CaseStudyForm(data, account=account)
    if data is not None and form.is_valid():
        try:
            with transaction.atomic():
                locked = access_account(pk, principal=request.principal, for_write=True)
                study = program_services.case_study_create(account=locked, actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc))
        else:
            messages.success(request, f"Case study {study.title} started with {account.name}.")
            return redirect("references:case_studies")
    return render(request, "advocacy/reference_case_study_form.html", {"account": account, "form": form},
                  status=400 if data is not None else 200)


class SettingsForm(forms.Form):
    yearly_call_cap = forms.IntegerField(min_value=0, max_value=services.MAX_CAP, label="Reference calls per account",
                                         help_text="In any 365 days; declined requests do not count.")
    nps_min = forms.IntegerField(required=False, min_value=0, max_value=10, label="Latest NPS at least",
                                 help_text="Empty: no NPS rule.")
    require_top_band = forms.BooleanField(required=False, label="Health in the top band")
    min_customer_months = forms.IntegerField(required=False, min_value=0, max_value=600,
                                             label="Months as a customer at least", help_text="Empty: no tenure rule.")
    require_willing_champion = forms.BooleanField(required=False, label="An active champion marked willing")
    case_study_quarterly_target = forms.IntegerField(min_value=0, max_value=1000, label="Case studies per quarter")


@login_required
@tenant_required
@require_http_methods(["GET", "POST"])
def program_settings(request):
    row = selectors.reference_settings()
    can_configure = member_can(request, ADVOCACY_CONFIGURE)
    data = request.POST if request.method == "POST" else None
    if data is not None and not can_configure:
        raise PermissionDenied(f"Your role may not do this ({ADVOCACY_CONFIGURE}).")
    form = SettingsForm(data, initial={name: getattr(row, name) for name in services.SETTINGS_FIELDS})
    if data is not None and form.is_valid():
        try:
            services.reference_settings_update(actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc))
        else:
            messages.success(request, "Reference program settings saved.")
            return redirect("references:settings")
    return render(request, "advocacy/reference_settings.html", {"form": form, "can_configure": can_configure},
                  status=400 if data is not None else 200)
