"""The new-ticket form."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from base.errors import DomainError
from tenancy.decorators import capability_required
from tenancy.permissions import TICKETS_WRITE
from tickets.forms import TicketCreateForm
from tickets.services import lifecycle
from tickets.views.common import member_view


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
            ticket = lifecycle.ticket_create(actor=request.user, **form.service_kwargs())
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc))
        else:
            messages.success(request, f"Ticket #{ticket.number} opened.")
            return redirect("tickets:detail", pk=ticket.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "tickets/ticket_form.html", {"form": form}, status=status)
