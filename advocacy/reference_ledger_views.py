"""Reference program pages, continued: the rewards ledger and the reviews and referrals (lists with filters, a
constant number of queries), and recording a reward or a review/referral from an account (the account page's
References panel links here). The forms offer only the account's contacts and requests; the services check
them again, and any refusal shows on the form with nothing written."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from accounts.access import access_account
from accounts.models import Account, Contact
from advocacy import reference_ledger_selectors as selectors
from advocacy import reference_program_services as services
from advocacy.models import AdvocacyActivityKind, AdvocacySource, ReferenceRequest, RewardKind
from base.errors import DomainError
from base.http import safe_next
from tenancy.decorators import capability_required, member_can, tenant_required
from tenancy.permissions import ACCOUNTS_WRITE

PAGE_SIZE = 50
DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class _AccountLinks(forms.Form):
    """The optional contact and request pickers, limited to the account's own."""

    def __init__(self, *args, account: Account, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contact"].queryset = Contact.objects.filter(account=account).order_by("-is_champion", "name")
        self.fields["contact"].label_from_instance = lambda c: f"{c.name}{' (champion)' if c.is_champion else ''}"
        self.fields["request"].queryset = ReferenceRequest.objects.filter(account=account).order_by("-requested_at")
        self.fields["request"].label_from_instance = (
            lambda r: f"{r.get_kind_display()} · {r.get_status_display().lower()} · {r.requested_at:%Y-%m-%d}")


class RewardForm(_AccountLinks):
    kind = forms.ChoiceField(choices=RewardKind.choices, label="Reward")
    description = forms.CharField(max_length=200, label="What was given", help_text="e.g. Executive swag box.")
    value = forms.DecimalField(min_value=0, max_digits=12, decimal_places=2, initial=0, label="Value",
                               help_text="In the tenant's currency; 0 for recognition.")
    given_on = forms.DateField(label="Given on", widget=DATE_INPUT)
    contact = forms.ModelChoiceField(queryset=Contact.objects.none(), required=False, label="To contact")
    request = forms.ModelChoiceField(queryset=ReferenceRequest.objects.none(), required=False,
                                     label="For reference request")


class AdvocacyActivityForm(_AccountLinks):
    kind = forms.ChoiceField(choices=AdvocacyActivityKind.choices, label="Kind")
    source = forms.ChoiceField(choices=AdvocacySource.choices, label="Source")
    occurred_on = forms.DateField(label="Date", widget=DATE_INPUT)
    contact = forms.ModelChoiceField(queryset=Contact.objects.none(), required=False, label="Contact")
    request = forms.ModelChoiceField(queryset=ReferenceRequest.objects.none(), required=False,
                                     label="For reference request")
    rating = forms.DecimalField(required=False, min_value=0, max_value=5, max_digits=2, decimal_places=1,
                                label="Rating (0-5)", help_text="A review's stars.")
    url = forms.URLField(required=False, assume_scheme="https", label="Link", help_text="The review's page.")
    referred_company = forms.CharField(required=False, max_length=200, label="Referred company",
                                       help_text="Required for a referral.")
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}), label="Notes")


def _record(request, pk: int, form_class, write, *, template: str, title: str, success) -> object:
    """GET shows the form; POST validates, writes under the account's lock, or shows the errors (400)."""
    account = access_account(pk, principal=request.principal)
    data = request.POST if request.method == "POST" else None
    today = timezone.localdate()
    initial = {"given_on": today, "occurred_on": today, **{k: v for k, v in request.GET.items() if k in ("kind",)}}
    form = form_class(data, account=account, initial=initial)
    if data is not None and form.is_valid():
        try:
            with transaction.atomic():
                locked = access_account(pk, principal=request.principal, for_write=True)
                written = write(account=locked, actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc))
        else:
            messages.success(request, success(written))
            return redirect(safe_next(request, reverse("accounts:detail", args=[account.pk])))
    return render(request, template, {"account": account, "form": form, "title": title,
                                      "next": safe_next(request, "")}, status=400 if data is not None else 200)


@login_required
@tenant_required
@capability_required(ACCOUNTS_WRITE)
@require_http_methods(["GET", "POST"])
def reward_record(request, pk: int):
    return _record(
        request, pk, RewardForm, services.reward_record, template="advocacy/reference_record_form.html",
        title="Record a reward", success=lambda r: f"Reward recorded for {r.account.name}: {r.description}.",
    )


def _activity_write(*, account, actor, **data):
    data = {**data, "url": data.get("url") or "", "referred_company": data.get("referred_company") or "",
            "notes": data.get("notes") or ""}
    return services.advocacy_activity_record(account=account, actor=actor, **data)


@login_required
@tenant_required
@capability_required(ACCOUNTS_WRITE)
@require_http_methods(["GET", "POST"])
def activity_record(request, pk: int):
    return _record(
        request, pk, AdvocacyActivityForm, _activity_write, template="advocacy/reference_record_form.html",
        title="Record a review or referral",
        success=lambda a: f"{a.get_kind_display()} ({a.get_source_display()}) recorded for {a.account.name}.",
    )


def _choice(value: str, choices) -> str:
    return value if value in dict(choices) else ""


def _page(request, rows):
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return page, query.urlencode()


@login_required
@tenant_required
@require_GET
def rewards(request):
    """The rewards ledger: what was given, when, its value, to whom, for which request (filter by kind)."""
    kind = _choice(request.GET.get("kind", ""), RewardKind.choices)
    rows = selectors.rewards_ledger(kind=kind or None)
    page, query = _page(request, rows)
    return render(request, "advocacy/reference_rewards.html", {
        "page": page, "query": query, "kind": kind, "kinds": RewardKind.choices,
        "totals": selectors.rewards_totals(kind=kind or None), "section": "rewards",
    })


@login_required
@tenant_required
@require_GET
def activities(request):
    """Reviews and referrals with their source (filter by kind and source), counts by source."""
    kind = _choice(request.GET.get("kind", ""), AdvocacyActivityKind.choices)
    source = _choice(request.GET.get("source", ""), AdvocacySource.choices)
    rows = selectors.advocacy_activities(kind=kind or None, source=source or None)
    page, query = _page(request, rows)
    return render(request, "advocacy/reference_activities.html", {
        "page": page, "query": query, "kind": kind, "source": source, "kinds": AdvocacyActivityKind.choices,
        "sources": AdvocacySource.choices, "by_source": selectors.activity_counts(), "section": "activities",
        "can_write": member_can(request, ACCOUNTS_WRITE),
    })
