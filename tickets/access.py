"""The one way ticket pages and endpoints fetch a tenant object (on ``tenancy.access.access_object``):
scoped to the tenant, ``base.errors.NotFound`` (404) for a missing object, another tenant's or a
malformed id; with ``for_write=True`` the role must have ``tickets.write`` (403) and the row is locked
for the caller's ``transaction.atomic()`` block, which holds the write too."""

from __future__ import annotations

from base.errors import NotFound
from tenancy.access import access_object
from tenancy.permissions import TICKETS_WRITE
from tenancy.principal import Principal
from tickets import selectors
from tickets.models import InboundEmail, Ticket, TicketAttachment


def access_ticket(pk, *, principal: Principal | None, for_write: bool = False) -> Ticket:
    """A ticket with what its page shows joined in (account and CSM, contact, assignee, policy)."""
    return access_object(selectors.ticket_detail_queryset(), pk, principal=principal, capability=TICKETS_WRITE,
                         for_write=for_write)


def access_attachment(ticket: Ticket, pk, *, principal: Principal | None) -> TicketAttachment:
    """A file of this ticket (another ticket's file, or a row whose file is gone from the record, is a 404)."""
    attachment = access_object(selectors.ticket_attachments(ticket), pk, principal=principal)
    if not attachment.file:
        raise NotFound("No such attachment")
    return attachment


def access_inbound_email(pk, *, principal: Principal | None, for_write: bool = False) -> InboundEmail:
    """An email received by the tenant (the triage list's rows)."""
    return access_object(InboundEmail.objects.select_related("ticket"), pk, principal=principal,
                         capability=TICKETS_WRITE, for_write=for_write)
