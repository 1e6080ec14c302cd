"""Account pages: the list (HTMX-swapped table), create and edit forms, contact edit, CSV export.

The account 360 page and my tasks compose several apps: they live in ``workspace/``.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.http import StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods
from django.views.decorators.vary import vary_on_headers

from accounts import csv_export, selectors, services
from accounts.access import access_account, access_contact
from accounts.forms import AccountForm, ContactForm
from accounts.models import Account, LifecycleStage
from base.errors import DomainError
from core.registries.bands import tenant_bands
from tenancy.context import tenant_context
from tenancy.decorators import capability_required, member_can, tenant_required
from tenancy.models import Role
from tenancy.permissions import ACCOUNTS_WRITE
from tenancy.selectors import tenant_users

PAGE_SIZE = 50


def _filters_from(request) -> selectors.AccountFilters:
    g = request.GET
    return selectors.AccountFilters(
        search=g.get("q", "").strip(),
        segment=g.get("segment", ""),
        csm=g.get("csm", ""),
        lifecycle_stage=g.get("lifecycle", ""),
        health_status=g.get("health_status", ""),
        status=g.get("status", "active"),
        risk=g.get("risk", ""),
        sort=g.get("sort", "name"),
    )


@login_required
@tenant_required
@vary_on_headers("HX-Request")
def account_list(request):
    filters = _filters_from(request)
    page = Paginator(selectors.account_list(filters=filters, user=request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    accounts = list(page.object_list)
    risk_counts = selectors.account_open_risk_counts([a.pk for a in accounts])
    for account in accounts:
        account.open_risks = risk_counts.get(account.pk, 0)
    params = request.GET.copy()
    params.pop("page", None)
    sort_params = request.GET.copy()
    sort_params.pop("sort", None)
    sort_params.pop("page", None)
    context = {
        "page": page,
        "accounts": accounts,
        "filters": filters,
        "query": params.urlencode(),
        "sort_query": sort_params.urlencode(),
        "sort_columns": _sort_columns(filters.sort or "name"),
        "segments": request.tenant.get_segment_thresholds(),
        "lifecycle_stages": LifecycleStage.choices,
        "csms": tenant_users(roles=[Role.CSM, Role.VP, Role.ADMIN]),
        "bands": tenant_bands(),  # the tenant's health bands (provided by the health app) for the filter
        "can_write": member_can(request, ACCOUNTS_WRITE),
    }
    template = "accounts/account_list.html#results" if request.htmx else "accounts/account_list.html"
    return render(request, template, context)


# (sort key, column label, first direction when clicked, numeric column)
SORT_COLUMNS = [
    ("name", "Account", "", False), ("segment", "Segment", "", False), ("arr", "ARR", "-", True),
    ("health", "Health", "", False), ("lifecycle", "Lifecycle", "", False), ("csm", "CSM", "", False),
    ("renewal", "Renewal", "", False),
]


def _sort_columns(current: str) -> list[dict]:
    """Sortable headers: a link that sorts by the column (or reverses it) and the current direction."""
    columns = []
    for key, label, first, numeric in SORT_COLUMNS:
        if current == key:
            aria_sort, next_sort = "ascending", f"-{key}"
        elif current == f"-{key}":
            aria_sort, next_sort = "descending", key
        else:
            aria_sort, next_sort = "none", f"{first}{key}"
        columns.append({"label": label, "next": next_sort, "aria_sort": aria_sort, "numeric": numeric})
    return columns


def _form_error(form, exc: DomainError) -> None:
    form.add_error(exc.field if exc.field in form.fields else None, str(exc))


@login_required
@tenant_required
@capability_required(ACCOUNTS_WRITE)
@require_http_methods(["GET", "POST"])
def account_create(request):
    form = AccountForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            account = services.account_create(actor=request.user, **form.cleaned_service_data())
        except DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, f"Account {account.name} created.")
            return redirect("accounts:detail", pk=account.pk)
    return render(request, "accounts/account_form.html", {"form": form, "account": None})


@login_required
@tenant_required
@capability_required(ACCOUNTS_WRITE)
@require_http_methods(["GET", "POST"])
def account_edit(request, pk: int):
    account = access_account(pk, principal=request.principal)
    # The form edits its own copy: a refused change does not show on the page's heading.
    form = AccountForm(request.POST or None, instance=access_account(pk, principal=request.principal))
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                locked = access_account(pk, principal=request.principal, for_write=True)
                services.account_update(account=locked, actor=request.user, **form.cleaned_service_data())
        except DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, "Account saved.")
            return redirect("accounts:detail", pk=account.pk)
    return render(request, "accounts/account_form.html", {"form": form, "account": account})


@login_required
@tenant_required
@capability_required(ACCOUNTS_WRITE)
@require_http_methods(["GET", "POST"])
def contact_edit(request, pk: int, contact_pk: int):
    account = access_account(pk, principal=request.principal)
    contact = access_contact(contact_pk, principal=request.principal, account=account)
    form = ContactForm(
        request.POST or None, instance=access_contact(contact_pk, principal=request.principal, account=account)
    )
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                locked = access_contact(contact_pk, principal=request.principal, account=account, for_write=True)
                services.contact_update(contact=locked, actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, f"{locked.name} saved.")
            return redirect(f"{account_url(account)}?tab=contacts")
    return render(request, "accounts/contact_form.html", {"form": form, "account": account, "contact": contact})


@login_required
@tenant_required
def account_export(request):
    rows = selectors.account_list(filters=_filters_from(request), user=request.user)
    # The body is iterated after the view returns (and the middleware has reset the tenant).
    response = StreamingHttpResponse(_in_tenant(request.tenant, csv_export.account_rows(rows)), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="{request.tenant.slug}-accounts.csv"'
    return response


def _in_tenant(tenant, chunks):
    """Produce each chunk of a streamed body inside the tenant's context (queries fail closed outside it)."""
    chunks = iter(chunks)
    while True:
        with tenant_context(tenant):
            chunk = next(chunks, None)
        if chunk is None:
            return
        yield chunk


def account_url(account: Account) -> str:
    return reverse("accounts:detail", kwargs={"pk": account.pk})
