"""What every ticket service shares: the tenant's number sequence, the row lock, input checks, the
change-log / timeline record and settling the time-driven SLA transitions due by now."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db import connection

from accounts.models import Account, ActivityKind, Contact
from accounts.services import activity_record
from base.errors import DomainError
from tenancy.context import get_current_tenant
from tenancy.models import Membership, Role, User
from tenancy.permissions import TICKETS_WRITE, role_can
from tickets.models import MAX_SUPPORT_LEVEL, Ticket, TicketChange
from tickets.sla_engine import apply_transitions

MAX_TAGS = 20


def next_ticket_numbers(count: int = 1) -> int:
    """Reserve ``count`` numbers of the tenant's sequence; returns the last one of the block.

    One UPSERT ... RETURNING on the tenant's counter row: concurrent transactions queue on the row
    lock, so numbers are unique and gapless among committed tickets.
    """
    tenant = get_current_tenant()
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO tickets_ticketnumbersequence (tenant_id, last_number) VALUES (%s, %s) "
            "ON CONFLICT (tenant_id) DO UPDATE SET last_number = tickets_ticketnumbersequence.last_number "
            "+ EXCLUDED.last_number RETURNING last_number",
            [tenant.pk, count],
        )
        return cursor.fetchone()[0]


def lock_ticket(ticket: Ticket) -> Ticket:
    """Re-read the ticket under a row lock (every SLA-affecting write holds it; the scan's CAS waits on it)."""
    ticket.refresh_from_db(from_queryset=Ticket.objects.select_for_update(of=("self",)))
    return ticket


def check_tenant(obj: Any, field: str) -> None:
    if obj is not None and obj.tenant_id != get_current_tenant().pk:
        raise DomainError(f"Unknown {field}.", field=field)


def check_member(user: User | None, field: str = "assignee") -> None:
    if user is not None and not Membership.objects.filter(user=user).exists():
        raise DomainError(f"{user.email} is not a member of this tenant.", field=field)


def check_assignee(user: User | None) -> None:
    """A ticket goes only to a member whose role can work tickets (``tickets.write``): never a viewer."""
    if user is None:
        return
    role = Membership.objects.filter(user=user).values_list("role", flat=True).first()
    if role is None:
        raise DomainError(f"{user.email} is not a member of this tenant.", field="assignee")
    if not role_can(role, TICKETS_WRITE):
        raise DomainError(f"{user.display_name} is a {Role(role).label.lower()} and can't work tickets: "
                          "assign a member of the support team.", field="assignee")


def check_contact(contact: Contact | None, account: Account) -> None:
    check_tenant(contact, "contact")
    if contact is not None and contact.account_id != account.pk:
        raise DomainError("This contact belongs to another account.", field="contact")


def check_severity(severity: Any) -> int:
    if isinstance(severity, bool) or not isinstance(severity, int) or not 1 <= severity <= 4:
        raise DomainError("Severity is 1 (critical) to 4 (low).", field="severity")
    return severity


def check_level(level: Any) -> int:
    if isinstance(level, bool) or not isinstance(level, int) or not 1 <= level <= MAX_SUPPORT_LEVEL:
        raise DomainError("Support level is 1 to 3.", field="support_level")
    return level


def clean_tags(tags: Iterable[str] | None) -> list[str]:
    cleaned: list[str] = []
    for tag in tags or ():
        if not isinstance(tag, str) or not tag.strip() or len(tag.strip()) > 50:
            raise DomainError("Tags are non-empty strings of up to 50 characters.", field="tags")
        value = tag.strip().lower()
        if value not in cleaned:
            cleaned.append(value)
    if len(cleaned) > MAX_TAGS:
        raise DomainError(f"At most {MAX_TAGS} tags.", field="tags")
    return cleaned


def show(value: Any) -> Any:
    if isinstance(value, User):
        return value.email
    if isinstance(value, Contact):
        return value.email or value.name
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def record_change(
    ticket: Ticket,
    action: str,
    changes: dict[str, list],
    *,
    actor: User | None,
    actor_label: str = "",
    at: datetime,
    summary: str,
    note: str = "",
    timeline: bool = True,
) -> None:
    """Change log entry (who, what, when) and, for changes, the account timeline entry."""
    TicketChange.objects.create(
        tenant_id=ticket.tenant_id, ticket=ticket, at=at, actor=actor, actor_label=actor_label, action=action,
        changes=changes, note=note,
    )
    if timeline:
        activity_record(
            account=ticket.account, kind=ActivityKind.SYSTEM, subject=f"Ticket #{ticket.number}: {summary}"[:200],
            body=note or ticket.subject, actor=actor, occurred_at=at, source="tickets", ref_type="ticket",
            ref_id=ticket.pk, metadata={"action": action, "changes": changes},
        )


def settle(ticket: Ticket, now: datetime) -> None:
    """Apply the time-driven transitions due by ``now`` (logged once) and re-read the ticket."""
    result = apply_transitions([ticket.pk], now=now)
    if result.event_ids or result.escalated:
        ticket.refresh_from_db()
