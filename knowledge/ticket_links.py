"""The knowledge-base panel of a ticket page: link and unlink an article, search to link (HTMX swaps the
panel, ``knowledge/_ticket_panel.html``). Knowledge owns these endpoints and their writes
(``TicketArticleLink`` is its model): the tickets app only reads ``knowledge.selectors`` to show the panel.

The ticket is fetched through the model registry (``apps.get_model("tickets", "Ticket")``), tenant-scoped by
``tenancy.access.access_object``: knowledge does not import the tickets app. Another tenant's ticket or
article is a 404; link and unlink need ``tickets.write`` (working the ticket), as on the ticket page.
"""

from __future__ import annotations

from django.apps import apps
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from base.errors import DomainError, NotFound
from knowledge import selectors, services
from knowledge.models import Article
from tenancy.access import access_object
from tenancy.decorators import capability_required, member_can, tenant_required
from tenancy.permissions import KB_WRITE, TICKETS_WRITE

SEARCH_RESULTS = 8
PANEL = "knowledge/_ticket_panel.html#panel"


def _ticket(request, pk: int):
    return access_object(apps.get_model("tickets", "Ticket"), pk, principal=request.principal)


def _panel(request, ticket, status: int = 200, **extra):
    context = {
        "ticket": ticket, "can_write": member_can(request, TICKETS_WRITE), "can_write_kb": member_can(request, KB_WRITE),
        **selectors.ticket_kb_panel(ticket, text=f"{ticket.subject}\n{ticket.description}"), **extra,
    }
    return render(request, PANEL, context, status=status)


def _done(request, ticket, message: str = "", *, error: DomainError | None = None):
    """HTMX: the panel again (with the error and its status); otherwise back to the ticket page."""
    if request.htmx:
        if error is not None:
            return _panel(request, ticket, status=error.status_code, kb_error=str(error))
        return _panel(request, ticket)
    if error is not None:
        messages.error(request, str(error))
    elif message:
        messages.success(request, message)
    return redirect("tickets:detail", pk=ticket.pk)


def ticket_write_post(view):
    return login_required(tenant_required(capability_required(TICKETS_WRITE)(require_POST(view))))


@ticket_write_post
def ticket_link(request, pk: int):
    """Link a published article (``article`` in the body) to the ticket; linking twice keeps one link."""
    ticket = _ticket(request, pk)
    article = access_object(Article, request.POST.get("article", ""), principal=request.principal)
    try:
        services.article_link_ticket(article=article, ticket=ticket, actor=request.user)
    except DomainError as exc:
        return _done(request, ticket, error=exc)
    return _done(request, ticket, f"Linked “{article.title}”.")


@ticket_write_post
def ticket_unlink(request, pk: int, article_pk: int):
    ticket = _ticket(request, pk)
    article = access_object(Article, article_pk, principal=request.principal)
    if not services.article_unlink_ticket(article=article, ticket=ticket):
        raise NotFound("No such link")
    return _done(request, ticket)


@login_required
@tenant_required
@require_GET
def ticket_article_search(request, pk: int):
    """Search the knowledge base from the ticket page (HTMX: the results list with link buttons)."""
    ticket = _ticket(request, pk)
    q = request.GET.get("q", "").strip()[:200]
    results = list(selectors.article_search(q=q, headline=False)[:SEARCH_RESULTS]) if q else []
    return render(
        request, "knowledge/_ticket_panel.html#search_results",
        {"ticket": ticket, "results": results, "linked_ids": selectors.linked_article_ids(ticket), "q": q,
         "can_write": member_can(request, TICKETS_WRITE)},
    )
