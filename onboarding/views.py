"""Onboarding pages: the board (every plan on a timeline, metrics), a plan page (tick tasks off inline,
checklists, success criteria, handoff, notes), "My onboarding tasks", template settings, and the
account page's onboarding panel. HTMX swaps return partials of the same templates."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from accounts.models import Account
from base.errors import DomainError
from base.http import safe_next
from onboarding import forms, gantt, metrics, selectors, services
from onboarding.access import (
    access_account_to_onboard,
    access_criterion,
    access_plan,
    access_plan_task,
    access_template,
)
from onboarding.models import (
    HANDOFF_FIELDS,
    CriterionStatus,
    OnboardingPlan,
    OnboardingTemplate,
    PlanStatus,
    WorkStatus,
)
from tenancy.decorators import capability_required, member_can, tenant_required
from tenancy.permissions import ONBOARDING_CONFIGURE, ONBOARDING_WRITE

BOARD_PAGE_SIZE = 50
LANE_HEIGHT_PX = 8
AXIS_LAST_TICK = 93  # % from the left: a label further right would be cut off
AXIS_TODAY_CLEARANCE = (9, 4)  # % left and right of the centred "today" label kept free of week labels


def member_post(capability: str):
    """A POST-only view for signed-in members whose role grants ``capability``."""

    def decorator(view):
        return login_required(tenant_required(capability_required(capability)(require_POST(view))))

    return decorator


def _error(exc: DomainError) -> HttpResponse:
    return HttpResponse(str(exc), status=exc.status_code, content_type="text/plain")


# --------------------------------------------------------------------------- timeline drawing


def _bars(window: gantt.Window, phases, today) -> list[dict]:
    bars = []
    lanes = gantt.assign_lanes((p.start_date, p.due_date) for p in phases)
    for phase, lane in zip(phases, lanes, strict=True):
        left, width = window.bar(phase.start_date, phase.due_date)
        late = gantt.is_overdue(phase.due_date, phase.status, today)
        bars.append({
            "phase": phase, "left": left, "width": width, "lane": lane, "top": lane * LANE_HEIGHT_PX,
            "css": "late" if late else phase.status, "late": late,
        })
    return bars


def _window_for_plans(plans, today) -> gantt.Window:
    spans = []
    for plan in plans:
        phases = list(plan.phases.all())
        end = max([p.due_date for p in phases] + [plan.target_go_live_date])
        spans.append((plan.start_date, end))
    return gantt.window_for(spans, today)


def _axis(window: gantt.Window, today) -> dict:
    """Week ticks and the today marker; ticks that would collide with the "today" label or run off
    the right edge are left out."""
    marker = window.position(today) if window.contains(today) else None
    ticks = [
        {"left": left, "day": day}
        for left, day in gantt.week_ticks(window)
        if left <= AXIS_LAST_TICK and (marker is None or not -AXIS_TODAY_CLEARANCE[0] < left - marker < AXIS_TODAY_CLEARANCE[1])
    ]
    return {"ticks": ticks, "today": marker}


# --------------------------------------------------------------------------- board


def _board_filters(request) -> selectors.BoardFilters:
    status = request.GET.get("status", PlanStatus.ACTIVE)
    return selectors.BoardFilters(
        owner=request.GET.get("owner", ""),
        segment=request.GET.get("segment", ""),
        status="" if status == "all" else (status if status in PlanStatus.values else PlanStatus.ACTIVE),
    )


@login_required
@tenant_required
@vary_on_headers("HX-Request")
def board(request):
    today = selectors.tenant_today()
    filters = _board_filters(request)
    page = Paginator(selectors.plan_list(today=today, filters=filters, user=request.user), BOARD_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    plans = selectors.annotate_schedule(page.object_list, today)
    window = _window_for_plans(plans, today)
    rows = []
    for plan in plans:
        bars = _bars(window, list(plan.phases.all()), today)
        lanes = max((b["lane"] for b in bars), default=0) + 1
        rows.append({"plan": plan, "bars": bars, "height": lanes * LANE_HEIGHT_PX + 4})
    params = request.GET.copy()
    params.pop("page", None)
    context = {
        "page": page, "rows": rows, "filters": filters, "axis": _axis(window, today), "today": today,
        "query": params.urlencode(), "status_param": request.GET.get("status", PlanStatus.ACTIVE),
        "schedule_labels": metrics.SCHEDULE_LABELS,
    }
    if request.htmx and request.htmx.target == "board-results":
        return render(request, "onboarding/board.html#results", context)
    context |= {
        "metrics": selectors.board_metrics(),
        "owners": selectors.plan_owner_choices(),
        "segments": request.tenant.get_segment_thresholds(),
        "can_configure": member_can(request, ONBOARDING_CONFIGURE),
    }
    return render(request, "onboarding/board.html", context)


# --------------------------------------------------------------------------- plan page


def _plan_context(request, plan: OnboardingPlan, **extra) -> dict:
    today = selectors.tenant_today()
    phases = list(plan.phases.all())
    window = gantt.window_for([(plan.start_date, max([p.due_date for p in phases] + [plan.target_go_live_date]))], today, 1)
    can_write = member_can(request, ONBOARDING_WRITE) and plan.status == PlanStatus.ACTIVE
    context = {
        "plan": plan, "today": today, "can_write": can_write, "bars": _bars(window, phases, today),
        "axis": _axis(window, today), "statuses": WorkStatus.choices, "criterion_statuses": CriterionStatus.choices,
        "handoff_rows": [(key, label, (plan.handoff or {}).get(key, "")) for key, label in HANDOFF_FIELDS.items()],
        "handoff_form": forms.HandoffForm(initial=plan.handoff or {}),
        "notes_form": forms.NotesForm(initial={"notes": plan.notes}),
        "criterion_add_form": forms.CriterionAddForm(),
        "schedule_label": metrics.SCHEDULE_LABELS.get(plan.schedule, plan.schedule),
        "can_edit_people": member_can(request, ONBOARDING_WRITE),
        "can_record_go_live": member_can(request, ONBOARDING_WRITE) and plan.go_live_date is None
        and plan.status != PlanStatus.CANCELLED,
    }
    return context | extra


@login_required
@tenant_required
def plan_detail(request, pk: int):
    plan = access_plan(pk, principal=request.principal)
    return render(request, "onboarding/plan_detail.html", _plan_context(request, plan))


def _plan_response(request, pk: int, partial: str, **extra):
    """After a write: the partial for HTMX, else back to the plan page."""
    if request.htmx:
        plan = access_plan(pk, principal=request.principal)
        return render(request, f"onboarding/plan_detail.html#{partial}", _plan_context(request, plan, **extra))
    return redirect("onboarding:plan", pk=pk)


@login_required
@tenant_required
@require_POST
def task_status(request, pk: int):
    """Tick a task off (or start, block, reopen it). Its owner may always; others need onboarding.write."""
    form = forms.TaskStatusForm(request.POST)
    try:
        with transaction.atomic():
            task = access_plan_task(pk, principal=request.principal, for_write=True)
            if not form.is_valid():
                return HttpResponse("Unknown status.", status=400, content_type="text/plain")
            services.plan_task_set_status(task=task, status=form.cleaned_data["status"], actor=request.user)
    except DomainError as exc:
        return _error(exc)
    if request.POST.get("view") == "my":
        fresh = selectors.my_task_row(pk=pk)
        if request.htmx:
            return render(request, "onboarding/_my_task_row.html", {"task": fresh})
        return redirect(safe_next(request, reverse("onboarding:my_tasks")))
    return _plan_response(request, task.plan_id, "plan_body")


@login_required
@tenant_required
@require_POST
def task_checklist(request, pk: int, index: int):
    try:
        with transaction.atomic():
            task = access_plan_task(pk, principal=request.principal, for_write=True)
            services.plan_task_check_item(
                task=task, index=index, done=request.POST.get("done") == "1", actor=request.user
            )
    except DomainError as exc:
        return _error(exc)
    return _plan_response(request, task.plan_id, "plan_body")


@member_post(ONBOARDING_WRITE)
def plan_handoff(request, pk: int):
    form = forms.HandoffForm(request.POST)
    try:
        with transaction.atomic():
            plan = access_plan(pk, principal=request.principal, for_write=True)
            if form.is_valid():
                services.plan_update(plan=plan, actor=request.user, handoff=form.cleaned_data)
    except DomainError as exc:
        return _error(exc)
    if not form.is_valid() and request.htmx:
        return _plan_response(request, pk, "handoff", handoff_form=form, handoff_open=True)
    return _plan_response(request, pk, "handoff")


@member_post(ONBOARDING_WRITE)
def plan_notes(request, pk: int):
    with transaction.atomic():
        plan = access_plan(pk, principal=request.principal, for_write=True)
        form = forms.NotesForm(request.POST)
        if form.is_valid():
            services.plan_update(plan=plan, actor=request.user, notes=form.cleaned_data["notes"])
    return _plan_response(request, pk, "notes", notes_saved=form.is_valid())


@member_post(ONBOARDING_WRITE)
def criterion_add(request, pk: int):
    form = forms.CriterionAddForm(request.POST)
    with transaction.atomic():
        plan = access_plan(pk, principal=request.principal, for_write=True)
        if form.is_valid():
            services.criterion_add(plan=plan, text=form.cleaned_data["text"], actor=request.user)
    if form.is_valid():
        return _plan_response(request, pk, "criteria")
    return _plan_response(request, pk, "criteria", criterion_add_form=form)


@member_post(ONBOARDING_WRITE)
def criterion_update(request, pk: int):
    form = forms.CriterionForm(request.POST)
    with transaction.atomic():
        criterion = access_criterion(pk, principal=request.principal, for_write=True)
        if not form.is_valid():
            return HttpResponse("Unknown status.", status=400, content_type="text/plain")
        services.criterion_update(
            criterion=criterion, text=form.cleaned_data["text"], status=form.cleaned_data["status"], actor=request.user
        )
    return _plan_response(request, criterion.plan_id, "criteria")


@member_post(ONBOARDING_WRITE)
def plan_first_value(request, pk: int):
    try:
        with transaction.atomic():
            plan = access_plan(pk, principal=request.principal, for_write=True)
            services.plan_record_first_value(plan=plan, actor=request.user)
    except DomainError as exc:
        return _error(exc)
    messages.success(request, "First value recorded.")
    return redirect("onboarding:plan", pk=pk)


@member_post(ONBOARDING_WRITE)
def plan_go_live(request, pk: int):
    form = forms.GoLiveForm(request.POST)
    try:
        with transaction.atomic():
            plan = access_plan(pk, principal=request.principal, for_write=True)
            if not form.is_valid():
                errors = " ".join(e for errs in form.errors.values() for e in errs)
                messages.error(request, f"Go-live not recorded: {errors}")
                return redirect("onboarding:plan", pk=pk)
            services.plan_record_go_live(plan=plan, day=form.cleaned_data.get("date"), actor=request.user)
    except DomainError as exc:
        messages.error(request, f"Go-live not recorded: {exc}")
    else:
        messages.success(request, f"{plan.account.name} is live; the post-launch check-ins are scheduled.")
    return redirect("onboarding:plan", pk=pk)


@member_post(ONBOARDING_WRITE)
def plan_complete(request, pk: int):
    with transaction.atomic():
        plan = access_plan(pk, principal=request.principal, for_write=True)
        services.plan_complete(plan=plan, actor=request.user)
    live = "" if plan.go_live_date else " Go-live is not recorded yet: record it when the account goes live."
    messages.success(request, f"Onboarding of {plan.account.name} completed; the account moved to adoption.{live}")
    return redirect("onboarding:plan", pk=pk)


@login_required
@tenant_required
@capability_required(ONBOARDING_WRITE)
@require_http_methods(["GET", "POST"])
def plan_start(request):
    """Start onboarding an account (the account page's panel posts here)."""
    raw = request.POST.get("account") or request.GET.get("account") or ""
    account = access_account_to_onboard(raw, principal=request.principal)
    templates = selectors.template_choices()
    form = forms.PlanStartForm(request.POST or None, templates=templates, today=selectors.tenant_today())
    if request.method == "POST" and form.is_valid():
        template = selectors.template_find(pk=form.cleaned_data["template"])
        try:
            plan = services.plan_create(
                account=account, start_date=form.cleaned_data["start_date"], template=template, actor=request.user
            )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc))
        else:
            messages.success(request, f"Onboarding started for {account.name}.")
            return redirect("onboarding:plan", pk=plan.pk)
    return render(request, "onboarding/plan_start.html", {"form": form, "account": account, "templates": templates})


# --------------------------------------------------------------------------- my tasks


@login_required
@tenant_required
def my_tasks(request):
    section = selectors.my_task_section(user=request.user)
    return render(request, "onboarding/my_tasks.html", {"section": section})


# --------------------------------------------------------------------------- templates (settings)


@login_required
@tenant_required
def templates(request):
    return render(
        request, "onboarding/templates.html",
        {"templates": list(selectors.template_list()), "can_configure": member_can(request, ONBOARDING_CONFIGURE)},
    )


def _editor(request, template: OnboardingTemplate | None):
    """The template editor: the template's fields and its phases (a formset), each with its tasks (a
    nested formset). The services validate the structure as they do the API's."""
    data = request.POST if request.method == "POST" else None
    form = forms.TemplateForm(data, initial=forms.TemplateForm.initial_for(template) if template else None)
    phases = forms.phase_formset(data, template=template)
    if data is not None and form.is_valid() and phases.is_valid():
        try:
            saved = _template_save(request, template, dict(form.cleaned_data, phases=phases.structure()))
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc))
        else:
            messages.success(request, f"Template {saved.name} saved.")
            return redirect("onboarding:templates")
    context = {"form": form, "template": template, "phases": phases}
    return render(request, "onboarding/template_form.html", context, status=400 if data is not None else 200)


def _template_save(request, template: OnboardingTemplate | None, data: dict) -> OnboardingTemplate:
    if template is None:
        return services.template_create(actor=request.user, **data)
    if not data["is_default"]:
        data.pop("is_default")
    with transaction.atomic():
        locked = access_template(template.pk, principal=request.principal, for_write=True)
        return services.template_update(template=locked, actor=request.user, **data)


@login_required
@tenant_required
@capability_required(ONBOARDING_CONFIGURE)
@require_http_methods(["GET", "POST"])
def template_create(request):
    return _editor(request, None)


@login_required
@tenant_required
@capability_required(ONBOARDING_CONFIGURE)
@require_http_methods(["GET", "POST"])
def template_edit(request, pk: int):
    return _editor(request, access_template(pk, principal=request.principal))


@member_post(ONBOARDING_CONFIGURE)
def template_default(request, pk: int):
    with transaction.atomic():
        template = access_template(pk, principal=request.principal, for_write=True)
        services.template_set_default(template=template)
    messages.success(request, f"{template.name} is now the default template.")
    return redirect("onboarding:templates")


@member_post(ONBOARDING_CONFIGURE)
def template_delete(request, pk: int):
    with transaction.atomic():
        template = access_template(pk, principal=request.principal, for_write=True)
        services.template_delete(template=template)
    messages.success(request, f"Template {template.name} deleted; plans made from it keep their tasks.")
    return redirect("onboarding:templates")


# --------------------------------------------------------------------------- account page panel


def account_panel_context(request, account: Account) -> dict:
    """The account page's onboarding panel: the plan's progress, or a "start onboarding" form (2 queries)."""
    today = selectors.tenant_today()
    plan = selectors.plan_for_account(account_id=account.pk)
    if plan is not None:
        plan.schedule = metrics.schedule_status(selectors.facts_of(plan), today)
    can_write = member_can(request, ONBOARDING_WRITE)
    needs_form = can_write and (plan is None or plan.status != PlanStatus.ACTIVE)
    return {
        "account": account, "plan": plan, "can_write": can_write, "today": today,
        "schedule_label": metrics.SCHEDULE_LABELS.get(getattr(plan, "schedule", ""), ""),
        "templates": selectors.template_choices() if needs_form else [],
        "start_url": reverse("onboarding:plan_start"),
    }
