"""Account pages: list (HTMX-swapped table), 360 view with tabs, forms, my tasks, CSV in and out."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from accounts import csv_export, selectors, services
from accounts.forms import AccountForm, ContactForm, NoteForm, TaskForm
from accounts.models import Account, ActivityKind, Contact, LifecycleStage, Task, TaskStatus
from accounts.panels import panels_for
from base.errors import DomainError
from base.http import safe_next
from tenancy.context import tenant_context
from tenancy.decorators import capability_required, member_can, tenant_required
from tenancy.models import Role
from tenancy.permissions import ACCOUNTS_ENGAGE, ACCOUNTS_WRITE
from tenancy.selectors import tenant_users

PAGE_SIZE = 50
TIMELINE_PAGE = 50
TIMELINE_FILTERS = [("", "Everything"), ("people", "Conversations"), ("qbr", "QBRs"), ("system", "System events")]
TIMELINE_KIND_COOKIE = "csp_timeline_kind"  # the user's last timeline filter, the default next time
TIMELINE_KIND_MAX_AGE = 365 * 24 * 3600


def _timeline_kind(request) -> str:
    """The timeline filter: the one asked for, else the one this user chose last (a cookie), else everything."""
    valid = {key for key, _ in TIMELINE_FILTERS}
    if "kind" in request.GET:
        kind = request.GET["kind"]
    else:
        kind = request.COOKIES.get(TIMELINE_KIND_COOKIE, "")
    return kind if kind in valid else ""


def _remember_timeline_kind(request, response):
    """Remember an explicitly chosen filter for the next visit (per browser user; nothing server-side)."""
    if "kind" in request.GET:
        response.set_cookie(
            TIMELINE_KIND_COOKIE, _timeline_kind(request), max_age=TIMELINE_KIND_MAX_AGE, samesite="Lax",
            httponly=True, secure=request.is_secure(),
        )
    return response


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


def _get_account(pk: int) -> Account:
    try:
        return selectors.account_detail(pk=pk)
    except Account.DoesNotExist as exc:
        raise Http404("No such account") from exc


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
        "bands": _bands(request.tenant),
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


def _bands(tenant) -> list[dict]:
    """The tenant's health bands for filters; the health app provides them once it is configured."""
    try:
        from health.selectors import tenant_bands
    except ImportError:
        return []
    return tenant_bands()


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
            form.add_error(exc.field if exc.field in form.fields else None, str(exc))
        else:
            messages.success(request, f"Account {account.name} created.")
            return redirect("accounts:detail", pk=account.pk)
    return render(request, "accounts/account_form.html", {"form": form, "account": None})


@login_required
@tenant_required
@capability_required(ACCOUNTS_WRITE)
@require_http_methods(["GET", "POST"])
def account_edit(request, pk: int):
    account = _get_account(pk)
    form = AccountForm(request.POST or None, instance=Account.objects.get(pk=pk))
    if request.method == "POST" and form.is_valid():
        try:
            services.account_update(account=account, actor=request.user, **form.cleaned_service_data())
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc))
        else:
            messages.success(request, "Account saved.")
            return redirect("accounts:detail", pk=account.pk)
    return render(request, "accounts/account_form.html", {"form": form, "account": account})


@login_required
@tenant_required
def account_detail(request, pk: int):
    account = _get_account(pk)
    tab = request.GET.get("tab", "timeline")
    context = _detail_context(request, account, tab)
    return _remember_timeline_kind(request, render(request, "accounts/account_detail.html", context))


def _detail_context(request, account: Account, tab: str) -> dict:
    return {
        "account": account,
        "panels": panels_for(request, account),
        "tab": tab,
        **_timeline_page(request, account),
        "timeline_kind": _timeline_kind(request),
        "contacts": selectors.account_contacts(account=account) if tab == "contacts" else None,
        "tasks": selectors.account_tasks(account=account) if tab == "tasks" else None,
        "note_form": NoteForm(initial={"kind": ActivityKind.NOTE}),
        "task_form": TaskForm() if tab == "tasks" else None,
        "contact_form": ContactForm() if tab == "contacts" else None,
        "can_write": member_can(request, ACCOUNTS_WRITE),
        "can_engage": member_can(request, ACCOUNTS_ENGAGE),
        "timeline_filters": TIMELINE_FILTERS,
    }


def _timeline_page(request, account: Account) -> dict:
    """One page of the timeline (newest first) and whether older entries exist: one query (page + 1 row)."""
    try:
        offset = max(0, int(request.GET.get("offset", 0)))
    except ValueError:
        offset = 0
    rows = selectors.account_timeline_grouped(
        account=account, kind=_timeline_kind(request), limit=TIMELINE_PAGE + 1, offset=offset
    )
    return {
        "timeline": rows[:TIMELINE_PAGE],
        "timeline_older_offset": offset + TIMELINE_PAGE if len(rows) > TIMELINE_PAGE else None,
        "timeline_newer_offset": max(0, offset - TIMELINE_PAGE) if offset else None,
    }


@login_required
@tenant_required
@require_http_methods(["GET", "POST"])
def account_timeline(request, pk: int):
    """The timeline tab; POST adds a note, call, meeting, email or QBR (HTMX swaps the tab)."""
    account = _get_account(pk)
    form = NoteForm(request.POST or None)
    if request.method == "POST":
        if not member_can(request, ACCOUNTS_ENGAGE):
            raise PermissionDenied("Your role may not add to this account's timeline or tasks.")
        if form.is_valid():
            services.activity_record(
                account=account, kind=form.cleaned_data["kind"], subject=form.cleaned_data["subject"],
                body=form.cleaned_data["body"], author=request.user,
            )
            if not request.htmx:  # without JavaScript: post/redirect/get
                return redirect(f"{account_url(account)}?tab=timeline")
            form = NoteForm(initial={"kind": form.cleaned_data["kind"]})
    context = _detail_context(request, account, "timeline") | {"note_form": form}
    if request.htmx:
        return _remember_timeline_kind(request, render(request, "accounts/account_detail.html#timeline", context))
    return _remember_timeline_kind(request, render(request, "accounts/account_detail.html", context))


@login_required
@tenant_required
@require_http_methods(["GET", "POST"])
def account_contacts(request, pk: int):
    account = _get_account(pk)
    form = ContactForm(request.POST or None)
    if request.method == "POST":
        if not member_can(request, ACCOUNTS_WRITE):
            raise PermissionDenied("Your role may not edit contacts.")
        if form.is_valid():
            try:
                services.contact_create(account=Account.objects.get(pk=pk), actor=request.user, **form.cleaned_data)
            except DomainError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, str(exc))
            else:
                if not request.htmx:  # without JavaScript: post/redirect/get
                    return redirect(f"{account_url(account)}?tab=contacts")
                form = ContactForm()
                account = _get_account(pk)  # fresh counts for the tab labels (swapped out of band)
    context = _detail_context(request, account, "contacts") | {"contact_form": form}
    if request.htmx:
        return render(request, "accounts/account_detail.html#contacts", context)
    return render(request, "accounts/account_detail.html", context)


@login_required
@tenant_required
@capability_required(ACCOUNTS_WRITE)
@require_http_methods(["GET", "POST"])
def contact_edit(request, pk: int, contact_pk: int):
    account = _get_account(pk)
    contact = Contact.objects.filter(account=account, pk=contact_pk).first()
    if contact is None:
        raise Http404
    form = ContactForm(request.POST or None, instance=Contact.objects.get(pk=contact.pk))
    if request.method == "POST" and form.is_valid():
        try:
            services.contact_update(contact=contact, actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc))
        else:
            messages.success(request, f"{contact.name} saved.")
            return redirect(f"{account_url(account)}?tab=contacts")
    return render(request, "accounts/contact_form.html", {"form": form, "account": account, "contact": contact})


@login_required
@tenant_required
@require_http_methods(["GET", "POST"])
def account_tasks(request, pk: int):
    account = _get_account(pk)
    form = TaskForm(request.POST or None)
    if request.method == "POST":
        if not member_can(request, ACCOUNTS_ENGAGE):
            raise PermissionDenied("Your role may not add to this account's timeline or tasks.")
        if form.is_valid():
            services.task_create(account=account, actor=request.user, **form.cleaned_data)
            if not request.htmx:  # without JavaScript: post/redirect/get
                return redirect(f"{account_url(account)}?tab=tasks")
            form = TaskForm()
            account = _get_account(pk)  # fresh counts for the tab labels (swapped out of band)
    context = _detail_context(request, account, "tasks") | {"task_form": form}
    if request.htmx:
        return render(request, "accounts/account_detail.html#tasks", context)
    return render(request, "accounts/account_detail.html", context)


@login_required
@tenant_required
@require_POST
def task_status(request, pk: int):
    try:
        task = selectors.task_get(pk=pk)
    except Task.DoesNotExist as exc:
        raise Http404 from exc
    if not member_can(request, ACCOUNTS_ENGAGE):
        raise PermissionDenied("Your role may not change tasks.")
    status = request.POST.get("status", TaskStatus.DONE)
    try:
        services.task_set_status(task=task, status=status, actor=request.user)
    except DomainError as exc:
        return HttpResponse(str(exc), status=400)
    if request.htmx:
        show_account = request.POST.get("show_account") == "1"
        context = {"task": task, "show_account": show_account}
        if not show_account:  # on the account 360 page: its tab counts and side panel follow, out of band
            context["oob_account"] = _get_account(task.account_id)
        return render(request, "accounts/_task_row.html", context)
    return redirect(safe_next(request) or "accounts:my_tasks")


@login_required
@tenant_required
def my_tasks(request):
    status = request.GET.get("status", TaskStatus.OPEN)
    tasks = selectors.my_tasks(user=request.user, status=status if status != "all" else "")
    page = Paginator(tasks, PAGE_SIZE).get_page(request.GET.get("page"))
    extra_sections = _extra_task_sections(request)
    return render(
        request, "accounts/my_tasks.html", {"page": page, "status": status, "extra_sections": extra_sections}
    )


def _extra_task_sections(request) -> list:
    """Other apps' work for this user (e.g. onboarding plan tasks), each a (title, template, context)."""
    sections = []
    try:
        from onboarding.selectors import my_task_section
    except ImportError:
        return sections
    section = my_task_section(user=request.user)
    if section:
        sections.append(section)
    return sections


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
