"""Link resolved demo tickets (seeded before the knowledge base) to the article that best answers them.

It reads tickets and knowledge both, so it lives here, above the domain apps (knowledge does not import
tickets). Called by ``seed_demo`` right after ``knowledge.seed.seed_tenant``.
"""

from __future__ import annotations

from core.seeding import SeedContext
from knowledge.models import TicketArticleLink
from knowledge.selectors import suggested_articles
from tickets.models import DONE_STATUSES, Ticket

# Resolved demo tickets linked to their best-matching article (one search each), and how good a match must be.
LINKED_TICKETS_MAX = 30
LINK_MIN_RANK = 0.02


def link_resolved_tickets(ctx: SeedContext) -> int:
    tickets = list(
        Ticket.objects.filter(status__in=DONE_STATUSES).select_related("assignee").order_by("-resolved_at", "-pk")
        [:LINKED_TICKETS_MAX]
    )
    links = []
    for ticket in tickets:
        best = suggested_articles(f"{ticket.subject}\n{ticket.description}", limit=1, min_rank=LINK_MIN_RANK)
        if best:
            links.append(TicketArticleLink(
                tenant=ctx.tenant, ticket=ticket, article=best[0], linked_by=ticket.assignee,
                created_at=ticket.resolved_at or ticket.updated_at,
            ))
    TicketArticleLink.objects.bulk_create(links, ignore_conflicts=True)
    ctx.progress(f"knowledge base: {len(links)} resolved tickets linked to their best article")
    return len(links)
