"""The ticket page: conversation and reply, SLA panel, transitions, properties, escalation, the account,
KB suggestions (knowledge's panel), the SLA and change logs; file downloads."""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from base.errors import DomainError
from knowledge import selectors as kb_selectors
from tenancy.decorators import member_can
from tenancy.permissions import KB_WRITE, TICKETS_WRITE
from tickets import selectors
from tickets.access import access_attachment, access_ticket
from tickets.forms import PropertiesForm, ReplyForm
from tickets.models import Ticket
from tickets.services import assignment, lifecycle, notify
from tickets.sla_display import health_label, overall_state, sla_targets
from tickets.states import SlaState, TicketStatus, allowed_transitions
from tickets.views.common import attachment_response, member_view, segment_labels, ticket_write


def _detail_context(request, ticket: Ticket, **overrides) -> dict:
    now = timezone.now()
    targets = sla_targets(ticket, now)
    ticket.account.health_label = health_label(ticket.account.health_status)
    sla_state = overall_state(targets, ticket)
    can_write = member_can(request, TICKETS_WRITE)
    context = {
        "ticket": ticket,
        "account": ticket.account,
        "segment_label": segment_labels(request.tenant).get(ticket.account.segment, ticket.account.segment),
        "comments": list(selectors.ticket_comments(ticket)),
        # Files uploaded to the ticket itself (API); a reply's files show with the reply.
        "ticket_files": [a for a in selectors.ticket_attachments(ticket) if a.comment_id is None],
        "events": selectors.ticket_events(ticket),
        "targets": targets,
        "sla_state": sla_state,
        "sla_state_label": SlaState(sla_state).label,
        "transitions": [(s, TicketStatus(s).label) for s in allowed_transitions(ticket.status)] if can_write else [],
        "account_summary": selectors.account_ticket_summary(ticket.account),
        **kb_selectors.ticket_kb_panel(ticket, text=f"{ticket.subject}\n{ticket.description}"),
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
    return _render_detail(request, access_ticket(pk, principal=request.principal))


def _refuse(request, pk: int, exc: DomainError):
    """A refused change (rolled back): the page again, with the reason, and the service's status (400 / 409)."""
    messages.error(request, str(exc))
    return _render_detail(request, access_ticket(pk, principal=request.principal), status=exc.status_code)


@ticket_write
def reply(request, pk: int):
    """A public reply (the first one is the first response; emailed to the customer) or an internal note."""
    form = ReplyForm(request.POST, request.FILES)
    if not form.is_valid():
        return _render_detail(request, access_ticket(pk, principal=request.principal), status=400, reply_form=form)
    try:
        with transaction.atomic():
            ticket = access_ticket(pk, principal=request.principal, for_write=True)
            lifecycle.ticket_reply(
                ticket=ticket, body=form.cleaned_data["body"], public=form.public, actor=request.user,
                attachments=request.FILES.getlist("files"),
            )
    except DomainError as exc:
        form.add_error(None, str(exc))
        return _render_detail(request, access_ticket(pk, principal=request.principal), status=exc.status_code,
                              reply_form=form)
    if not form.public:
        messages.success(request, "Internal note added.")
    elif to := notify.customer_address(ticket):
        messages.success(request, f"Reply sent to {to}.")
    else:
        messages.success(request, "Reply added. The ticket has no customer email address, so nothing was emailed.")
    return redirect(f"{reverse('tickets:detail', args=[pk])}#conversation-end")


@member_view
@require_GET
def attachment_download(request, pk: int, attachment_pk: int):
    """A ticket's file, for members of the ticket's tenant only (another tenant's ticket or file is a 404)."""
    ticket = access_ticket(pk, principal=request.principal)
    return attachment_response(access_attachment(ticket, attachment_pk, principal=request.principal))


@ticket_write
def transition(request, pk: int):
    to_status = request.POST.get("status", "")
    try:
        with transaction.atomic():
            ticket = access_ticket(pk, principal=request.principal, for_write=True)
            lifecycle.ticket_transition(ticket=ticket, to_status=to_status, actor=request.user,
                                        note=request.POST.get("note", "").strip()[:500])
    except DomainError as exc:
        return _refuse(request, pk, exc)
    messages.success(request, f"Ticket #{ticket.number} is now {TicketStatus(to_status).label.lower()}.")
    return redirect("tickets:detail", pk=pk)


@ticket_write
def update_properties(request, pk: int):
    """Severity (targets recomputed), support level and assignee; only the submitted fields change."""
    form = PropertiesForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return _render_detail(request, access_ticket(pk, principal=request.principal), status=400)
    changes = form.changed_values()
    try:
        with transaction.atomic():
            ticket = access_ticket(pk, principal=request.principal, for_write=True)
            lifecycle.ticket_update(ticket=ticket, actor=request.user, **changes)
    except DomainError as exc:
        return _refuse(request, pk, exc)
    messages.success(request, "Ticket updated.")
    return redirect("tickets:detail", pk=pk)


@ticket_write
def escalate(request, pk: int):
    try:
        with transaction.atomic():
            ticket = access_ticket(pk, principal=request.principal, for_write=True)
            ticket = assignment.ticket_escalate(ticket=ticket, reason=request.POST.get("reason", ""),
                                                actor=request.user)
    except DomainError as exc:
        return _refuse(request, pk, exc)
    messages.success(request, f"Escalated to L{ticket.support_level}.")
    return redirect("tickets:detail", pk=pk)
