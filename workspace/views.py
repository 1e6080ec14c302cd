"""Pages that compose several apps: the account 360 page (tabs: timeline, contacts, tasks; other apps'
panels through ``accounts.panels``), my tasks (with other apps' sections) and the dashboard.

Objects come through ``accounts.access``; reads through selectors; writes through ``accounts.services``
inside ``transaction.atomic()`` together with the locking ``access_*`` call.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from accounts import selectors, services
from accounts.access import access_account, access_account_360, access_task
from accounts.forms import ContactForm, NoteForm, TaskForm
from accounts.models import Account, ActivityKind, TaskStatus
from accounts.panels import panels_for
from base.errors import DomainError
from base.http import safe_next
from onboarding.selectors import my_task_section
from tenancy.decorators import member_can, tenant_required
from tenancy.permissions import ACCOUNTS_ENGAGE, ACCOUNTS_WRITE
from workspace.dashboard import dashboard_summary
from workspace.landing import landing_url_name

PAGE_SIZE = 50
TIMELINE_PAGE = 50
TIMELINE_FILTERS = [("", "Everything"), ("people", "Conversations"), ("qbr", "QBRs"), ("system", "System events")]
TIMELINE_KIND_COOKIE = "csp_timeline_kind"  # the user's last timeline filter, the default next time
TIMELINE_KIND_MAX_AGE = 365 * 24 * 3600
DETAIL = "workspace/account_detail.html"


@login_required
@tenant_required
def dashboard(request):
    """The site root: the member's landing page. A VP, a CSM and the support roles are sent to their role's
    dashboard (``workspace.landing``); the others see the workspace overview here."""
    target = landing_url_name(request.membership.role)
    if target is not None:
        return redirect(target)
    return overview(request)


@login_required
@tenant_required
def overview(request):
    """The workspace overview (four tiles, my book's accounts): "/" for roles without a dashboard of their
    own, ``/overview/`` for everyone."""
    return render(request, "workspace/dashboard.html", dashboard_summary(user=request.user))


# --- the account 360 page ------------------------------------------------------------------------


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


def _tab_url(account: Account, tab: str) -> str:
    return f"{reverse('accounts:detail', kwargs={'pk': account.pk})}?tab={tab}"


@login_required
@tenant_required
def account_detail(request, pk: int):
    account = access_account_360(pk, principal=request.principal)
    tab = request.GET.get("tab", "timeline")
    context = _detail_context(request, account, tab)
    return _remember_timeline_kind(request, render(request, DETAIL, context))


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


def _tab(request, context: dict, partial: str):
    """The whole page, or (HTMX) only the tab's partial."""
    return render(request, f"{DETAIL}#{partial}" if request.htmx else DETAIL, context)


@login_required
@tenant_required
@require_http_methods(["GET", "POST"])
def account_timeline(request, pk: int):
    """The timeline tab; POST adds a note, call, meeting, email or QBR (HTMX swaps the tab)."""
    account = access_account_360(pk, principal=request.principal)
    form = NoteForm(request.POST or None)
    if request.method == "POST":
        with transaction.atomic():
            locked = access_account(pk, principal=request.principal, for_write=True, capability=ACCOUNTS_ENGAGE)
            if form.is_valid():
                services.activity_record(
                    account=locked, kind=form.cleaned_data["kind"], subject=form.cleaned_data["subject"],
                    body=form.cleaned_data["body"], actor=request.user,
                )
        if form.is_valid():
            if not request.htmx:  # without JavaScript: post/redirect/get
                return redirect(_tab_url(account, "timeline"))
            form = NoteForm(initial={"kind": form.cleaned_data["kind"]})
    context = _detail_context(request, account, "timeline") | {"note_form": form}
    return _remember_timeline_kind(request, _tab(request, context, "timeline"))


@login_required
@tenant_required
@require_http_methods(["GET", "POST"])
def account_contacts(request, pk: int):
    account = access_account_360(pk, principal=request.principal)
    form = ContactForm(request.POST or None)
    if request.method == "POST":
        try:
            with transaction.atomic():
                locked = access_account(pk, principal=request.principal, for_write=True)
                created = form.is_valid() and services.contact_create(
                    account=locked, actor=request.user, **form.cleaned_data
                )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc))
        else:
            if created:
                if not request.htmx:  # without JavaScript: post/redirect/get
                    return redirect(_tab_url(account, "contacts"))
                form = ContactForm()
                account = access_account_360(pk, principal=request.principal)  # fresh counts (swapped out of band)
    context = _detail_context(request, account, "contacts") | {"contact_form": form}
    return _tab(request, context, "contacts")


@login_required
@tenant_required
@require_http_methods(["GET", "POST"])
def account_tasks(request, pk: int):
    account = access_account_360(pk, principal=request.principal)
    form = TaskForm(request.POST or None)
    if request.method == "POST":
        with transaction.atomic():
            locked = access_account(pk, principal=request.principal, for_write=True, capability=ACCOUNTS_ENGAGE)
            created = form.is_valid() and services.task_create(account=locked, actor=request.user, **form.cleaned_data)
        if created:
            if not request.htmx:  # without JavaScript: post/redirect/get
                return redirect(_tab_url(account, "tasks"))
            form = TaskForm()
            account = access_account_360(pk, principal=request.principal)  # fresh counts (swapped out of band)
    context = _detail_context(request, account, "tasks") | {"task_form": form}
    return _tab(request, context, "tasks")


# --- tasks (CTAs) --------------------------------------------------------------------------------


@login_required
@tenant_required
@require_POST
def task_status(request, pk: int):
    status = request.POST.get("status", TaskStatus.DONE)
    try:
        with transaction.atomic():
            task = access_task(pk, principal=request.principal, for_write=True)
            services.task_set_status(task=task, status=status, actor=request.user)
    except DomainError as exc:
        return HttpResponse(str(exc), status=400)
    if request.htmx:
        show_account = request.POST.get("show_account") == "1"
        context = {"task": task, "show_account": show_account}
        if not show_account:  # on the account 360 page: its tab counts and side panel follow, out of band
            context["oob_account"] = access_account_360(task.account_id, principal=request.principal)
        return render(request, "workspace/_task_row.html", context)
    return redirect(safe_next(request) or "accounts:my_tasks")


@login_required
@tenant_required
def my_tasks(request):
    status = request.GET.get("status", TaskStatus.OPEN)
    tasks = selectors.my_tasks(user=request.user, status=status if status != "all" else "")
    page = Paginator(tasks, PAGE_SIZE).get_page(request.GET.get("page"))
    extra_sections = [section for section in [my_task_section(user=request.user)] if section]
    return render(
        request, "workspace/my_tasks.html", {"page": page, "status": status, "extra_sections": extra_sections}
    )
