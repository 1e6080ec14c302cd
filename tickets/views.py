"""Support pages: the queue (by next breach, filters, saved views, claim, bulk assign, live refresh),
the ticket page (conversation, SLA panel, transitions, properties, account, KB suggestions, logs),
the new-ticket form and the account 360 tickets panel.

Reads go through ``tickets.selectors`` and writes through ``tickets.services`` (and ``knowledge``
for article links and saved queue views). Another tenant's ticket is a 404; writes need
``tickets.write``.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.humanize.templatetags.humanize import naturaltime
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.text import Truncator
from django.utils.timesince import timesince
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from base.errors import DomainError
from base.http import safe_next
from knowledge import selectors as kb_selectors
from knowledge import services as kb_services
from knowledge.models import Article, TicketArticleLink
from tenancy.decorators import capability_required, member_can, tenant_required
from tenancy.permissions import KB_WRITE, TICKETS_WRITE
from tickets import selectors, services
from tickets.forms import BulkAssignForm, PropertiesForm, ReplyForm, SavedViewForm, TicketCreateForm
from tickets.models import (
    DONE_STATUSES,
    PENDING_SLA_STATES,
    SEVERITY_CHOICES,
    SUPPORT_LEVEL_CHOICES,
    SlaState,
    Ticket,
    TicketAttachment,
    TicketStatus,
)

PAGE_SIZE = 50
SUGGESTED_ARTICLES = 3
QUEUE_REFRESH_SECONDS = 30  # override with settings.TICKETS_QUEUE_REFRESH_SECONDS
# Query parameters that describe the queue (saved views keep these and nothing else).
QUEUE_PARAMS = ("view", "q", "mine", "unassigned", "severity", "status", "level", "breaching", "account", "tag")


def member_view(view):
    """A page for signed-in members of a tenant (times render in its time zone: TenantMiddleware)."""
    return login_required(tenant_required(view))


def ticket_write(view):
    """A POST that changes tickets: a member whose role has ``tickets.write``."""
    return member_view(capability_required(TICKETS_WRITE)(require_POST(view)))


# --------------------------------------------------------------------------- SLA display


def duration_label(seconds: float) -> str:
    """Compact signed duration: ``45m``, ``3h 05m``, ``2d 4h``, ``-20m`` (overdue)."""
    sign = "-" if seconds < 0 else ""
    minutes = int(abs(seconds) // 60)
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{sign}{days}d {hours}h"
    if hours:
        return f"{sign}{hours}h {mins:02d}m"
    return f"{sign}{mins}m"


def live_state(stored: str, due_at: datetime | None, at_risk_at: datetime | None, now: datetime) -> str:
    """The state a target is in *now*: the stored one, moved on if its due/at-risk instant passed
    since the last SLA scan (the scan will log it; the page should not wait for it)."""
    if stored in PENDING_SLA_STATES:
        if due_at is not None and due_at <= now:
            return SlaState.BREACHED
        if stored == SlaState.ON_TRACK and at_risk_at is not None and at_risk_at <= now:
            return SlaState.AT_RISK
    return stored


@dataclass(frozen=True)
class SlaTargetView:
    """One SLA target of a ticket as the page shows it."""

    key: str  # "response" | "resolution"
    label: str
    target_minutes: int | None
    state: str
    due_at: datetime | None
    done_at: datetime | None
    seconds_left: float | None  # to the due instant (negative: overdue); None when paused or done
    paused_minutes_left: float | None  # business minutes left on a paused clock

    @property
    def left_label(self) -> str:
        if self.seconds_left is not None:
            return duration_label(self.seconds_left)
        if self.paused_minutes_left is not None:
            return duration_label(self.paused_minutes_left * 60)
        return ""

    @property
    def state_label(self) -> str:
        return SlaState(self.state).label

    @property
    def target_label(self) -> str:
        return duration_label((self.target_minutes or 0) * 60) if self.target_minutes else "—"


def sla_targets(ticket: Ticket, now: datetime) -> list[SlaTargetView]:
    """First response and resolution targets with their live state and time left."""
    response_state = live_state(ticket.response_state, ticket.response_due_at, ticket.response_at_risk_at, now)
    resolution_state = live_state(
        ticket.resolution_state, ticket.resolution_due_at, ticket.resolution_at_risk_at, now
    )
    paused_left = None
    if resolution_state == SlaState.PAUSED:
        paused_left = max(0.0, (ticket.resolution_target_minutes or 0) - ticket.resolution_elapsed_minutes)

    def left(state: str, due: datetime | None) -> float | None:
        if due is None or state in (SlaState.MET, SlaState.PAUSED):
            return None
        if state == SlaState.BREACHED and ticket.status in DONE_STATUSES:
            return None
        return (due - now).total_seconds()

    return [
        SlaTargetView(
            "response", "First response", ticket.response_target_minutes, response_state, ticket.response_due_at,
            ticket.first_response_at, left(response_state, ticket.response_due_at) if not ticket.first_response_at
            else None, None,
        ),
        SlaTargetView(
            "resolution", "Resolution", ticket.resolution_target_minutes, resolution_state, ticket.resolution_due_at,
            ticket.resolved_at, left(resolution_state, ticket.resolution_due_at), paused_left,
        ),
    ]


def overall_state(targets: list[SlaTargetView], ticket: Ticket) -> str:
    states = {t.state for t in targets}
    if SlaState.BREACHED in states:
        return SlaState.BREACHED
    if ticket.status in DONE_STATUSES:
        return SlaState.MET
    if ticket.status == TicketStatus.PENDING_CUSTOMER:
        return SlaState.PAUSED
    return SlaState.AT_RISK if SlaState.AT_RISK in states else SlaState.ON_TRACK


def _decorate(ticket: Ticket, now: datetime, segment_labels: dict[str, str], rows: QueueRows | None = None) -> Ticket:
    """Attach what a queue row shows: the target the queue order follows, its live state and time left, and
    (``rows``) the row's text prepared once in Python: links, labels and times in the page's time zone."""
    targets = {t.key: t for t in sla_targets(ticket, now)}
    metric = ticket.next_due_metric
    ticket.queue_target = targets.get(metric) if metric else None
    ticket.paused_target = targets["resolution"] if ticket.status == TicketStatus.PENDING_CUSTOMER else None
    ticket.live_sla_state = overall_state(list(targets.values()), ticket)
    ticket.live_sla_label = SlaState(ticket.live_sla_state).label
    ticket.segment_label = segment_labels.get(ticket.account.segment, ticket.account.segment)
    ticket.account.health_label = health_label(ticket.account.health_status)
    if rows is not None:
        rows.prepare(ticket)
    return ticket


class _Plural:
    """``"%(num)d day"`` / ``"%(num)d days"`` by count: the English strings ``naturaltime`` uses, resolved once."""

    def __init__(self, one: str, many: str):
        self.one, self.many = one, many

    def __mod__(self, values: dict) -> str:
        return (self.one if values["num"] == 1 else self.many) % values


_PAST_UNITS = {unit: _Plural(f"%(num)d {unit}", f"%(num)d {unit}s")
               for unit in ("year", "month", "week", "day", "hour", "minute")}


_CHUNKS = ((604800, "week"), (86400, "day"), (3600, "hour"), (60, "minute"))


def opened_ago(value: datetime, now: datetime) -> str:
    """``naturaltime`` of a past instant, same words, without a lazy translation per call (it was the costliest
    part of a queue row). Instants in the future (clock skew) go to ``naturaltime`` itself."""
    if value >= now:
        return naturaltime(value)
    delta = now - value
    if delta.days >= 28:  # months and years: the calendar matters
        return f"{timesince(value, now, time_strings=_PAST_UNITS)} ago"
    if delta.days:  # under 28 days no month has passed: weeks, days, hours, minutes, two adjacent units at most
        left, parts = int(delta.total_seconds()), []
        for size, unit in _CHUNKS:
            count, left = divmod(left, size)
            if count:
                parts.append(f"{count}\xa0{unit}{'s' if count != 1 else ''}")
            elif parts:
                break
            if len(parts) == 2:
                break
        return f"{', '.join(parts)} ago"
    if delta.seconds == 0:
        return "now"
    if delta.seconds < 60:
        return "a second ago" if delta.seconds == 1 else f"{delta.seconds}\xa0seconds ago"
    minutes = delta.seconds // 60
    if minutes < 60:
        return "a minute ago" if minutes == 1 else f"{minutes}\xa0minutes ago"
    hours = minutes // 60
    return "an hour ago" if hours == 1 else f"{hours}\xa0hours ago"


_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_URL_SENTINEL = 987654321987  # stands for the pk in a URL reversed once per page


def _esc(value) -> str:
    """Django's ``escape`` (the same five characters) without its lazy-string wrapper and SafeString: rows are
    marked safe once, whole."""
    return html.escape(str(value))


class QueueRows:
    """The queue's rows, rendered in Python once per request.

    The row markup lives here rather than in ``queue.html``: at 50 rows a page, the template engine spent more
    time on the rows (a few dozen variable lookups, ``if`` tags, filters, ``url`` tags, date formatting in the
    page's time zone and ``naturaltime`` per row) than the database took to find them. What every row shares is
    worked out once (URL patterns from one ``reverse`` each, the time zone, the labels); each value is escaped
    exactly as the template's autoescaping did. ``queue.html``'s ``row`` partial prints ``t.row_html``.
    """

    def __init__(self, now: datetime, *, can_write: bool = False, selected: set[int] | frozenset = frozenset(),
                 query: str = ""):
        self.now = now
        self.tz = timezone.get_current_timezone()
        self.can_write, self.selected, self.query = can_write, selected, _esc(query)
        self.urls = {name: reverse(name, args=[_URL_SENTINEL]) for name in
                     ("tickets:detail", "tickets:claim", "accounts:detail")}
        self.queue_url = reverse("tickets:queue")
        self.channels = dict(Ticket._meta.get_field("channel").choices)
        self.statuses = dict(TicketStatus.choices)

    def url(self, name: str, pk: int) -> str:
        return self.urls[name].replace(str(_URL_SENTINEL), str(pk))

    def local(self, value: datetime) -> datetime:
        return value.astimezone(self.tz)

    def prepare(self, t: Ticket) -> None:
        t.detail_url = self.url("tickets:detail", t.pk)
        t.claim_url = self.url("tickets:claim", t.pk)
        t.account_url = self.url("accounts:detail", t.account_id)
        t.subject_short = t.subject if len(t.subject) <= 80 else Truncator(t.subject).chars(80)
        t.channel_label = self.channels.get(t.channel, t.channel)
        t.status_label = self.statuses.get(t.status, t.status)
        opened = self.local(t.opened_at)
        t.opened_title = f"{opened:%Y-%m-%d %H:%M} {opened.tzname()}"
        t.opened_ago = opened_ago(t.opened_at, self.now)
        due = t.queue_target.due_at if t.queue_target else None
        if due is not None:
            due = self.local(due)
            t.due_title = (f"{_WEEKDAYS[due.weekday()]} {_MONTHS[due.month - 1]} {due.day}, "
                           f"{due:%H:%M} {due.tzname()}")
        else:
            t.due_title = ""
        score = t.account.health_score
        t.health_score_label = "" if score is None else str(
            Decimal(str(score)).quantize(Decimal(1), rounding=ROUND_HALF_UP))
        t.row_html = mark_safe(self.row(t))  # noqa: S308 - every value below is escaped

    def _sla_cell(self, t: Ticket) -> str:
        if t.paused_target:
            return ('<span class="badge blue paused" title="Pending customer: the resolution clock is stopped">'
                    f'Paused</span><div class="muted small">{_esc(t.paused_target.left_label)} left</div>')
        target = t.queue_target
        if target:
            notes = {"breached": " · breached", "at_risk": " · at risk"}.get(target.state, "")
            if t.live_sla_state == SlaState.BREACHED and target.state != SlaState.BREACHED:
                notes += ' · <span class="text-red">response breached</span>'
            return (f'<span class="sla-left {_esc(target.state)}" title="{_esc(target.label)} due '
                    f'{_esc(t.due_title)}">{_esc(target.left_label)}</span>'
                    f'<div class="muted small">{_esc(target.label.lower())}{notes}</div>')
        colour = "red" if t.live_sla_state == SlaState.BREACHED else "green"
        return f'<span class="badge {colour}">{_esc(t.live_sla_label)}</span>'

    def _assignee_cell(self, t: Ticket) -> str:
        if t.assignee:
            return _esc(t.assignee.display_name)
        if self.can_write and t.is_unresolved:
            claim = f"{t.claim_url}?{self.query}"
            return (f'<button class="btn small" type="submit" formaction="{claim}" name="next" '
                    f'value="{self.queue_url}?{self.query}" hx-post="{claim}" hx-vals=\'{{"row": "1"}}\' '
                    f'hx-target="#ticket-row-{t.pk}" hx-swap="outerHTML">Claim</button>')
        return '<span class="muted">—</span>'

    def row(self, t: Ticket) -> str:
        pk, number, account = t.pk, t.number, t.account
        meta = f"{_esc(t.contact.name)} · " if t.contact else ""
        meta += _esc(t.channel_label)
        if t.comment_count:
            meta += f" · {t.comment_count} comment{'' if t.comment_count == 1 else 's'}"
        meta += "".join(f' <span class="tag">{_esc(tag)}</span>' for tag in t.tags or ())
        health = ""
        if account.health_status:
            score = f" {t.health_score_label}" if t.health_score_label else ""
            health = (f'<span class="badge {_esc(account.health_status)}" title="Health '
                      f'{_esc("" if account.health_score is None else account.health_score)}">'
                      f'{_esc(account.health_label)}{score}</span>')
        select = ""
        if self.can_write:
            checked = " checked" if pk in self.selected else ""
            select = (f'<td class="sel"><input type="checkbox" name="ticket" value="{pk}"{checked} '
                      f'aria-label="Select ticket #{number}"></td>')
        breached = " is-breached" if t.live_sla_state == SlaState.BREACHED else ""
        return (
            f'<tr id="ticket-row-{pk}" class="sev{t.severity}{breached}">{select}'
            f'<td class="nowrap sla-cell">{self._sla_cell(t)}</td>'
            f'<td><span class="badge sev sev{t.severity}">Sev{t.severity}</span></td>'
            f'<td class="subject"><a href="{t.detail_url}"><span class="muted">#{number}</span> '
            f'<strong>{_esc(t.subject_short)}</strong></a><div class="muted small">{meta}</div></td>'
            f'<td><a href="{t.account_url}">{_esc(account.name)}</a><div class="small">{health} '
            f'<span class="muted">{_esc(t.segment_label)}</span></div></td>'
            f'<td class="nowrap">{_esc(t.status_label)}</td><td>L{t.support_level}</td>'
            f'<td class="nowrap">{self._assignee_cell(t)}</td>'
            f'<td class="nowrap muted small" title="{_esc(t.opened_title)}">{_esc(t.opened_ago)}</td></tr>'
        )


def health_label(status: str | None) -> str:
    """``at_risk`` -> ``At risk`` (band keys are tenant data; this is only their display)."""
    return (status or "").replace("_", " ").capitalize()


def _segment_labels(tenant) -> dict[str, str]:
    return {row["key"]: row["label"] for row in tenant.get_segment_thresholds()}


# --------------------------------------------------------------------------- queue


def _int_param(value: str | None, low: int, high: int) -> int | None:
    return int(value) if value and value.isdigit() and low <= int(value) <= high else None


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
    labels = _segment_labels(request.tenant)
    selected = {int(v) for v in params.getlist("ticket") if v.isdigit()}
    query, can_write = queue_query(params), member_can(request, TICKETS_WRITE)
    rows = QueueRows(now, can_write=can_write, selected=selected, query=query)
    tickets = [_decorate(t, now, labels, rows) for t in page.object_list]
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
    context = _queue_results_context(request, request.GET, counts) | {
        "counts": counts,
        "views": selectors.QUEUE_VIEWS,
        "statuses": TicketStatus.choices,
        "severities": SEVERITY_CHOICES,
        "levels": SUPPORT_LEVEL_CHOICES,
    }
    return render(request, "tickets/queue.html", context)


def _queue_results_context(request, params, counts: dict[str, int] | None = None) -> dict:
    """The rows plus what the results block around them shows: saved views and the bulk-assign picker."""
    context = _queue_context(request, params, counts)
    return context | {
        "saved_views": list(kb_selectors.queue_views(user=request.user)),
        "assignees": list(selectors.assignable_users()) if context["can_write"] else [],
    }


def _get_ticket(pk: int) -> Ticket:
    return selectors.ticket_detail(pk)  # Http404 for another tenant's ticket


@ticket_write
def claim(request, pk: int):
    """The signed-in member takes the ticket; HTMX swaps the queue row."""
    ticket = _get_ticket(pk)
    try:
        services.ticket_claim(ticket=ticket, user=request.user)
    except DomainError as exc:
        if request.htmx:
            return HttpResponse(str(exc), status=exc.status_code)
        messages.error(request, str(exc))
    else:
        if not request.htmx:
            messages.success(request, f"Ticket #{ticket.number} is yours.")
    if request.htmx and request.POST.get("row") == "1":
        ticket = selectors.ticket_queue(filters=selectors.QueueFilters(view="all"), user=request.user).get(pk=pk)
        context = {
            "t": _decorate(ticket, now := timezone.now(), _segment_labels(request.tenant),
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
        count = services.tickets_bulk_assign(
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
            kb_services.queue_view_save(user=request.user, name=form.cleaned_data["name"], query=query)
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
    if not kb_services.queue_view_delete(user=request.user, pk=pk):
        raise Http404("No such saved view")
    messages.success(request, "Saved view deleted.")
    return redirect("tickets:queue")


# --------------------------------------------------------------------------- new ticket


@member_view
@capability_required(TICKETS_WRITE)
@require_http_methods(["GET", "POST"])
def ticket_create(request):
    initial = {}
    if request.GET.get("account", "").isdigit():
        initial["account"] = request.GET["account"]
    form = TicketCreateForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            ticket = services.ticket_create(actor=request.user, **form.service_kwargs())
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc))
        else:
            messages.success(request, f"Ticket #{ticket.number} opened.")
            return redirect("tickets:detail", pk=ticket.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "tickets/ticket_form.html", {"form": form}, status=status)


# --------------------------------------------------------------------------- ticket page


def _detail_context(request, ticket: Ticket, **overrides) -> dict:
    now = timezone.now()
    targets = sla_targets(ticket, now)
    ticket.account.health_label = health_label(ticket.account.health_status)
    sla_state = overall_state(targets, ticket)
    links = list(
        TicketArticleLink.objects.filter(ticket=ticket).select_related("article__category").order_by("created_at", "id")
    )
    linked_ids = {link.article_id for link in links}
    suggested = [
        a for a in kb_selectors.suggested_articles(
            f"{ticket.subject}\n{ticket.description}", limit=SUGGESTED_ARTICLES + len(linked_ids)
        ) if a.pk not in linked_ids
    ][:SUGGESTED_ARTICLES]
    can_write = member_can(request, TICKETS_WRITE)
    context = {
        "ticket": ticket,
        "account": ticket.account,
        "segment_label": _segment_labels(request.tenant).get(ticket.account.segment, ticket.account.segment),
        "comments": list(selectors.ticket_comments(ticket)),
        # Files uploaded to the ticket itself (API); a reply's files show with the reply.
        "ticket_files": [a for a in selectors.ticket_attachments(ticket) if a.comment_id is None],
        "events": selectors.ticket_events(ticket),
        "targets": targets,
        "sla_state": sla_state,
        "sla_state_label": SlaState(sla_state).label,
        "transitions": [(s, TicketStatus(s).label) for s in services.allowed_transitions(ticket)] if can_write else [],
        "account_summary": selectors.account_ticket_summary(ticket.account),
        "links": links,
        "suggested": suggested,
        "reply_form": ReplyForm(),
        "properties_form": PropertiesForm(
            initial={"severity": ticket.severity, "support_level": ticket.support_level, "assignee": ticket.assignee_id}
        ) if can_write else None,
        "can_write": can_write,
        "can_write_kb": member_can(request, KB_WRITE),
        "is_assignee": ticket.assignee_id == request.user.pk,
        "now": now,
    }
    return context | overrides


def _render_detail(request, ticket: Ticket, status: int = 200, **overrides):
    return render(request, "tickets/ticket_detail.html", _detail_context(request, ticket, **overrides), status=status)


@member_view
def ticket_detail(request, pk: int):
    return _render_detail(request, _get_ticket(pk))


def _refuse(request, ticket: Ticket, exc: DomainError):
    """A refused change: the page again, with the reason, and the service's status (400 / 409)."""
    messages.error(request, str(exc))
    return _render_detail(request, _get_ticket(ticket.pk), status=exc.status_code)


@ticket_write
def reply(request, pk: int):
    """A public reply (the first one is the first response; emailed to the customer) or an internal note."""
    ticket = _get_ticket(pk)
    form = ReplyForm(request.POST, request.FILES)
    if not form.is_valid():
        return _render_detail(request, ticket, status=400, reply_form=form)
    try:
        services.ticket_reply(
            ticket=ticket, body=form.cleaned_data["body"], public=form.public, author=request.user,
            attachments=request.FILES.getlist("files"),
        )
    except DomainError as exc:
        form.add_error(None, str(exc))
        return _render_detail(request, _get_ticket(pk), status=exc.status_code, reply_form=form)
    if not form.public:
        messages.success(request, "Internal note added.")
    elif to := services.customer_address(ticket):
        messages.success(request, f"Reply sent to {to}.")
    else:
        messages.success(request, "Reply added. The ticket has no customer email address, so nothing was emailed.")
    return redirect(f"{reverse('tickets:detail', args=[pk])}#conversation-end")


@member_view
@require_GET
def attachment_download(request, pk: int, attachment_pk: int):
    """A ticket's file, for members of the ticket's tenant only (another tenant's ticket or file is a 404)."""
    ticket = _get_ticket(pk)
    attachment = TicketAttachment.objects.filter(pk=attachment_pk, ticket=ticket).first()
    if attachment is None or not attachment.file:
        raise Http404("No such attachment")
    return attachment_response(attachment)


def attachment_response(attachment: TicketAttachment) -> FileResponse:
    """Stream a stored attachment as a download (never rendered inline: uploads are untrusted)."""
    try:
        handle = attachment.file.open("rb")
    except (FileNotFoundError, OSError) as exc:
        raise Http404("The file is missing from storage") from exc
    return FileResponse(handle, as_attachment=True, filename=attachment.filename,
                        content_type=attachment.content_type or "application/octet-stream")


@ticket_write
def transition(request, pk: int):
    ticket = _get_ticket(pk)
    to_status = request.POST.get("status", "")
    try:
        services.ticket_transition(ticket=ticket, to_status=to_status, actor=request.user,
                                   note=request.POST.get("note", "").strip()[:500])
    except DomainError as exc:
        return _refuse(request, ticket, exc)
    messages.success(request, f"Ticket #{ticket.number} is now {TicketStatus(to_status).label.lower()}.")
    return redirect("tickets:detail", pk=pk)


@ticket_write
def update_properties(request, pk: int):
    """Severity (targets recomputed), support level and assignee; only the submitted fields change."""
    ticket = _get_ticket(pk)
    form = PropertiesForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return _render_detail(request, ticket, status=400)
    changes = form.changed_values()
    try:
        services.ticket_update(ticket=ticket, actor=request.user, **changes)
    except DomainError as exc:
        return _refuse(request, ticket, exc)
    messages.success(request, "Ticket updated.")
    return redirect("tickets:detail", pk=pk)


@ticket_write
def escalate(request, pk: int):
    ticket = _get_ticket(pk)
    try:
        ticket = services.ticket_escalate(ticket=ticket, reason=request.POST.get("reason", ""), actor=request.user)
    except DomainError as exc:
        return _refuse(request, ticket, exc)
    messages.success(request, f"Escalated to L{ticket.support_level}.")
    return redirect("tickets:detail", pk=pk)


def _kb_panel(request, ticket: Ticket, status: int = 200, **extra):
    context = _detail_context(request, ticket) | extra
    return render(request, "tickets/ticket_detail.html#kb", context, status=status)


@ticket_write
def link_article(request, pk: int):
    """Link a published knowledge-base article to the ticket (HTMX swaps the KB panel)."""
    ticket = _get_ticket(pk)
    article_id = request.POST.get("article", "")
    article = Article.objects.filter(pk=int(article_id)).first() if article_id.isdigit() else None
    if article is None:
        raise Http404("No such article")
    try:
        kb_services.article_link_ticket(article=article, ticket=ticket, actor=request.user)
    except DomainError as exc:
        if request.htmx:
            return _kb_panel(request, ticket, status=exc.status_code, kb_error=str(exc))
        return _refuse(request, ticket, exc)
    if request.htmx:
        return _kb_panel(request, ticket)
    messages.success(request, f"Linked “{article.title}”.")
    return redirect("tickets:detail", pk=pk)


@ticket_write
def unlink_article(request, pk: int, article_pk: int):
    ticket = _get_ticket(pk)
    article = Article.objects.filter(pk=article_pk).first()
    if article is None or not kb_services.article_unlink_ticket(article=article, ticket=ticket):
        raise Http404("No such link")
    if request.htmx:
        return _kb_panel(request, ticket)
    return redirect("tickets:detail", pk=pk)


@member_view
@require_GET
def article_search(request, pk: int):
    """Search the knowledge base from the ticket page (HTMX: the results list with link buttons)."""
    ticket = _get_ticket(pk)
    q = request.GET.get("q", "").strip()[:200]
    results = list(kb_selectors.article_search(q=q, headline=False)[:8]) if q else []
    linked = set(TicketArticleLink.objects.filter(ticket=ticket).values_list("article_id", flat=True))
    return render(
        request, "tickets/ticket_detail.html#kb_search_results",
        {"ticket": ticket, "results": results, "linked_ids": linked, "q": q,
         "can_write": member_can(request, TICKETS_WRITE)},
    )


# --------------------------------------------------------------------------- account 360 panel


def account_panel_context(request, account) -> dict:
    """The account 360 "Support tickets" panel: counts and the open tickets (two queries)."""
    summary = selectors.account_ticket_summary(account, recent=0)
    open_tickets = list(
        selectors.ticket_queue(filters=selectors.QueueFilters(view="open", account=account.pk), user=None)[:10]
    )
    now = timezone.now()
    labels = _segment_labels(request.tenant)
    return {
        "account": account,
        "summary": summary,
        "tickets": [_decorate(t, now, labels) for t in open_tickets],
        "can_write": member_can(request, TICKETS_WRITE),
    }

