"""The support queue page: by next breach, filters and tabs, saved views, claim, bulk assign, live refresh."""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from base.errors import DomainError
from base.http import safe_next
from tenancy.decorators import member_can
from tenancy.permissions import TICKETS_WRITE
from tickets import selectors
from tickets.access import access_ticket
from tickets.forms import BulkAssignForm, SavedViewForm
from tickets.models import SEVERITY_CHOICES, SUPPORT_LEVEL_CHOICES, SlaState, TicketStatus
from tickets.services import assignment, saved_views
from tickets.views.common import member_view, segment_labels, ticket_write
from tickets.views.queue_rows import QueueRows, decorate

PAGE_SIZE = 50
QUEUE_REFRESH_SECONDS = 30  # override with settings.TICKETS_QUEUE_REFRESH_SECONDS
# Query parameters that describe the queue (saved views keep these and nothing else).
QUEUE_PARAMS = ("view", "q", "mine", "unassigned", "severity", "status", "level", "breaching", "account", "tag",
                "assignee", "max_severity", "segment", "age", "opened_from", "opened_to", "resolved_from", "resolved_to", "response",
                "resolution", "decided_from", "decided_to")


def _int_param(value: str | None, low: int, high: int) -> int | None:
    return int(value) if value and value.isdigit() and low <= int(value) <= high else None


def _date_param(value: str | None) -> date | None:
    """A ``YYYY-MM-DD`` day; anything else is no filter (as every queue parameter: unknown values are ignored)."""
    try:
        return date.fromisoformat(value) if value and len(value) == 10 else None
    except ValueError:
        return None


def _choice_param(value: str | None, choices) -> str | None:
    return value if value in choices else None


def queue_filters(params) -> selectors.QueueFilters:
    status = params.get("status") or None
    view = params.get("view") or "open"
    return selectors.QueueFilters(
        mine=params.get("mine") == "1",
        unassigned=params.get("unassigned") == "1",
        severity=_int_param(params.get("severity"), 1, 4),
        status=status if status in TicketStatus.values else None,
        level=_int_param(params.get("level"), 1, 3),
        breaching=params.get("breaching") == "1",
        search=params.get("q", "").strip()[:100],
        view=view if view in selectors.QUEUE_VIEWS else "open",
        account=_int_param(params.get("account"), 1, 2**62),
        tag=(params.get("tag") or "").strip()[:50] or None,
        assignee=_int_param(params.get("assignee"), 1, 2**62),
        max_severity=_int_param(params.get("max_severity"), 1, 4),
        segment=(params.get("segment") or "").strip()[:50] or None,
        age=_choice_param(params.get("age"), selectors.TICKET_AGES),
        opened_from=_date_param(params.get("opened_from")), opened_to=_date_param(params.get("opened_to")),
        resolved_from=_date_param(params.get("resolved_from")), resolved_to=_date_param(params.get("resolved_to")),
        response=_choice_param(params.get("response"), SlaState.values),
        resolution=_choice_param(params.get("resolution"), SlaState.values),
        decided_from=_date_param(params.get("decided_from")), decided_to=_date_param(params.get("decided_to")),
    )


def queue_query(params) -> str:
    """The queue's own query string (filters only: no page, no selection)."""
    kept = params.copy()
    for key in list(kept.keys()):
        if key not in QUEUE_PARAMS or not kept.get(key):
            del kept[key]
    return kept.urlencode()


def _without(params, key: str):
    kept = params.copy()
    kept.pop(key, None)
    return kept


# Plain views whose row count the tab counts already hold (``queue_counts``): the page reuses it rather than
# paginating with a second COUNT over the open tickets.
_COUNTED_VIEWS = {
    selectors.QueueFilters(view="open"): "open",
    selectors.QueueFilters(view="active"): "active",
    selectors.QueueFilters(view="pending"): "pending",
    selectors.QueueFilters(view="open", mine=True): "mine",
    selectors.QueueFilters(view="open", unassigned=True): "unassigned",
    selectors.QueueFilters(view="open", breaching=True): "breaching",
}


def _queue_context(request, params, counts: dict[str, int] | None = None) -> dict:
    filters = queue_filters(params)
    paginator = Paginator(selectors.ticket_queue(filters=filters, user=request.user), PAGE_SIZE)
    known = _COUNTED_VIEWS.get(filters)
    if counts is not None and known is not None:
        paginator.count = counts[known]  # a cached property: the paginator does not count again
    page = paginator.get_page(params.get("page"))
    now = timezone.now()
    labels = segment_labels(request.tenant)
    selected = {int(v) for v in params.getlist("ticket") if v.isdigit()}
    query, can_write = queue_query(params), member_can(request, TICKETS_WRITE)
    rows = QueueRows(now, can_write=can_write, selected=selected, query=query)
    tickets = [decorate(t, now, labels, rows) for t in page.object_list]
    return {
        "filters": filters,
        "page": page,
        "tickets": tickets,
        "selected": selected,
        "query": query,
        "tab_query": queue_query(_without(params, "view")),
        "can_write": can_write,
        "refresh_seconds": getattr(settings, "TICKETS_QUEUE_REFRESH_SECONDS", QUEUE_REFRESH_SECONDS),
        "now": now,
    }


@member_view
@vary_on_headers("HX-Request", "HX-Target")
def queue(request):
    target = request.htmx.target if request.htmx else None
    if target == "queue-rows":  # the live refresh: same filters and page, selection kept
        return render(request, "tickets/queue.html#rows", _queue_context(request, request.GET))
    if target == "queue-results":
        return render(request, "tickets/queue.html#results", _queue_results_context(request, request.GET))
    counts = selectors.queue_counts(user=request.user)
    context = _queue_results_context(request, request.GET, counts)
    filters = context["filters"]
    context |= {
        "counts": counts,
        "views": selectors.QUEUE_VIEWS,
        "severity_options": options_html(SEVERITY_CHOICES, filters.severity),
        "status_options": options_html(TicketStatus.choices, filters.status),
        "level_options": options_html(SUPPORT_LEVEL_CHOICES, filters.level),
        "segment_options": options_html(segment_labels(request.tenant).items(), filters.segment),
        "age_options": options_html(((key, label) for key, (label, _, _) in selectors.TICKET_AGES.items()), filters.age),
        "response_options": options_html(SlaState.choices, filters.response),
        "resolution_options": options_html(SlaState.choices, filters.resolution),
        "assignee_filter_options": options_html(((u.pk, u.display_name) for u in context["assignees"]), filters.assignee),
        "more_filters_open": any(getattr(filters, name) for name in _MORE_FILTERS),
    }
    return render(request, "tickets/queue.html", context)


_MORE_FILTERS = ("assignee", "max_severity", "segment", "age", "opened_from", "opened_to", "resolved_from", "resolved_to", "response",
                 "resolution", "decided_from", "decided_to")


def _queue_results_context(request, params, counts: dict[str, int] | None = None) -> dict:
    """The rows plus what the results block around them shows: saved views and the bulk-assign picker."""
    context = _queue_context(request, params, counts)
    assignees = list(selectors.assignable_users()) if context["can_write"] else []
    me = request.user.pk
    return context | {
        "saved_views": list(selectors.queue_views(user=request.user)),
        "assignees": assignees,
        "assignee_options": format_html_join(
            "", '<option value="{}"{}>{}{}</option>',
            ((u.pk, " selected" if u.pk == me else "", u, " (me)" if u.pk == me else "") for u in assignees),
        ),
    }


def options_html(choices, selected) -> str:
    """A select's ``<option>`` list, built once in Python (the queue renders it on every refresh of the page:
    the template loop's per-option lookups cost more than the rows' query)."""
    return format_html_join(
        "", "{}", ((format_html('<option value="{}"{}>{}</option>', value, " selected" if value == selected
                                else "", label),) for value, label in choices),
    )



@ticket_write
def claim(request, pk: int):
    """The signed-in member takes the ticket; HTMX swaps the queue row."""
    try:
        with transaction.atomic():
            ticket = access_ticket(pk, principal=request.principal, for_write=True)
            assignment.ticket_claim(ticket=ticket, actor=request.user)
    except DomainError as exc:
        if request.htmx:
            return HttpResponse(str(exc), status=exc.status_code)
        messages.error(request, str(exc))
    else:
        if not request.htmx:
            messages.success(request, f"Ticket #{ticket.number} is yours.")
    if request.htmx and request.POST.get("row") == "1":
        ticket = selectors.queue_ticket(pk, user=request.user)
        context = {
            "t": decorate(ticket, now := timezone.now(), segment_labels(request.tenant),
                           QueueRows(now, can_write=True, query=queue_query(request.GET))),
            "selected": set(), "can_write": True, "query": queue_query(request.GET),
        }
        return render(request, "tickets/queue.html#row", context)
    return redirect(safe_next(request, reverse("tickets:detail", args=[pk])))


@ticket_write
def bulk_assign(request):
    """Assign the checked tickets to one member (or unassign); HTMX re-renders the queue in place."""
    form = BulkAssignForm(request.POST)
    if form.is_valid():
        count = assignment.tickets_bulk_assign(
            ticket_ids=form.cleaned_data["ticket"], assignee=form.cleaned_data["assignee"], actor=request.user
        )
        who = form.cleaned_data["assignee"]
        messages.success(request, f"{count} ticket{'s' if count != 1 else ''} "
                                  f"{'assigned to ' + who.display_name if who else 'unassigned'}.")
        status = 200
    else:
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        status = 400
    if request.htmx:
        context = _queue_results_context(request, request.GET) | {"flash_inline": True}
        return render(request, "tickets/queue.html#results", context, status=status)
    return redirect(f"{reverse('tickets:queue')}?{queue_query(request.GET)}")


@member_view
@require_POST
def save_view(request):
    form = SavedViewForm(request.POST)
    query = ""
    if form.is_valid():
        query = queue_query(_query_dict(form.cleaned_data["query"]))
        try:
            saved_views.queue_view_save(actor=request.user, name=form.cleaned_data["name"], query=query)
        except DomainError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, f"View “{form.cleaned_data['name']}” saved.")
    else:
        messages.error(request, "A saved view needs a name (at most 60 characters).")
    return redirect(f"{reverse('tickets:queue')}?{query}")


def _query_dict(query: str) -> QueryDict:
    return QueryDict(query.lstrip("?"))


@member_view
@require_POST
def delete_view(request, pk: int):
    if not saved_views.queue_view_delete(actor=request.user, pk=pk):
        raise Http404("No such saved view")
    messages.success(request, "Saved view deleted.")
    return redirect("tickets:queue")
