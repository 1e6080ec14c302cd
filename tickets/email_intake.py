"""Email in: ``POST /api/v1/inbound-email/`` (from, to, subject, text, message_id) lands here.

* A known contact's email opens a ticket for the contact's account (channel email, acknowledgement
  with the number sent on commit), or, when the subject carries the number of one of that account's
  tickets (``[#123]``), adds the customer's comment to it (a pending or resolved ticket reopens).
* A member of the tenant whose role works tickets, replying with ``[#123]`` in the subject, adds a public reply.
* Replies thread by their In-Reply-To / References headers first (the Message-IDs of the replies the
  ticket sent, or of an email already on the ticket), then by ``[#123]`` in the subject.
* Anyone else goes to the triage list (``InboundEmail`` with outcome ``triage``), from which a person
  converts the email into a ticket (``triage_convert``) or dismisses it (``triage_dismiss``).
* Idempotent on ``message_id``: the row is inserted first, so a retried or concurrent delivery of the
  same message waits on the unique index and then answers the first delivery's outcome.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from email.utils import parseaddr

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Account, Contact
from accounts.services import contact_create
from base.errors import DomainError, InvalidTransition
from tenancy.models import Membership, User
from tenancy.permissions import TICKETS_WRITE, role_can
from tenancy.selectors import tenant_user_by_email
from tickets.models import Channel, InboundEmail, InboundEmailOutcome, Ticket, TicketStatus
from tickets.services import lifecycle, notify

NUMBER_IN_SUBJECT = re.compile(r"\[#(\d{1,9})\]")
MESSAGE_ID = re.compile(r"<[^<>\s]{1,490}>")
REPLY_PREFIX = re.compile(r"^\s*((re|fw|fwd|aw|sv)\s*:\s*)+", re.IGNORECASE)


@dataclass(frozen=True)
class IntakeResult:
    email: InboundEmail
    duplicate: bool

    @property
    def outcome(self) -> str:
        return self.email.outcome


def parse_sender(raw: str) -> tuple[str, str]:
    """("Name", "email") from "Name <email>" or "email"; DomainError if there is no valid address."""
    name, address = parseaddr(raw or "")
    address = address.strip().lower()
    try:
        validate_email(address)
    except ValidationError as exc:
        raise DomainError(f"{raw!r} is not an email address.", field="from") from exc
    return name.strip(), address


def clean_subject(subject: str) -> str:
    without_number = NUMBER_IN_SUBJECT.sub("", subject or "")
    return REPLY_PREFIX.sub("", without_number).strip() or "(no subject)"


def email_receive(
    *, message_id: str, sender: str, to: str = "", subject: str = "", text: str = "",
    received_at: datetime | None = None, in_reply_to: str = "", references: str = "",
) -> IntakeResult:
    """Process one inbound email (see the module docstring). Safe to call again with the same message_id.
    ``in_reply_to`` / ``references`` (the email's headers) thread a reply onto its ticket."""
    message_id = (message_id or "").strip()
    if not message_id:
        raise DomainError("message_id is required.", field="message_id")
    name, address = parse_sender(sender)
    existing = InboundEmail.objects.select_related("ticket").filter(message_id=message_id).first()
    if existing is not None:
        return IntakeResult(existing, duplicate=True)
    try:
        with transaction.atomic():
            email = InboundEmail.objects.create(
                message_id=message_id[:500], from_email=address, from_name=name[:200], to_email=(to or "")[:500],
                subject=(subject or "")[:500], text=text or "", received_at=received_at or timezone.now(),
                outcome=InboundEmailOutcome.TRIAGE,
            )
            _route(email, thread_ids=_message_ids(in_reply_to) + _message_ids(references)[::-1])
            return IntakeResult(email, duplicate=False)
    except IntegrityError:
        existing = InboundEmail.objects.select_related("ticket").filter(message_id=message_id).first()
        if existing is None:
            raise
        return IntakeResult(existing, duplicate=True)


def _message_ids(header: str) -> list[str]:
    """The ``<...>`` ids of an In-Reply-To or References header (in order)."""
    return MESSAGE_ID.findall(header or "")[:50]


def thread_ticket(thread_ids: list[str]) -> Ticket | None:
    """The ticket an email answers, by its In-Reply-To / References: one of our outgoing Message-IDs
    (``<ticket-ID...@domain>``, the tenant's own tickets only) or an email already on a ticket."""
    for message_id in thread_ids:
        ticket_id = notify.thread_ticket_id(message_id)
        ticket = Ticket.objects.select_related("account").filter(pk=ticket_id).first() if ticket_id else None
        if ticket is None:
            earlier = InboundEmail.objects.filter(message_id=message_id, ticket__isnull=False).first()
            ticket = Ticket.objects.select_related("account").get(pk=earlier.ticket_id) if earlier else None
        if ticket is not None:
            return ticket
    return None


def _route(email: InboundEmail, thread_ids: list[str] = ()) -> None:
    ticket = thread_ticket(list(thread_ids))
    if ticket is None:
        match = NUMBER_IN_SUBJECT.search(email.subject)
        ticket = Ticket.objects.select_related("account").filter(number=int(match.group(1))).first() if match else None
    contact = Contact.objects.select_related("account").filter(email__iexact=email.from_email).first()
    body = email.text.strip() or "(empty message)"
    if contact is not None:
        if ticket is not None and ticket.account_id == contact.account_id and ticket.status != TicketStatus.CLOSED:
            comment = lifecycle.ticket_reply(ticket=ticket, body=body, contact=contact, channel=Channel.EMAIL)
            _done(email, InboundEmailOutcome.COMMENTED, ticket=ticket, comment=comment)
        else:
            ticket = lifecycle.ticket_create(
                account=contact.account, contact=contact, subject=clean_subject(email.subject), description=body,
                channel=Channel.EMAIL, actor_label=f"Email from {email.from_email}", acknowledge=True,
            )
            _done(email, InboundEmailOutcome.CREATED, ticket=ticket)
        return
    member = tenant_user_by_email(email.from_email) if ticket is not None else None
    if member is not None and _can_work_tickets(member) and ticket.status != TicketStatus.CLOSED:
        comment = lifecycle.ticket_reply(ticket=ticket, body=body, actor=member, channel=Channel.EMAIL)
        _done(email, InboundEmailOutcome.COMMENTED, ticket=ticket, comment=comment)
    # Otherwise it stays in triage (outcome set on insert).


def _can_work_tickets(user: User) -> bool:
    """Only a member whose role may reply on tickets answers by email (a viewer's email waits in triage)."""
    role = Membership.objects.filter(user=user).values_list("role", flat=True).first()
    return role is not None and role_can(role, TICKETS_WRITE)


def _done(email: InboundEmail, outcome: str, *, ticket: Ticket, comment=None) -> None:
    email.outcome = outcome
    email.ticket = ticket
    email.comment = comment
    email.save(update_fields=["outcome", "ticket", "comment"])


@transaction.atomic
def triage_convert(
    *, email: InboundEmail, account: Account, contact: Contact | None = None, severity: int = 3,
    actor: User | None = None, actor_label: str = "",
) -> Ticket:
    """Turn a triaged email into a ticket for ``account``. Without ``contact``, the sender becomes a
    contact of the account (so their next emails thread by themselves)."""
    email = InboundEmail.objects.select_for_update().get(pk=email.pk)
    if email.outcome != InboundEmailOutcome.TRIAGE:
        raise InvalidTransition("This email was already triaged.", field="email")
    if contact is None:
        known = Contact.objects.filter(email__iexact=email.from_email).first()
        if known is None:
            contact = contact_create(actor=actor, account=account, email=email.from_email,
                                     name=email.from_name or email.from_email.split("@")[0])
        elif known.account_id == account.pk:
            contact = known
    ticket = lifecycle.ticket_create(
        account=account, contact=contact, subject=clean_subject(email.subject),
        description=email.text.strip() or "(empty message)", severity=severity, channel=Channel.EMAIL,
        opened_at=email.received_at, actor=actor, actor_label=actor_label, acknowledge=True,
    )
    email.outcome = InboundEmailOutcome.TRIAGED
    email.ticket = ticket
    email.save(update_fields=["outcome", "ticket"])
    return ticket


@transaction.atomic
def triage_dismiss(*, email: InboundEmail) -> InboundEmail:
    """Drop a triaged email (spam, out of office...): it leaves the triage list."""
    updated = InboundEmail.objects.filter(pk=email.pk, outcome=InboundEmailOutcome.TRIAGE).update(
        outcome=InboundEmailOutcome.TRIAGED
    )
    if not updated:
        raise InvalidTransition("This email was already triaged.", field="email")
    email.refresh_from_db()
    return email
