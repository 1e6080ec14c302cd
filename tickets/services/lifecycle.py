"""A ticket's life: open it, edit it, change its severity (targets recomputed), move its status and
reply on it (the first public reply is the first response; a customer's reply reopens).

Who acts: ``actor`` (a ``User``, the tenant side) and/or ``actor_label`` (e.g. "API key: CRM"), or a
``contact`` for the customer speaking. Each change goes to the ticket's change log and the account
timeline; SLA transitions to the append-only SLA log. Errors: ``DomainError`` (400) and
``InvalidTransition`` (409).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from accounts.models import Account, Contact
from base.errors import DomainError, InvalidTransition
from tenancy.context import get_current_tenant
from tenancy.models import User
from tickets import events, sla_engine
from tickets.models import Channel, Ticket, TicketChange, TicketComment
from tickets.services.assignment import ticket_assign, ticket_set_support_level
from tickets.services.attachments import store_attachment
from tickets.services.common import (
    check_assignee,
    check_contact,
    check_level,
    check_member,
    check_severity,
    check_tenant,
    clean_tags,
    lock_ticket,
    next_ticket_numbers,
    record_change,
    settle,
    show,
)
from tickets.services.notify import acknowledgement, email_customer
from tickets.services.transitions import apply_transition
from tickets.sla_engine import load_config, log_sla_events
from tickets.states import PENDING_SLA_STATES, SlaEventKind, SlaMetric, SlaState, TicketStatus


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
    check_tenant(account, "account")
    check_contact(contact, account)
    check_assignee(assignee)
    if not (subject or "").strip():
        raise DomainError("A ticket needs a subject.", field="subject")
    if channel not in Channel.values:
        raise DomainError(f"Unknown channel {channel!r}.", field="channel")
    now = timezone.now()
    opened_at = opened_at or now
    if opened_at > now + timedelta(minutes=5):
        raise DomainError("opened_at can't be in the future.", field="opened_at")
    config = load_config()
    target = config.target_for(check_severity(severity), account.segment)
    ticket = Ticket(
        tenant=tenant, account=account, contact=contact, subject=subject.strip()[:300], description=description or "",
        severity=severity, channel=channel, assignee=assignee, support_level=check_level(support_level),
        tags=clean_tags(tags), created_by=actor, opened_at=opened_at, updated_at=now,
        status=TicketStatus.OPEN if assignee else TicketStatus.NEW,
    )
    sla_engine.start_ticket_clocks(ticket, target, config, now=now)
    ticket.number = next_ticket_numbers()
    ticket.save()
    log_sla_events(ticket, [(SlaEventKind.APPLIED, SlaMetric.BOTH, None, _target_detail(ticket, target))], at=now)
    record_change(
        ticket, "created",
        {"status": [None, ticket.status], "severity": [None, severity], "assignee": [None, show(assignee)]},
        actor=actor, actor_label=actor_label, at=now, summary=f"opened (Sev{severity}) {ticket.subject}",
    )
    events.publish_created(ticket)  # before settle: a ticket opened in the past breaches after it is created
    settle(ticket, now)
    if acknowledge and contact is not None and contact.email:
        acknowledgement(ticket, contact.email)
    return ticket


def _target_detail(ticket: Ticket, target: sla_engine.Target) -> dict[str, Any]:
    return {
        "policy_id": target.policy_id, "severity": target.severity, "segment": target.segment, "clock": target.clock,
        "response_minutes": target.response_minutes, "resolution_minutes": target.resolution_minutes,
        "response_due_at": show(ticket.response_due_at), "resolution_due_at": show(ticket.resolution_due_at),
    }


SIMPLE_FIELDS = ("subject", "description", "channel", "tags")


@transaction.atomic
def ticket_update(*, ticket: Ticket, actor: User | None = None, actor_label: str = "", **data: Any) -> Ticket:
    """Patch a ticket; each kind of change goes through its own service (and its own log entry)."""
    unknown = set(data) - {*SIMPLE_FIELDS, "contact", "severity", "assignee", "support_level", "status"}
    if unknown:
        raise DomainError(f"Can't change {', '.join(sorted(unknown))} here.", field=sorted(unknown)[0])
    lock_ticket(ticket)
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
        data["tags"] = clean_tags(data["tags"])
    if "contact" in data:
        check_contact(data["contact"], ticket.account)
    for field in (*SIMPLE_FIELDS, "contact"):
        if field in data and getattr(ticket, field) != data[field]:
            changes[field] = [show(getattr(ticket, field)), show(data[field])]
            setattr(ticket, field, data[field])
    if changes:
        ticket.updated_at = now
        ticket.save()
        shown = {k: v for k, v in changes.items() if k != "description"}
        record_change(
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
    check_severity(severity)
    lock_ticket(ticket)
    if ticket.severity == severity:
        return ticket
    return _retarget(ticket, severity=severity, actor=actor, actor_label=actor_label, reason="severity")


@transaction.atomic
def ticket_reapply_sla(*, ticket: Ticket, actor: User | None = None, actor_label: str = "") -> Ticket:
    """Re-apply the tenant's current policy (after a policy table or segment change); logged if it differs."""
    lock_ticket(ticket)
    return _retarget(ticket, severity=ticket.severity, actor=actor, actor_label=actor_label, reason="policy")


def _retarget(ticket: Ticket, *, severity: int, actor: User | None, actor_label: str, reason: str) -> Ticket:
    now = timezone.now()
    config = load_config()
    settle(ticket, now)  # breaches that already happened stand
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
    logged = log_sla_events(ticket, entries, at=now)
    events.publish_breaches(
        tenant_id=ticket.tenant_id, at=now, new_event_ids=[row.pk for row in logged],
        breaches=[(ticket.pk, row.metric, row.due_at) for row in logged if row.kind == SlaEventKind.BREACHED],
    )
    summary = f"severity Sev{before['severity']} → Sev{severity}" if "severity" in changes else "SLA policy re-applied"
    record_change(ticket, "severity" if "severity" in changes else "sla_policy", changes, actor=actor, actor_label=actor_label,
            at=now, summary=summary)
    settle(ticket, now)
    return ticket



@transaction.atomic
def ticket_transition(
    *, ticket: Ticket, to_status: str, actor: User | None = None, actor_label: str = "", note: str = ""
) -> Ticket:
    """Move through the lifecycle (``ALLOWED_TRANSITIONS``); 409 otherwise. Pauses/resumes the resolution clock."""
    if to_status not in TicketStatus.values:
        raise DomainError(f"Unknown status {to_status!r}.", field="status")
    lock_ticket(ticket)
    return apply_transition(ticket, to_status, actor=actor, actor_label=actor_label, note=note, now=timezone.now())



@transaction.atomic
def ticket_reply(
    *,
    ticket: Ticket,
    body: str,
    public: bool = True,
    actor: User | None = None,
    contact: Contact | None = None,
    channel: str = Channel.PORTAL,
    actor_label: str = "",
    attachments: Sequence[UploadedFile] = (),
    at: datetime | None = None,
) -> TicketComment:
    """Add a comment. A ``contact`` is the customer speaking (always public; a pending or resolved
    ticket goes back to open); otherwise it is the tenant side, whose first public comment is the
    first response (and opens a new ticket). ``actor``: the member writing on the tenant's side."""
    if not (body or "").strip():
        raise DomainError("Write something first.", field="body")
    from_customer = contact is not None
    if from_customer:
        check_tenant(contact, "contact")
        if contact.account_id != ticket.account_id:
            raise DomainError("This contact belongs to another account.", field="contact")
        if not public:
            raise DomainError("A customer's comment is always public.", field="public")
    check_member(actor, "author")
    lock_ticket(ticket)
    if ticket.status == TicketStatus.CLOSED:
        raise InvalidTransition("This ticket is closed: open a new ticket instead.", field="ticket")
    now = at or timezone.now()
    comment = TicketComment.objects.create(
        tenant_id=ticket.tenant_id, ticket=ticket, body=body.strip(), public=public, author=actor, contact=contact,
        from_customer=from_customer, channel=channel if channel in Channel.values else Channel.PORTAL, created_at=now,
    )
    who = {"actor": actor, "actor_label": actor_label or (contact.name if contact else "")}
    for upload in attachments:
        store_attachment(ticket, upload, actor=actor, comment=comment)
    if from_customer:
        if ticket.status in (TicketStatus.PENDING_CUSTOMER, TicketStatus.RESOLVED):
            apply_transition(ticket, TicketStatus.OPEN, now=now, note="Customer replied", **who)
    elif public:
        if ticket.first_response_at is None:
            _first_response(ticket, now=now, **who)
        if ticket.status == TicketStatus.NEW:
            apply_transition(ticket, TicketStatus.OPEN, now=now, note="Replied", **who)
    if ticket.updated_at < now:
        Ticket.objects.filter(pk=ticket.pk).update(updated_at=now)
        ticket.updated_at = now
    TicketChange.objects.create(
        tenant_id=ticket.tenant_id, ticket=ticket, at=now, action="comment",
        changes={"comment": [None, comment.pk], "public": [None, public]},
        note="Customer reply" if from_customer else ("Public reply" if public else "Internal note"), **who,
    )
    if public and not from_customer:  # internal notes and the customer's own words never leave
        email_customer(ticket, comment)
    return comment


def _first_response(ticket: Ticket, *, now: datetime, actor: User | None, actor_label: str) -> None:
    settle(ticket, now)  # a response after the due instant is a breach, logged once
    ticket.first_response_at = now
    events = []
    if ticket.response_state in PENDING_SLA_STATES:
        ticket.response_state = SlaState.MET
        events.append((SlaEventKind.MET, SlaMetric.RESPONSE, ticket.response_due_at, {"completed_at": show(now)}))
    ticket.updated_at = now
    ticket.save()
    log_sla_events(ticket, events, at=now)
    TicketChange.objects.create(
        tenant_id=ticket.tenant_id, ticket=ticket, at=now, actor=actor, actor_label=actor_label,
        action="first_response", changes={"first_response_at": [None, show(now)]},
    )

