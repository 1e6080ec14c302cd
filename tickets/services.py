"""Every write on tickets. Pages, API, tasks and commands call these (keyword-only arguments).

Who acts: ``actor`` (a ``User``, the tenant side) and/or ``actor_label`` (e.g. "API key: CRM"), or a
``contact`` for the customer speaking. Each change is written to the ticket's change log
(``TicketChange``) and the account timeline (source "tickets", ref_type "ticket"); SLA transitions
go to the append-only SLA log (``TicketSlaEvent``). Errors: ``base.errors.DomainError`` (400,
``field`` names the input) and ``InvalidTransition`` (409).

For the pages:

* ``ticket_create(*, account, subject, description="", severity=3, channel="portal", contact=None,
  assignee=None, support_level=1, tags=(), opened_at=None, actor=None, actor_label="",
  acknowledge=False) -> Ticket``
* ``ticket_update(*, ticket, actor=None, actor_label="", **fields) -> Ticket`` (subject, description,
  channel, tags, contact, severity, assignee, support_level, status: each routed to the service below)
* ``ticket_reply(*, ticket, body, public=True, author=None, contact=None, channel="portal",
  actor_label="", attachments=()) -> TicketComment`` (tenant side: ``author``; customer: ``contact``)
* ``ticket_transition(*, ticket, to_status, actor=None, actor_label="") -> Ticket``
  (``ALLOWED_TRANSITIONS``; ``allowed_transitions(ticket)`` lists the targets for buttons)
* ``ticket_assign(*, ticket, assignee, actor=None, actor_label="")``, ``ticket_claim(*, ticket, user)``,
  ``tickets_bulk_assign(*, ticket_ids, assignee, actor=None, actor_label="") -> int``
* ``ticket_set_severity(*, ticket, severity, actor=None, actor_label="")``,
  ``ticket_set_support_level(...)``, ``ticket_escalate(*, ticket, reason="", actor=None, actor_label="")``,
  ``ticket_reapply_sla(*, ticket, actor=None)``
* ``ticket_attach(*, ticket, file, uploaded_by=None, comment=None) -> TicketAttachment``
* configuration: ``sla_policies_replace(*, policies)``, ``business_hours_update(*, timezone, intervals,
  holidays)``, ``support_settings_update(*, at_risk_percent=..., escalate_after_minutes=...)``
* triage: ``triage_convert(*, email, account, contact=None, severity=3, actor=None)`` (in email_intake)
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from email.utils import parseaddr
from typing import Any

from django.conf import settings as django_settings
from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import Account, Activity, ActivityKind, Contact
from accounts.services import activities_record_bulk, activity_record
from base.errors import DomainError, InvalidTransition
from tenancy.context import get_current_tenant
from tenancy.models import Membership, Role, User
from tenancy.permissions import TICKETS_WRITE, role_can
from tickets import sla, sla_engine
from tickets.escalation import escalation_follow_up
from tickets.models import (
    MAX_SUPPORT_LEVEL,
    Channel,
    SlaClock,
    SlaEventKind,
    SlaMetric,
    SlaPolicy,
    SlaState,
    SupportSettings,
    Ticket,
    TicketAttachment,
    TicketChange,
    TicketComment,
    TicketStatus,
)
from tickets.sla_engine import SlaConfig, apply_transitions, load_config, log_sla_events

ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    TicketStatus.NEW: frozenset({TicketStatus.OPEN, TicketStatus.PENDING_CUSTOMER, TicketStatus.RESOLVED}),
    TicketStatus.OPEN: frozenset({TicketStatus.PENDING_CUSTOMER, TicketStatus.RESOLVED}),
    TicketStatus.PENDING_CUSTOMER: frozenset({TicketStatus.OPEN, TicketStatus.RESOLVED}),
    TicketStatus.RESOLVED: frozenset({TicketStatus.CLOSED, TicketStatus.OPEN}),
    TicketStatus.CLOSED: frozenset(),
}
MAX_ATTACHMENT_BYTES = 25 * 1024 * 1024
MAX_TAGS = 20
_PENDING = (SlaState.ON_TRACK, SlaState.AT_RISK)


def allowed_transitions(ticket: Ticket) -> list[str]:
    """Statuses this ticket may move to, in lifecycle order (for buttons)."""
    allowed = ALLOWED_TRANSITIONS.get(ticket.status, frozenset())
    return [value for value in TicketStatus.values if value in allowed]


# --------------------------------------------------------------------------- helpers


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


def _lock(ticket: Ticket) -> Ticket:
    """Re-read the ticket under a row lock (every SLA-affecting write holds it; the scan's CAS waits on it)."""
    ticket.refresh_from_db(from_queryset=Ticket.objects.select_for_update(of=("self",)))
    return ticket


def _check_tenant(obj: Any, field: str) -> None:
    if obj is not None and obj.tenant_id != get_current_tenant().pk:
        raise DomainError(f"Unknown {field}.", field=field)


def _check_member(user: User | None, field: str = "assignee") -> None:
    if user is not None and not Membership.objects.filter(user=user).exists():
        raise DomainError(f"{user.email} is not a member of this tenant.", field=field)


def _check_assignee(user: User | None) -> None:
    """A ticket goes only to a member whose role can work tickets (``tickets.write``): never a viewer."""
    if user is None:
        return
    role = Membership.objects.filter(user=user).values_list("role", flat=True).first()
    if role is None:
        raise DomainError(f"{user.email} is not a member of this tenant.", field="assignee")
    if not role_can(role, TICKETS_WRITE):
        raise DomainError(f"{user.display_name} is a {Role(role).label.lower()} and can't work tickets: "
                          "assign a member of the support team.", field="assignee")


def _check_contact(contact: Contact | None, account: Account) -> None:
    _check_tenant(contact, "contact")
    if contact is not None and contact.account_id != account.pk:
        raise DomainError("This contact belongs to another account.", field="contact")


def _check_severity(severity: Any) -> int:
    if isinstance(severity, bool) or not isinstance(severity, int) or not 1 <= severity <= 4:
        raise DomainError("Severity is 1 (critical) to 4 (low).", field="severity")
    return severity


def _check_level(level: Any) -> int:
    if isinstance(level, bool) or not isinstance(level, int) or not 1 <= level <= MAX_SUPPORT_LEVEL:
        raise DomainError("Support level is 1 to 3.", field="support_level")
    return level


def _clean_tags(tags: Iterable[str] | None) -> list[str]:
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


def _show(value: Any) -> Any:
    if isinstance(value, User):
        return value.email
    if isinstance(value, Contact):
        return value.email or value.name
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def _record(
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


def _settle(ticket: Ticket, now: datetime) -> None:
    """Apply the time-driven transitions due by ``now`` (logged once) and re-read the ticket."""
    result = apply_transitions([ticket.pk], now=now)
    if result.event_ids or result.escalated:
        ticket.refresh_from_db()


def _notify(
    ticket: Ticket, recipients: Iterable[str | None], subject: str, body: str, headers: dict[str, str] | None = None
) -> None:
    """The one place ticket emails leave: the Celery email task, kept in the outbox with the change, so a
    broker outage neither fails the write nor loses the email."""
    from core import outbox

    emails = sorted({email for email in recipients if email})
    if emails:
        outbox.enqueue("tickets.send_email", args=[ticket.tenant_id, emails, subject, body, headers],
                       tenant_id=ticket.tenant_id)


# --------------------------------------------------------------------------- email threads with the customer

THREAD_ID = re.compile(r"<?ticket-(\d{1,18})(?:-c\d{1,18})?\.[\w.-]*@[^>\s]+>?")


def _mail_domain() -> str:
    address = parseaddr(django_settings.DEFAULT_FROM_EMAIL or "")[1]
    return address.rsplit("@", 1)[1] if "@" in address else "localhost"


def thread_root_id(ticket: Ticket) -> str:
    """The Message-ID the ticket's email thread hangs from (the acknowledgement carries it)."""
    return f"<ticket-{ticket.pk}.{ticket.tenant.slug}@{_mail_domain()}>"


def thread_ticket_id(message_id: str) -> int | None:
    """The ticket id named by one of our Message-IDs (``<ticket-12...@domain>``), else None."""
    match = THREAD_ID.fullmatch((message_id or "").strip())
    return int(match.group(1)) if match else None


def customer_address(ticket: Ticket) -> str | None:
    """Where replies go: the ticket's contact, or for an email ticket the address that sent it."""
    if ticket.contact_id is not None and ticket.contact.email:
        return ticket.contact.email
    if ticket.channel == Channel.EMAIL:
        from tickets.models import InboundEmail

        return (
            InboundEmail.objects.filter(ticket=ticket).order_by("received_at", "id")
            .values_list("from_email", flat=True).first()
        )
    return None


def _email_customer(ticket: Ticket, comment: TicketComment) -> None:
    """A public reply from the tenant's side goes to the customer, threaded: ``[#N]`` in the subject,
    its own Message-ID, and In-Reply-To / References pointing at the customer's last email and the
    thread root, so the customer's answer comes back onto this ticket through email intake."""
    from tickets.models import InboundEmail

    to = customer_address(ticket)
    if not to:
        return
    root = thread_root_id(ticket)
    inbound = list(
        InboundEmail.objects.filter(ticket=ticket).order_by("-received_at", "-id").values_list("message_id", flat=True)[:5]
    )
    references = [root, *reversed(inbound)]
    headers = {
        "Message-ID": f"<ticket-{ticket.pk}-c{comment.pk}.{ticket.tenant.slug}@{_mail_domain()}>",
        "In-Reply-To": inbound[0] if inbound else root,
        "References": " ".join(dict.fromkeys(references)),
    }
    tenant_name = ticket.tenant.name
    body = (
        f"{comment.body}\n\n-- \n{comment.author_name} · {tenant_name} Support\n"
        f"Ticket #{ticket.number}: {ticket.subject}\n"
        f"Reply to this email to answer (keep [#{ticket.number}] in the subject).\n"
    )
    _notify(ticket, [to], f"Re: [#{ticket.number}] {ticket.subject}", body, headers)


def acknowledgement(ticket: Ticket, to_email: str) -> None:
    """Email the requester the ticket number, on commit (the root of the ticket's email thread)."""
    _notify(
        ticket, [to_email], f"[#{ticket.number}] {ticket.subject}",
        f"Hello,\n\nWe received your request and opened ticket #{ticket.number}: {ticket.subject}.\n"
        f"Reply to this email (keep [#{ticket.number}] in the subject) to add to it.\n\n"
        f"{get_current_tenant().name} Support\n",
        {"Message-ID": thread_root_id(ticket)},
    )


# --------------------------------------------------------------------------- create and update


@transaction.atomic
def ticket_create(
    *,
    account: Account,
    subject: str,
    description: str = "",
    severity: int = 3,
    channel: str = Channel.PORTAL,
    contact: Contact | None = None,
    assignee: User | None = None,
    support_level: int = 1,
    tags: Iterable[str] | None = None,
    opened_at: datetime | None = None,
    actor: User | None = None,
    actor_label: str = "",
    acknowledge: bool = False,
) -> Ticket:
    """Open a ticket: number from the tenant's sequence, SLA targets by (severity, account segment)."""
    tenant = get_current_tenant()
    _check_tenant(account, "account")
    _check_contact(contact, account)
    _check_assignee(assignee)
    if not (subject or "").strip():
        raise DomainError("A ticket needs a subject.", field="subject")
    if channel not in Channel.values:
        raise DomainError(f"Unknown channel {channel!r}.", field="channel")
    now = timezone.now()
    opened_at = opened_at or now
    if opened_at > now + timedelta(minutes=5):
        raise DomainError("opened_at can't be in the future.", field="opened_at")
    config = load_config()
    target = config.target_for(_check_severity(severity), account.segment)
    ticket = Ticket(
        tenant=tenant, account=account, contact=contact, subject=subject.strip()[:300], description=description or "",
        severity=severity, channel=channel, assignee=assignee, support_level=_check_level(support_level),
        tags=_clean_tags(tags), created_by=actor, opened_at=opened_at, updated_at=now,
        status=TicketStatus.OPEN if assignee else TicketStatus.NEW,
    )
    sla_engine.start_ticket_clocks(ticket, target, config, now=now)
    ticket.number = next_ticket_numbers()
    ticket.save()
    log_sla_events(ticket, [(SlaEventKind.APPLIED, SlaMetric.BOTH, None, _target_detail(ticket, target))], at=now)
    _record(
        ticket, "created",
        {"status": [None, ticket.status], "severity": [None, severity], "assignee": [None, _show(assignee)]},
        actor=actor, actor_label=actor_label, at=now, summary=f"opened (Sev{severity}) {ticket.subject}",
    )
    _settle(ticket, now)
    if acknowledge and contact is not None and contact.email:
        acknowledgement(ticket, contact.email)
    return ticket


def _target_detail(ticket: Ticket, target: sla_engine.Target) -> dict[str, Any]:
    return {
        "policy_id": target.policy_id, "severity": target.severity, "segment": target.segment, "clock": target.clock,
        "response_minutes": target.response_minutes, "resolution_minutes": target.resolution_minutes,
        "response_due_at": _show(ticket.response_due_at), "resolution_due_at": _show(ticket.resolution_due_at),
    }


SIMPLE_FIELDS = ("subject", "description", "channel", "tags")


@transaction.atomic
def ticket_update(*, ticket: Ticket, actor: User | None = None, actor_label: str = "", **data: Any) -> Ticket:
    """Patch a ticket; each kind of change goes through its own service (and its own log entry)."""
    unknown = set(data) - {*SIMPLE_FIELDS, "contact", "severity", "assignee", "support_level", "status"}
    if unknown:
        raise DomainError(f"Can't change {', '.join(sorted(unknown))} here.", field=sorted(unknown)[0])
    _lock(ticket)
    # A form sends every field: one equal to the ticket as it was must not undo what an earlier change
    # did on its own (a severity change that escalates must not be followed by "level back to L1").
    current = {"severity": ticket.severity, "support_level": ticket.support_level, "status": ticket.status,
               "assignee": ticket.assignee_id}
    for key, value in current.items():
        if key in data and (data[key].pk if isinstance(data[key], User) else data[key]) == value:
            del data[key]
    now = timezone.now()
    changes: dict[str, list] = {}
    if "subject" in data and not (data["subject"] or "").strip():
        raise DomainError("A ticket needs a subject.", field="subject")
    if "channel" in data and data["channel"] not in Channel.values:
        raise DomainError(f"Unknown channel {data['channel']!r}.", field="channel")
    if "tags" in data:
        data["tags"] = _clean_tags(data["tags"])
    if "contact" in data:
        _check_contact(data["contact"], ticket.account)
    for field in (*SIMPLE_FIELDS, "contact"):
        if field in data and getattr(ticket, field) != data[field]:
            changes[field] = [_show(getattr(ticket, field)), _show(data[field])]
            setattr(ticket, field, data[field])
    if changes:
        ticket.updated_at = now
        ticket.save()
        shown = {k: v for k, v in changes.items() if k != "description"}
        _record(
            ticket, "updated", changes, actor=actor, actor_label=actor_label, at=now,
            summary="updated " + ", ".join(sorted(changes)), timeline=bool(shown),
        )
    kwargs = {"ticket": ticket, "actor": actor, "actor_label": actor_label}
    if "severity" in data:
        ticket_set_severity(severity=data["severity"], **kwargs)
    if "assignee" in data:
        ticket_assign(assignee=data["assignee"], **kwargs)
    if "support_level" in data:
        ticket_set_support_level(support_level=data["support_level"], **kwargs)
    if "status" in data:
        ticket_transition(to_status=data["status"], **kwargs)
    return ticket


# --------------------------------------------------------------------------- SLA-affecting changes


@transaction.atomic
def ticket_set_severity(*, ticket: Ticket, severity: int, actor: User | None = None, actor_label: str = "") -> Ticket:
    """Change severity: targets recomputed from ``opened_at`` (resolution minus paused time); logged."""
    _check_severity(severity)
    _lock(ticket)
    if ticket.severity == severity:
        return ticket
    return _retarget(ticket, severity=severity, actor=actor, actor_label=actor_label, reason="severity")


@transaction.atomic
def ticket_reapply_sla(*, ticket: Ticket, actor: User | None = None, actor_label: str = "") -> Ticket:
    """Re-apply the tenant's current policy (after a policy table or segment change); logged if it differs."""
    _lock(ticket)
    return _retarget(ticket, severity=ticket.severity, actor=actor, actor_label=actor_label, reason="policy")


def _retarget(ticket: Ticket, *, severity: int, actor: User | None, actor_label: str, reason: str) -> Ticket:
    now = timezone.now()
    config = load_config()
    _settle(ticket, now)  # breaches that already happened stand
    target = config.target_for(severity, ticket.account.segment)
    before = {
        "severity": ticket.severity, "sla_policy": ticket.sla_policy_id, "sla_clock": ticket.sla_clock,
        "response_target_minutes": ticket.response_target_minutes,
        "resolution_target_minutes": ticket.resolution_target_minutes,
    }
    old_states = {SlaMetric.RESPONSE: ticket.response_state, SlaMetric.RESOLUTION: ticket.resolution_state}
    ticket.severity = severity
    sla_engine.apply_target(ticket, target, config, now=now)
    after = {
        "severity": ticket.severity, "sla_policy": ticket.sla_policy_id, "sla_clock": ticket.sla_clock,
        "response_target_minutes": ticket.response_target_minutes,
        "resolution_target_minutes": ticket.resolution_target_minutes,
    }
    changes = {key: [before[key], after[key]] for key in before if before[key] != after[key]}
    if not changes:
        return ticket
    ticket.updated_at = now
    ticket.save()
    detail = {**_target_detail(ticket, target), "reason": reason, "changes": changes,
              "response_state": ticket.response_state, "resolution_state": ticket.resolution_state}
    entries = [(SlaEventKind.APPLIED, SlaMetric.BOTH, None, detail)]
    # A completed or paused metric the new target puts past its due: the breach is logged here (the
    # scan only watches running clocks). Breaches logged under the old target stay as history.
    for metric, due in ((SlaMetric.RESPONSE, ticket.response_due_at), (SlaMetric.RESOLUTION, ticket.resolution_due_at)):
        new_state = ticket.response_state if metric == SlaMetric.RESPONSE else ticket.resolution_state
        if new_state == SlaState.BREACHED and old_states[metric] != SlaState.BREACHED:
            entries.append((SlaEventKind.BREACHED, metric, due, {"reason": reason}))
    log_sla_events(ticket, entries, at=now)
    summary = f"severity Sev{before['severity']} → Sev{severity}" if "severity" in changes else "SLA policy re-applied"
    _record(ticket, "severity" if "severity" in changes else "sla_policy", changes, actor=actor, actor_label=actor_label,
            at=now, summary=summary)
    _settle(ticket, now)
    return ticket


@transaction.atomic
def ticket_transition(
    *, ticket: Ticket, to_status: str, actor: User | None = None, actor_label: str = "", note: str = ""
) -> Ticket:
    """Move through the lifecycle (``ALLOWED_TRANSITIONS``); 409 otherwise. Pauses/resumes the resolution clock."""
    if to_status not in TicketStatus.values:
        raise DomainError(f"Unknown status {to_status!r}.", field="status")
    _lock(ticket)
    return _transition(ticket, to_status, actor=actor, actor_label=actor_label, note=note, now=timezone.now())


def _transition(
    ticket: Ticket, to_status: str, *, actor: User | None, actor_label: str, note: str = "", now: datetime,
    config: SlaConfig | None = None,
) -> Ticket:
    from_status = ticket.status
    if to_status == from_status:
        return ticket
    if to_status not in ALLOWED_TRANSITIONS[from_status]:
        current = TicketStatus(from_status).label.lower()
        article = "An" if current[0] in "aeiou" else "A"
        raise InvalidTransition(
            f"{article} {current} ticket can't move to {TicketStatus(to_status).label.lower()}.", field="status",
        )
    config = config or load_config()
    _settle(ticket, now)  # breaches up to now are logged before any clock stops
    events: list[tuple[str, str, datetime | None, dict]] = []
    running_before = ticket.resolution_clock_started_at is not None

    if to_status in (TicketStatus.PENDING_CUSTOMER, TicketStatus.RESOLVED) and running_before:
        elapsed = sla_engine.pause_resolution(ticket, config, at=now)
        if to_status == TicketStatus.PENDING_CUSTOMER:
            remaining = sla.remaining_minutes(ticket.resolution_target_minutes or 0, elapsed or 0)
            events.append((SlaEventKind.PAUSED, SlaMetric.RESOLUTION, ticket.resolution_due_at,
                           {"elapsed_minutes": round(elapsed or 0, 2), "remaining_minutes": round(remaining, 2)}))
            if ticket.resolution_state in _PENDING:
                ticket.resolution_state = SlaState.PAUSED
                ticket.resolution_due_at = None
                ticket.resolution_at_risk_at = None
    if to_status == TicketStatus.RESOLVED:
        if ticket.response_state in _PENDING:  # resolved without a first response: it counts as the response
            ticket.response_state = SlaState.MET
            events.append((SlaEventKind.MET, SlaMetric.RESPONSE, ticket.response_due_at, {"completed_at": _show(now)}))
        if ticket.resolution_state in (*_PENDING, SlaState.PAUSED):
            ticket.resolution_state = SlaState.MET
            events.append((SlaEventKind.MET, SlaMetric.RESOLUTION, ticket.resolution_due_at,
                           {"elapsed_minutes": round(ticket.resolution_elapsed_minutes, 2)}))
        ticket.resolved_at = now
    elif to_status == TicketStatus.CLOSED:
        ticket.closed_at = now
    elif to_status == TicketStatus.OPEN and from_status in (TicketStatus.PENDING_CUSTOMER, TicketStatus.RESOLVED):
        if ticket.resolution_state in (SlaState.PAUSED, SlaState.MET):
            due = sla_engine.resume_resolution(ticket, config, at=now)
            remaining = sla.remaining_minutes(ticket.resolution_target_minutes or 0, ticket.resolution_elapsed_minutes)
            events.append((SlaEventKind.RESUMED, SlaMetric.RESOLUTION, due,
                           {"remaining_minutes": round(remaining, 2), "reopened": from_status == TicketStatus.RESOLVED}))
        else:  # breached: the clock runs again (for the record) but the outcome stands
            sla_engine.resume_resolution(ticket, config, at=now)
        if from_status == TicketStatus.RESOLVED:
            ticket.resolved_at = None
    ticket.status = to_status
    ticket.updated_at = now
    ticket.save()
    log_sla_events(ticket, events, at=now)
    verb = "reopened" if from_status == TicketStatus.RESOLVED and to_status == TicketStatus.OPEN else "status"
    _record(ticket, verb, {"status": [from_status, to_status]}, actor=actor, actor_label=actor_label, at=now,
            summary=f"{TicketStatus(from_status).label} → {TicketStatus(to_status).label}", note=note)
    _settle(ticket, now)
    return ticket


@transaction.atomic
def ticket_reply(
    *,
    ticket: Ticket,
    body: str,
    public: bool = True,
    author: User | None = None,
    contact: Contact | None = None,
    channel: str = Channel.PORTAL,
    actor_label: str = "",
    attachments: Sequence[UploadedFile] = (),
    at: datetime | None = None,
) -> TicketComment:
    """Add a comment. A ``contact`` is the customer speaking (always public; a pending or resolved
    ticket goes back to open); otherwise it is the tenant side, whose first public comment is the
    first response (and opens a new ticket)."""
    if not (body or "").strip():
        raise DomainError("Write something first.", field="body")
    from_customer = contact is not None
    if from_customer:
        _check_tenant(contact, "contact")
        if contact.account_id != ticket.account_id:
            raise DomainError("This contact belongs to another account.", field="contact")
        if not public:
            raise DomainError("A customer's comment is always public.", field="public")
    _check_member(author, "author")
    _lock(ticket)
    if ticket.status == TicketStatus.CLOSED:
        raise InvalidTransition("This ticket is closed: open a new ticket instead.", field="ticket")
    now = at or timezone.now()
    comment = TicketComment.objects.create(
        tenant_id=ticket.tenant_id, ticket=ticket, body=body.strip(), public=public, author=author, contact=contact,
        from_customer=from_customer, channel=channel if channel in Channel.values else Channel.PORTAL, created_at=now,
    )
    who = {"actor": author, "actor_label": actor_label or (contact.name if contact else "")}
    for upload in attachments:
        _attach(ticket, upload, uploaded_by=author, comment=comment)
    if from_customer:
        if ticket.status in (TicketStatus.PENDING_CUSTOMER, TicketStatus.RESOLVED):
            _transition(ticket, TicketStatus.OPEN, now=now, note="Customer replied", **who)
    elif public:
        if ticket.first_response_at is None:
            _first_response(ticket, now=now, **who)
        if ticket.status == TicketStatus.NEW:
            _transition(ticket, TicketStatus.OPEN, now=now, note="Replied", **who)
    if ticket.updated_at < now:
        Ticket.objects.filter(pk=ticket.pk).update(updated_at=now)
        ticket.updated_at = now
    TicketChange.objects.create(
        tenant_id=ticket.tenant_id, ticket=ticket, at=now, action="comment",
        changes={"comment": [None, comment.pk], "public": [None, public]},
        note="Customer reply" if from_customer else ("Public reply" if public else "Internal note"), **who,
    )
    if public and not from_customer:  # internal notes and the customer's own words never leave
        _email_customer(ticket, comment)
    return comment


def _first_response(ticket: Ticket, *, now: datetime, actor: User | None, actor_label: str) -> None:
    _settle(ticket, now)  # a response after the due instant is a breach, logged once
    ticket.first_response_at = now
    events = []
    if ticket.response_state in _PENDING:
        ticket.response_state = SlaState.MET
        events.append((SlaEventKind.MET, SlaMetric.RESPONSE, ticket.response_due_at, {"completed_at": _show(now)}))
    ticket.updated_at = now
    ticket.save()
    log_sla_events(ticket, events, at=now)
    TicketChange.objects.create(
        tenant_id=ticket.tenant_id, ticket=ticket, at=now, actor=actor, actor_label=actor_label,
        action="first_response", changes={"first_response_at": [None, _show(now)]},
    )


# --------------------------------------------------------------------------- people and levels


@transaction.atomic
def ticket_assign(*, ticket: Ticket, assignee: User | None, actor: User | None = None, actor_label: str = "") -> Ticket:
    """Assign (or unassign with None) a member; a new ticket becomes open. The new assignee is emailed."""
    _check_assignee(assignee)
    _lock(ticket)
    if ticket.assignee_id == (assignee.pk if assignee else None):
        return ticket
    now = timezone.now()
    old = ticket.assignee
    ticket.assignee = assignee
    ticket.updated_at = now
    ticket.save()
    _record(ticket, "assigned", {"assignee": [_show(old), _show(assignee)]}, actor=actor, actor_label=actor_label,
            at=now, summary=f"assigned to {assignee.display_name}" if assignee else "unassigned")
    if assignee is not None and ticket.status == TicketStatus.NEW:
        _transition(ticket, TicketStatus.OPEN, actor=actor, actor_label=actor_label, now=now, note="Assigned")
    if assignee is not None and assignee != actor:
        _notify(ticket, [assignee.email], f"[#{ticket.number}] Assigned to you: {ticket.subject}",
                f"Ticket #{ticket.number} (Sev{ticket.severity}, {ticket.account.name}) is now yours.\n")
    return ticket


def ticket_claim(*, ticket: Ticket, user: User) -> Ticket:
    """The signed-in member takes the ticket."""
    return ticket_assign(ticket=ticket, assignee=user, actor=user)


@transaction.atomic
def tickets_bulk_assign(
    *, ticket_ids: Iterable[int], assignee: User | None, actor: User | None = None, actor_label: str = ""
) -> int:
    """Assign many tickets of the tenant in a few statements (one change-log and timeline row each)."""
    _check_assignee(assignee)
    now = timezone.now()
    new_id = assignee.pk if assignee else None
    tickets = list(
        Ticket.objects.select_for_update(of=("self",)).select_related("assignee")
        .filter(pk__in=list(ticket_ids)).exclude(status__in=[TicketStatus.CLOSED]).order_by("pk")
    )
    tickets = [t for t in tickets if t.assignee_id != new_id]
    if not tickets:
        return 0
    opened = [t.pk for t in tickets if assignee is not None and t.status == TicketStatus.NEW]
    Ticket.objects.filter(pk__in=[t.pk for t in tickets]).update(assignee=assignee, updated_at=now)
    if opened:
        Ticket.objects.filter(pk__in=opened).update(status=TicketStatus.OPEN)
    changes, activities = [], []
    for t in tickets:
        diff = {"assignee": [_show(t.assignee), _show(assignee)]}
        if t.pk in opened:
            diff["status"] = [TicketStatus.NEW, TicketStatus.OPEN]
        changes.append(TicketChange(tenant_id=t.tenant_id, ticket=t, at=now, actor=actor, actor_label=actor_label,
                                    action="assigned", changes=diff, note="Bulk assignment"))
        activities.append(Activity(
            account_id=t.account_id, kind=ActivityKind.SYSTEM, author=actor, occurred_at=now, source="tickets",
            subject=f"Ticket #{t.number}: " + (f"assigned to {assignee.display_name}" if assignee else "unassigned"),
            body=t.subject, ref_type="ticket", ref_id=t.pk, metadata={"action": "assigned", "changes": diff},
        ))
    TicketChange.objects.bulk_create(changes)
    activities_record_bulk(activities)
    if assignee is not None and assignee != actor:
        numbers = ", ".join(f"#{t.number}" for t in tickets)
        _notify(tickets[0], [assignee.email], f"{len(tickets)} tickets assigned to you", f"Tickets {numbers}.\n")
    return len(tickets)


@transaction.atomic
def ticket_set_support_level(
    *, ticket: Ticket, support_level: int, actor: User | None = None, actor_label: str = ""
) -> Ticket:
    _check_level(support_level)
    _lock(ticket)
    if ticket.support_level == support_level:
        return ticket
    now = timezone.now()
    old = ticket.support_level
    ticket.support_level = support_level
    ticket.updated_at = now
    ticket.save()
    _record(ticket, "support_level", {"support_level": [old, support_level]}, actor=actor, actor_label=actor_label,
            at=now, summary=f"support level L{old} → L{support_level}")
    return ticket


@transaction.atomic
def ticket_escalate(*, ticket: Ticket, reason: str = "", actor: User | None = None, actor_label: str = "") -> Ticket:
    """Escalate by hand: one support level up (409 at L3), notify assignee and CSM, CTA for Sev1/Sev2."""
    _lock(ticket)
    if ticket.status not in (TicketStatus.NEW, TicketStatus.OPEN, TicketStatus.PENDING_CUSTOMER):
        raise InvalidTransition("Only unresolved tickets can be escalated.", field="status")
    if ticket.support_level >= MAX_SUPPORT_LEVEL:
        raise InvalidTransition("This ticket is already at the highest support level (L3).", field="support_level")
    now = timezone.now()
    old = ticket.support_level
    ticket.support_level = old + 1
    ticket.escalated_at = ticket.escalated_at or now
    ticket.updated_at = now
    ticket.save()
    ticket = Ticket.objects.select_related("account__csm", "assignee").get(pk=ticket.pk)
    escalation_follow_up([(ticket, old, reason.strip() or "Escalated by hand")], now=now, actor=actor,
                         actor_label=actor_label)
    return ticket


# --------------------------------------------------------------------------- attachments


def _attach(ticket: Ticket, upload: UploadedFile, *, uploaded_by: User | None, comment: TicketComment | None):
    if upload.size is not None and upload.size > MAX_ATTACHMENT_BYTES:
        raise DomainError(f"{upload.name} is larger than 25 MB.", field="file")
    name = (upload.name or "attachment").rsplit("/", 1)[-1][:200]
    attachment = TicketAttachment(
        tenant_id=ticket.tenant_id, ticket=ticket, comment=comment, filename=name,
        content_type=(getattr(upload, "content_type", "") or "")[:100], size=upload.size or 0, uploaded_by=uploaded_by,
    )
    attachment.file.save(name, upload, save=False)
    attachment.save()
    return attachment


@transaction.atomic
def ticket_attach(
    *, ticket: Ticket, file: UploadedFile, uploaded_by: User | None = None, comment: TicketComment | None = None,
    actor_label: str = "",
) -> TicketAttachment:
    """Store a file with the ticket (default storage: local in development, S3-compatible in production)."""
    _check_tenant(ticket, "ticket")
    if comment is not None and comment.ticket_id != ticket.pk:
        raise DomainError("That comment belongs to another ticket.", field="comment")
    attachment = _attach(ticket, file, uploaded_by=uploaded_by, comment=comment)
    TicketChange.objects.create(
        tenant_id=ticket.tenant_id, ticket=ticket, at=attachment.created_at, actor=uploaded_by, actor_label=actor_label,
        action="attachment", changes={"attachment": [None, attachment.filename]},
    )
    return attachment


# --------------------------------------------------------------------------- configuration


@transaction.atomic
def sla_policies_replace(*, policies: Sequence[dict[str, Any]]) -> list[SlaPolicy]:
    """Replace the tenant's policy table. Rows: severity 1-4, segment (a segment key or None = any),
    response_minutes and resolution_minutes (>= 1), clock ("24x7" | "business_hours"). Existing
    tickets keep the targets they were given (``ticket_reapply_sla`` re-applies)."""
    tenant = get_current_tenant()
    segments = {row["key"] for row in tenant.get_segment_thresholds()}
    seen: set[tuple[int, str | None]] = set()
    rows: list[SlaPolicy] = []
    for index, item in enumerate(policies):
        where = f"Row {index}"
        severity = item.get("severity")
        if isinstance(severity, bool) or not isinstance(severity, int) or not 1 <= severity <= 4:
            raise DomainError(f"{where}: severity is 1 to 4.", field="severity")
        segment = item.get("segment") or None
        if segment is not None and segment not in segments:
            raise DomainError(f"{where}: unknown segment {segment!r} (one of {', '.join(sorted(segments))}, or null).",
                              field="segment")
        for key in ("response_minutes", "resolution_minutes"):
            value = item.get(key)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise DomainError(f"{where}: {key} must be a whole number of minutes >= 1.", field=key)
        if item["resolution_minutes"] < item["response_minutes"]:
            raise DomainError(f"{where}: resolution_minutes is shorter than response_minutes.",
                              field="resolution_minutes")
        clock = item.get("clock", SlaClock.ALWAYS)
        if clock not in SlaClock.values:
            raise DomainError(f"{where}: clock is '24x7' or 'business_hours'.", field="clock")
        if (severity, segment) in seen:
            raise DomainError(f"{where}: a second policy for severity {severity}, segment {segment or 'any'}.",
                              field="segment")
        seen.add((severity, segment))
        rows.append(SlaPolicy(tenant=tenant, severity=severity, segment=segment, clock=clock,
                              response_minutes=item["response_minutes"], resolution_minutes=item["resolution_minutes"]))
    SlaPolicy.objects.all().delete()
    return SlaPolicy.objects.bulk_create(rows)


def _settings_row() -> SupportSettings:
    """The tenant's settings row, locked; created with the defaults on first use. Concurrent first
    saves insert once: the unique index makes the others' ``ON CONFLICT DO NOTHING`` wait, then lock."""
    defaults = sla_engine.support_settings_get()
    if defaults.pk is None:
        SupportSettings.objects.bulk_create([defaults], ignore_conflicts=True)
    return SupportSettings.objects.select_for_update().get()


def _first_overlapping_weekday(intervals: Sequence[dict]) -> int | None:
    """The first weekday with two overlapping intervals (already validated by ``sla``), else None."""

    def minutes(text: str, *, end: bool) -> int:
        hours, mins = (int(part) for part in str(text).split(":"))
        value = hours * 60 + mins
        return 1440 if end and value == 0 else value

    by_day: dict[int, list[tuple[int, int]]] = {}
    for item in intervals:
        by_day.setdefault(int(item["weekday"]), []).append(
            (minutes(item["start"], end=False), minutes(item["end"], end=True))
        )
    for weekday in sorted(by_day):
        spans = sorted(by_day[weekday])
        if any(later_start < end for (_, end), (later_start, _) in itertools.pairwise(spans)):
            return weekday
    return None


@transaction.atomic
def business_hours_update(*, timezone_name: str, intervals: Sequence[dict], holidays: Sequence[str] = ()) -> SupportSettings:
    """Set the tenant's business hours (validated by ``tickets.sla``); new targets use them."""
    try:
        calendar = sla.BusinessCalendar.from_config(timezone_name, list(intervals), list(holidays))
    except ValueError as exc:
        message = str(exc)
        if message.startswith("holidays"):
            field = "holidays"
        elif message.startswith(("intervals", "business hours")):
            field = "intervals"
        else:
            field = "timezone"
        raise DomainError(message, field=field) from exc
    overlapping_day = _first_overlapping_weekday(intervals)
    if overlapping_day is not None:
        raise DomainError(f"intervals: two intervals overlap on weekday {overlapping_day} (they may touch).",
                          field="intervals")
    settings = _settings_row()
    config = calendar.to_config()
    settings.timezone = config["timezone"]
    settings.intervals = config["intervals"]
    settings.holidays = config["holidays"]
    settings.save()
    return settings


@transaction.atomic
def support_settings_update(**data: Any) -> SupportSettings:
    """``at_risk_percent`` (1-100) and ``escalate_after_minutes`` (>= 1, or None to never escalate by age)."""
    settings = _settings_row()
    if "at_risk_percent" in data:
        value = data["at_risk_percent"]
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 100:
            raise DomainError("at_risk_percent is 1 to 100.", field="at_risk_percent")
        settings.at_risk_percent = value
    if "escalate_after_minutes" in data:
        value = data["escalate_after_minutes"]
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
            raise DomainError("escalate_after_minutes is a whole number >= 1, or null.", field="escalate_after_minutes")
        settings.escalate_after_minutes = value
    settings.save()
    return settings
