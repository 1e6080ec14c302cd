"""The emails tickets send, and their threading with the customer: every email leaves through
``notify`` (the outbox, then the ``tickets.send_email`` task); replies to the customer carry the
ticket's Message-IDs so the answer comes back onto the ticket through email intake."""

from __future__ import annotations

import re
from collections.abc import Iterable
from email.utils import parseaddr

from django.conf import settings as django_settings

from core import outbox
from tenancy.context import get_current_tenant
from tickets.models import Channel, InboundEmail, Ticket, TicketComment


def notify(
    ticket: Ticket, recipients: Iterable[str | None], subject: str, body: str, headers: dict[str, str] | None = None
) -> None:
    """The one place ticket emails leave: the Celery email task, kept in the outbox with the change, so a
    broker outage neither fails the write nor loses the email."""
    emails = sorted({email for email in recipients if email})
    if emails:
        outbox.enqueue("tickets.send_email", args=[ticket.tenant_id, emails, subject, body, headers],
                       tenant_id=ticket.tenant_id)


THREAD_ID = re.compile(r"<?ticket-(\d{1,18})(?:-c\d{1,18})?\.[\w.-]*@[^>\s]+>?")


def mail_domain() -> str:
    address = parseaddr(django_settings.DEFAULT_FROM_EMAIL or "")[1]
    return address.rsplit("@", 1)[1] if "@" in address else "localhost"


def thread_root_id(ticket: Ticket) -> str:
    """The Message-ID the ticket's email thread hangs from (the acknowledgement carries it)."""
    return f"<ticket-{ticket.pk}.{ticket.tenant.slug}@{mail_domain()}>"


def thread_ticket_id(message_id: str) -> int | None:
    """The ticket id named by one of our Message-IDs (``<ticket-12...@domain>``), else None."""
    match = THREAD_ID.fullmatch((message_id or "").strip())
    return int(match.group(1)) if match else None


def customer_address(ticket: Ticket) -> str | None:
    """Where replies go: the ticket's contact, or for an email ticket the address that sent it."""
    if ticket.contact_id is not None and ticket.contact.email:
        return ticket.contact.email
    if ticket.channel == Channel.EMAIL:
        return (
            InboundEmail.objects.filter(ticket=ticket).order_by("received_at", "id")
            .values_list("from_email", flat=True).first()
        )
    return None


def email_customer(ticket: Ticket, comment: TicketComment) -> None:
    """A public reply from the tenant's side goes to the customer, threaded: ``[#N]`` in the subject,
    its own Message-ID, and In-Reply-To / References pointing at the customer's last email and the
    thread root, so the customer's answer comes back onto this ticket through email intake."""
    to = customer_address(ticket)
    if not to:
        return
    root = thread_root_id(ticket)
    inbound = list(
        InboundEmail.objects.filter(ticket=ticket).order_by("-received_at", "-id").values_list("message_id", flat=True)[:5]
    )
    references = [root, *reversed(inbound)]
    headers = {
        "Message-ID": f"<ticket-{ticket.pk}-c{comment.pk}.{ticket.tenant.slug}@{mail_domain()}>",
        "In-Reply-To": inbound[0] if inbound else root,
        "References": " ".join(dict.fromkeys(references)),
    }
    tenant_name = ticket.tenant.name
    body = (
        f"{comment.body}\n\n-- \n{comment.author_name} · {tenant_name} Support\n"
        f"Ticket #{ticket.number}: {ticket.subject}\n"
        f"Reply to this email to answer (keep [#{ticket.number}] in the subject).\n"
    )
    notify(ticket, [to], f"Re: [#{ticket.number}] {ticket.subject}", body, headers)


def acknowledgement(ticket: Ticket, to_email: str) -> None:
    """Email the requester the ticket number, on commit (the root of the ticket's email thread)."""
    notify(
        ticket, [to_email], f"[#{ticket.number}] {ticket.subject}",
        f"Hello,\n\nWe received your request and opened ticket #{ticket.number}: {ticket.subject}.\n"
        f"Reply to this email (keep [#{ticket.number}] in the subject) to add to it.\n\n"
        f"{get_current_tenant().name} Support\n",
        {"Message-ID": thread_root_id(ticket)},
    )
