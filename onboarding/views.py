"""Onboarding pages: the board (every plan on a timeline, metrics), a plan page (tick tasks off inline,
checklists, success criteria, handoff, notes), "My onboarding tasks", template settings, and the
account page's onboarding panel. HTMX swaps return partials of the same templates."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from accounts.models import Account
from base.errors import DomainError
from base.http import safe_next
from onboarding import forms, metrics, selectors, services, timeline
from onboarding.models import (
    HANDOFF_FIELDS,
    CriterionStatus,
    OnboardingPlan,
    OnboardingTemplate,
    PlanStatus,
    PlanTask,
    SuccessCriterion,
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


def _get_plan(pk: int) -> OnboardingPlan:
    try:
        return selectors.plan_get(pk=pk, today=selectors.tenant_today())
    except OnboardingPlan.DoesNotExist as exc:
        raise Http404("No such onboarding plan") from exc


def _get_task(pk: int) -> PlanTask:
    try:
        return selectors.plan_task_get(pk=pk)
    except PlanTask.DoesNotExist as exc:
        raise Http404("No such onboarding task") from exc


def _get_template(pk: int) -> OnboardingTemplate:
    try:
        return selectors.template_get(pk=pk)
    except OnboardingTemplate.DoesNotExist as exc:
        raise Http404("No such template") from exc


def _error(exc: DomainError) -> HttpResponse:
    return HttpResponse(str(exc), status=exc.status_code, content_type="text/plain")


# --------------------------------------------------------------------------- timeline drawing


def _bars(window: timeline.Window, phases, today) -> list[dict]:
    bars = []
    lanes = timeline.assign_lanes((p.start_date, p.due_date) for p in phases)
    for phase, lane in zip(phases, lanes, strict=True):
        left, width = window.bar(phase.start_date, phase.due_date)
        late = timeline.is_overdue(phase.due_date, phase.status, today)
        bars.append({
            "phase": phase, "left": left, "width": width, "lane": lane, "top": lane * LANE_HEIGHT_PX,
            "css": "late" if late else phase.status, "late": late,
        })
    return bars


def _window_for_plans(plans, today) -> timeline.Window:
    spans = []
    for plan in plans:
        phases = list(plan.phases.all())
        end = max([p.due_date for p in phases] + [plan.target_go_live_date])
        spans.append((plan.start_date, end))
    return timeline.window_for(spans, today)


def _axis(window: timeline.Window, today) -> dict:
    """Week ticks and the today marker; ticks that would collide with the "today" label or run off
    the right edge are left out."""
    marker = window.position(today) if window.contains(today) else None
    ticks = [
        {"left": left, "day": day}
        for left, day in timeline.week_ticks(window)
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
    window = timeline.window_for([(plan.start_date, max([p.due_date for p in phases] + [plan.target_go_live_date]))], today, 1)
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
    plan = _get_plan(pk)
    return render(request, "onboarding/plan_detail.html", _plan_context(request, plan))


def _plan_response(request, pk: int, partial: str, **extra):
    """After a write: the partial for HTMX, else back to the plan page."""
    if request.htmx:
        plan = _get_plan(pk)
        return render(request, f"onboarding/plan_detail.html#{partial}", _plan_context(request, plan, **extra))
    return redirect("onboarding:plan", pk=pk)


@login_required
@tenant_required
@require_POST
def task_status(request, pk: int):
    """Tick a task off (or start, block, reopen it). Its owner may always; others need onboarding.write."""
    task = _get_task(pk)
    if not (member_can(request, ONBOARDING_WRITE) or task.owner_id == request.user.pk):
        raise PermissionDenied("Your role may not change onboarding tasks.")
    form = forms.TaskStatusForm(request.POST)
    if not form.is_valid():
        return HttpResponse("Unknown status.", status=400, content_type="text/plain")
    try:
        services.plan_task_set_status(task=task, status=form.cleaned_data["status"], actor=request.user)
    except DomainError as exc:
        return _error(exc)
    if request.POST.get("view") == "my":
        fresh = selectors.plan_task_get(pk=pk)
        fresh.is_late = timeline.is_overdue(fresh.due_date, fresh.status, selectors.tenant_today())
        if request.htmx:
            return render(request, "onboarding/_my_task_row.html", {"task": fresh})
        return redirect(safe_next(request, reverse("onboarding:my_tasks")))
    return _plan_response(request, task.plan_id, "plan_body")


@login_required
@tenant_required
@require_POST
def task_checklist(request, pk: int, index: int):
    task = _get_task(pk)
    if not (member_can(request, ONBOARDING_WRITE) or task.owner_id == request.user.pk):
        raise PermissionDenied("Your role may not change onboarding tasks.")
    try:
        services.plan_task_check_item(task=task, index=index, done=request.POST.get("done") == "1", actor=request.user)
    except DomainError as exc:
        return _error(exc)
    return _plan_response(request, task.plan_id, "plan_body")


def _plan_for_write(pk: int) -> OnboardingPlan:
    try:
        return OnboardingPlan.objects.select_related("account", "account__csm", "owner", "specialist").get(pk=pk)
    except OnboardingPlan.DoesNotExist as exc:
        raise Http404("No such onboarding plan") from exc


@member_post(ONBOARDING_WRITE)
def plan_handoff(request, pk: int):
    plan = _plan_for_write(pk)
    form = forms.HandoffForm(request.POST)
    if form.is_valid():
        try:
            services.plan_update(plan=plan, actor=request.user, handoff=form.cleaned_data)
        except DomainError as exc:
            return _error(exc)
    elif request.htmx:
        return _plan_response(request, pk, "handoff", handoff_form=form, handoff_open=True)
    return _plan_response(request, pk, "handoff")


@member_post(ONBOARDING_WRITE)
def plan_notes(request, pk: int):
    plan = _plan_for_write(pk)
    form = forms.NotesForm(request.POST)
    if form.is_valid():
        services.plan_update(plan=plan, actor=request.user, notes=form.cleaned_data["notes"])
    return _plan_response(request, pk, "notes", notes_saved=form.is_valid())


@member_post(ONBOARDING_WRITE)
def criterion_add(request, pk: int):
    plan = _plan_for_write(pk)
    form = forms.CriterionAddForm(request.POST)
    if form.is_valid():
        services.criterion_add(plan=plan, text=form.cleaned_data["text"], actor=request.user)
        return _plan_response(request, pk, "criteria")
    return _plan_response(request, pk, "criteria", criterion_add_form=form)


@member_post(ONBOARDING_WRITE)
def criterion_update(request, pk: int):
    try:
        criterion = selectors.criterion_get(pk=pk)
    except SuccessCriterion.DoesNotExist as exc:
        raise Http404 from exc
    form = forms.CriterionForm(request.POST)
    if not form.is_valid():
        return HttpResponse("Unknown status.", status=400, content_type="text/plain")
    criterion.plan = _plan_for_write(criterion.plan_id)
    services.criterion_update(
        criterion=criterion, text=form.cleaned_data["text"], status=form.cleaned_data["status"], actor=request.user
    )
    return _plan_response(request, criterion.plan_id, "criteria")


@member_post(ONBOARDING_WRITE)
def plan_first_value(request, pk: int):
    plan = _plan_for_write(pk)
    try:
        services.plan_record_first_value(plan=plan, actor=request.user)
    except DomainError as exc:
        return _error(exc)
    messages.success(request, "First value recorded.")
    return redirect("onboarding:plan", pk=pk)


@member_post(ONBOARDING_WRITE)
def plan_go_live(request, pk: int):
    plan = _plan_for_write(pk)
    form = forms.GoLiveForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Go-live not recorded: " + " ".join(e for errs in form.errors.values() for e in errs))
        return redirect("onboarding:plan", pk=pk)
    try:
        services.plan_record_go_live(plan=plan, day=form.cleaned_data.get("date"), actor=request.user)
    except DomainError as exc:
        messages.error(request, f"Go-live not recorded: {exc}")
    else:
        messages.success(request, f"{plan.account.name} is live; the post-launch check-ins are scheduled.")
    return redirect("onboarding:plan", pk=pk)


@member_post(ONBOARDING_WRITE)
def plan_complete(request, pk: int):
    plan = _plan_for_write(pk)
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
    account = Account.objects.filter(pk=int(raw)).select_related("csm").first() if raw.isdigit() else None
    if account is None:
        raise Http404("No such account")
    templates = selectors.template_choices()
    form = forms.PlanStartForm(request.POST or None, templates=templates, today=selectors.tenant_today())
    if request.method == "POST" and form.is_valid():
        template = OnboardingTemplate.objects.filter(pk=form.cleaned_data["template"]).first()
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
    if request.method == "POST":
        form = forms.TemplateForm(request.POST)
        structure = forms.parse_structure(request.POST)
        if form.is_valid():
            data = dict(form.cleaned_data, phases=structure)
            try:
                if template is None:
                    saved = services.template_create(actor=request.user, **data)
                else:
                    if not data["is_default"]:
                        data.pop("is_default")
                    saved = services.template_update(template=template, actor=request.user, **data)
            except DomainError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, str(exc))
            else:
                messages.success(request, f"Template {saved.name} saved.")
                return redirect("onboarding:templates")
    else:
        form = forms.TemplateForm(initial=forms.TemplateForm.initial_for(template) if template else None)
        structure = forms.structure_from_template(template) if template else []
    context = {
        "form": form, "template": template, "phases": forms.with_blank_rows(structure),
        "roles": forms.ROLE_CHOICES, "milestones": forms.MILESTONE_CHOICES,
    }
    return render(request, "onboarding/template_form.html", context, status=400 if form.errors else 200)


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
    return _editor(request, _get_template(pk))


@member_post(ONBOARDING_CONFIGURE)
def template_default(request, pk: int):
    template = _get_template(pk)
    services.template_set_default(template=template)
    messages.success(request, f"{template.name} is now the default template.")
    return redirect("onboarding:templates")


@member_post(ONBOARDING_CONFIGURE)
def template_delete(request, pk: int):
    template = _get_template(pk)
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
