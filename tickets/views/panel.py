"""The account 360 "Support tickets" panel (registered by ``tickets.panels``)."""

from __future__ import annotations

from django.utils import timezone

from tenancy.decorators import member_can
from tenancy.permissions import TICKETS_WRITE
from tickets import selectors
from tickets.views.common import segment_labels
from tickets.views.queue_rows import decorate


def account_panel_context(request, account) -> dict:
    """The account 360 "Support tickets" panel: counts and the open tickets (two queries)."""
    summary = selectors.account_ticket_summary(account, recent=0)
    open_tickets = list(
        selectors.ticket_queue(filters=selectors.QueueFilters(view="open", account=account.pk), user=None)[:10]
    )
    now = timezone.now()
    labels = segment_labels(request.tenant)
    return {
        "account": account,
        "summary": summary,
        "tickets": [decorate(t, now, labels) for t in open_tickets],
        "can_write": member_can(request, TICKETS_WRITE),
    }

