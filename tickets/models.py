"""Support tickets, their comments and attachments, SLA policies, business hours and the SLA/change logs.

SLA bookkeeping on a ticket (all instants UTC):

* targets are a snapshot of the policy applied (``sla_policy``, ``response_target_minutes``,
  ``resolution_target_minutes``, ``sla_clock``) so later policy edits don't move old tickets;
* each metric has a due instant, an at-risk instant and a state (``response_state``,
  ``resolution_state``: on_track / at_risk / paused / breached / met). The SLA scan and the
  services move these states with compare-and-set updates, so each transition is logged once;
* the resolution clock is ``resolution_elapsed_minutes`` (business minutes banked before the
  current running segment) + the time since ``resolution_clock_started_at`` (NULL while paused
  or stopped); ``resolution_due_at`` is NULL while paused;
* ``sla_state``, ``response_breached``, ``resolution_breached``, ``sla_next_check_at`` (the next
  instant the scan must look at the ticket) and ``sla_next_due_at`` (queue order: the earliest
  pending due, NULL when paused or done) are stored generated columns (their expressions are in
  ``tickets.states``): PostgreSQL keeps them consistent with the columns above, however the row was
  written (ORM, UPDATE, COPY).

Also ``QueueView``: a member's saved queue views (moved from knowledge; its table keeps its name).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Upper
from django.utils import timezone

from accounts.models import Account, Contact
from tenancy.models import Tenant, TenantModel
from tickets.states import (
    DONE_STATUSES,
    PENDING_SLA_STATES,
    RUNNING_STATUSES,
    SLA_NEXT_CHECK_EXPRESSION,
    SLA_NEXT_DUE_EXPRESSION,
    SLA_STATE_EXPRESSION,
    UNRESOLVED_STATUSES,
    SlaEventKind,
    SlaMetric,
    SlaState,
    TicketStatus,
)

# The enums live in ``tickets.states`` (one definition of ticket and SLA state); re-exported for the models' users.
__all__ = [
    "DONE_STATUSES", "PENDING_SLA_STATES", "RUNNING_STATUSES", "UNRESOLVED_STATUSES", "SlaEventKind", "SlaMetric",
    "SlaState", "TicketStatus",
]

SEVERITY_CHOICES = [(1, "Sev1 - Critical"), (2, "Sev2 - High"), (3, "Sev3 - Medium"), (4, "Sev4 - Low")]
SUPPORT_LEVEL_CHOICES = [(1, "L1"), (2, "L2"), (3, "L3")]
MAX_SUPPORT_LEVEL = 3


class Channel(models.TextChoices):
    EMAIL = "email", "Email"
    CHAT = "chat", "Chat"
    PORTAL = "portal", "Portal"
    PHONE = "phone", "Phone"
    API = "api", "API"


class SlaClock(models.TextChoices):
    ALWAYS = "24x7", "24x7"
    BUSINESS_HOURS = "business_hours", "Business hours"


# --------------------------------------------------------------------------- configuration


class SupportSettings(TenantModel):
    """A tenant's support configuration: business hours (the business-hours SLA clock), the at-risk
    threshold and the escalation rule. One row per tenant (created with defaults on first use)."""

    timezone = models.CharField(max_length=64, default="UTC")
    intervals = models.JSONField(default=list, blank=True, help_text='[{"weekday": 0-6, "start": "HH:MM", "end": "HH:MM"}]')
    holidays = models.JSONField(default=list, blank=True, help_text='["YYYY-MM-DD", ...] (local dates)')
    at_risk_percent = models.PositiveSmallIntegerField(
        default=75, validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text="A target turns at risk when this share of it has elapsed.",
    )
    escalate_after_minutes = models.PositiveIntegerField(
        default=24 * 60, null=True, blank=True,
        help_text="Escalate a ticket still unresolved this long after opening (wall-clock minutes); empty = never.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "support settings"
        constraints = [models.UniqueConstraint(fields=["tenant"], name="support_settings_one_per_tenant")]

    def __str__(self) -> str:
        return f"Support settings ({self.timezone})"


class SlaPolicy(TenantModel):
    """Targets for one severity and one account segment (``segment`` NULL: any segment, the fallback)."""

    severity = models.PositiveSmallIntegerField(choices=SEVERITY_CHOICES)
    segment = models.CharField(max_length=50, null=True, blank=True)
    response_minutes = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    resolution_minutes = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    clock = models.CharField(max_length=16, choices=SlaClock.choices, default=SlaClock.ALWAYS)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "SLA policies"
        ordering = ["severity", F("segment").asc(nulls_first=True)]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "severity", "segment"], nulls_distinct=False, name="sla_policy_unique_target"
            ),
        ]

    def __str__(self) -> str:
        return f"Sev{self.severity} {self.segment or 'any segment'}: {self.response_minutes}/{self.resolution_minutes} min ({self.clock})"


class TicketNumberSequence(TenantModel):
    """The tenant's last ticket number, bumped with one atomic UPSERT ... RETURNING per new ticket."""

    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant"], name="ticket_number_sequence_one_per_tenant")]


def _tenant_fk() -> models.ForeignKey:
    """The tenant FK of the big tables, whose composite indexes all lead with tenant: no index of its own."""
    return models.ForeignKey(Tenant, on_delete=models.CASCADE, db_index=False, related_name="+")


def _upload_to(instance: TicketAttachment, filename: str) -> str:
    return f"tickets/{instance.tenant_id}/{instance.ticket_id}/{timezone.now():%Y%m%d%H%M%S}-{filename}"


# --------------------------------------------------------------------------- tickets


class Ticket(TenantModel):
    tenant = _tenant_fk()
    number = models.PositiveIntegerField(editable=False)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="tickets")
    contact = models.ForeignKey(Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets")
    subject = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    severity = models.PositiveSmallIntegerField(choices=SEVERITY_CHOICES, default=3)
    status = models.CharField(max_length=20, choices=TicketStatus.choices, default=TicketStatus.NEW)
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.PORTAL)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="assigned_tickets"
    )
    support_level = models.PositiveSmallIntegerField(choices=SUPPORT_LEVEL_CHOICES, default=1)
    tags = ArrayField(models.CharField(max_length=50), default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    opened_at = models.DateTimeField(default=timezone.now)
    first_response_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    # SLA: the policy applied (snapshot) ...
    sla_policy = models.ForeignKey(SlaPolicy, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    sla_clock = models.CharField(max_length=16, choices=SlaClock.choices, default=SlaClock.ALWAYS)
    response_target_minutes = models.PositiveIntegerField(null=True, blank=True)
    resolution_target_minutes = models.PositiveIntegerField(null=True, blank=True)
    # ... first response ...
    response_due_at = models.DateTimeField(null=True, blank=True)
    response_at_risk_at = models.DateTimeField(null=True, blank=True)
    response_state = models.CharField(max_length=16, choices=SlaState.choices, default=SlaState.ON_TRACK)
    # ... resolution (pausable) ...
    resolution_due_at = models.DateTimeField(null=True, blank=True)
    resolution_at_risk_at = models.DateTimeField(null=True, blank=True)
    resolution_state = models.CharField(max_length=16, choices=SlaState.choices, default=SlaState.ON_TRACK)
    resolution_elapsed_minutes = models.FloatField(default=0.0)
    resolution_clock_started_at = models.DateTimeField(null=True, blank=True)
    # ... escalation.
    escalate_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)

    # Derived by PostgreSQL (see the module docstring).
    sla_state = models.GeneratedField(
        expression=SLA_STATE_EXPRESSION, output_field=models.CharField(max_length=16, choices=SlaState.choices),
        db_persist=True,
    )
    response_breached = models.GeneratedField(
        expression=Q(response_state=SlaState.BREACHED), output_field=models.BooleanField(), db_persist=True
    )
    resolution_breached = models.GeneratedField(
        expression=Q(resolution_state=SlaState.BREACHED), output_field=models.BooleanField(), db_persist=True
    )
    sla_next_check_at = models.GeneratedField(
        expression=SLA_NEXT_CHECK_EXPRESSION, output_field=models.DateTimeField(), db_persist=True
    )
    sla_next_due_at = models.GeneratedField(
        expression=SLA_NEXT_DUE_EXPRESSION, output_field=models.DateTimeField(), db_persist=True
    )

    GENERATED_FIELDS = ("sla_state", "response_breached", "resolution_breached", "sla_next_check_at", "sla_next_due_at")

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "number"], name="ticket_unique_number"),
            models.CheckConstraint(condition=Q(severity__gte=1, severity__lte=4), name="ticket_severity_1_4"),
            models.CheckConstraint(condition=Q(support_level__gte=1, support_level__lte=3), name="ticket_level_1_3"),
        ]
        indexes = [
            # The queue: unresolved tickets by next breach (paused/NULL last).
            models.Index(
                "tenant", F("sla_next_due_at").asc(nulls_last=True), "id",
                condition=Q(status__in=["new", "open", "pending_customer"]), name="ticket_queue_idx",
            ),
            # The SLA scan: only tickets with a pending boundary are in this index.
            models.Index(
                fields=["tenant", "sla_next_check_at"], condition=Q(sla_next_check_at__isnull=False),
                name="ticket_sla_check_idx",
            ),
            models.Index(fields=["tenant", "account", "-opened_at"], name="ticket_account_idx"),
            models.Index(
                fields=["tenant", "assignee", "status"], condition=Q(status__in=["new", "open", "pending_customer"]),
                name="ticket_assignee_idx",
            ),
            # Queue tab counts: an index-only scan over the unresolved tickets.
            models.Index(
                fields=["tenant", "status", "sla_state", "assignee"],
                condition=Q(status__in=["new", "open", "pending_customer"]), name="ticket_open_counts_idx",
            ),
            # An account's open tickets by severity (a CSM's book: open Sev1/2 per account), whatever its history.
            models.Index(
                fields=["tenant", "account", "severity"], condition=Q(status__in=["new", "open", "pending_customer"]),
                name="ticket_account_open_idx",
            ),
            models.Index(fields=["tenant", "status", "-opened_at"], name="ticket_status_idx"),
            models.Index(fields=["tenant", "severity", "opened_at"], name="ticket_severity_idx"),
            GinIndex(fields=["tags"], name="ticket_tags_gin"),
            GinIndex(OpClass(Upper("subject"), name="gin_trgm_ops"), name="ticket_subject_trgm"),
        ]

    def __str__(self) -> str:
        return f"#{self.number} {self.subject}"

    def save(self, *args, **kwargs):
        adding = self._state.adding
        super().save(*args, **kwargs)
        if not adding:  # INSERT ... RETURNING reads generated columns; an UPDATE does not.
            self.refresh_from_db(fields=list(self.GENERATED_FIELDS))

    @property
    def is_paused(self) -> bool:
        return self.status == TicketStatus.PENDING_CUSTOMER

    @property
    def is_unresolved(self) -> bool:
        return self.status in UNRESOLVED_STATUSES

    @property
    def next_due_metric(self) -> str | None:
        """Which target the queue order follows: "response", "resolution" or None (paused or done)."""
        if self.status not in RUNNING_STATUSES:
            return None
        return "response" if self.first_response_at is None else "resolution"


class TicketComment(TenantModel):
    """A reply (public) or internal note. The author is a user (tenant side) or a contact (customer)."""

    tenant = _tenant_fk()
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="comments")
    body = models.TextField()
    public = models.BooleanField(default=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    contact = models.ForeignKey(Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    from_customer = models.BooleanField(default=False)
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.PORTAL)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["tenant", "ticket", "created_at"], name="ticket_comment_idx")]

    def __str__(self) -> str:
        return f"Comment on {self.ticket_id}: {self.body[:40]}"

    @property
    def author_name(self) -> str:
        if self.contact_id and self.contact:
            return self.contact.name
        if self.author_id and self.author:
            return self.author.display_name
        return "Customer" if self.from_customer else "Support"


class TicketAttachment(TenantModel):
    """A file stored with a ticket (default storage: local in development, S3-compatible in production)."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="attachments")
    comment = models.ForeignKey(
        TicketComment, null=True, blank=True, on_delete=models.SET_NULL, related_name="attachments"
    )
    file = models.FileField(upload_to=_upload_to, max_length=500)
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["tenant", "ticket"], name="ticket_attachment_idx")]

    def __str__(self) -> str:
        return self.filename


class TicketSlaEvent(TenantModel):
    """Append-only SLA log of a ticket: one row per transition (rows are never updated or deleted)."""

    tenant = _tenant_fk()
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="sla_events")
    kind = models.CharField(max_length=16, choices=SlaEventKind.choices)
    metric = models.CharField(max_length=16, choices=SlaMetric.choices, blank=True)
    at = models.DateTimeField(default=timezone.now)
    due_at = models.DateTimeField(null=True, blank=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [
            models.Index(fields=["tenant", "ticket", "at"], name="ticket_sla_event_idx"),
            models.Index(fields=["tenant", "kind", "at"], name="ticket_sla_event_kind_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.metric}".strip()

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise ValueError("The SLA event log is append-only.")
        super().save(*args, **kwargs)


class TicketChange(TenantModel):
    """Change log: who changed what on a ticket, when (``changes``: {field: [old, new]})."""

    tenant = _tenant_fk()
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="changes")
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    actor_label = models.CharField(max_length=200, blank=True, help_text="Who, when not a user: API key, system, a contact.")
    action = models.CharField(max_length=32)
    changes = models.JSONField(default=dict, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["tenant", "ticket", "at"], name="ticket_change_idx")]

    def __str__(self) -> str:
        return f"{self.action} on {self.ticket_id}"

    @property
    def who(self) -> str:
        if self.actor_id and self.actor:
            return self.actor.display_name
        return self.actor_label or "System"


class InboundEmailOutcome(models.TextChoices):
    CREATED = "created", "Ticket created"
    COMMENTED = "commented", "Comment added"
    TRIAGE = "triage", "Unknown sender (triage)"
    TRIAGED = "triaged", "Triaged"


class InboundEmail(TenantModel):
    """Every email received (idempotency on ``message_id``); unknown senders wait here for triage."""

    message_id = models.CharField(max_length=500)
    from_email = models.EmailField()
    from_name = models.CharField(max_length=200, blank=True)
    to_email = models.CharField(max_length=500, blank=True)
    subject = models.CharField(max_length=500, blank=True)
    text = models.TextField(blank=True)
    received_at = models.DateTimeField(default=timezone.now)
    outcome = models.CharField(max_length=16, choices=InboundEmailOutcome.choices)
    ticket = models.ForeignKey(Ticket, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    comment = models.ForeignKey(TicketComment, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["tenant", "message_id"], name="inbound_email_unique_message")]
        indexes = [models.Index(fields=["tenant", "outcome", "-received_at"], name="inbound_email_outcome_idx")]

    def __str__(self) -> str:
        return f"{self.from_email}: {self.subject}"


class QueueView(TenantModel):
    """A member's saved ticket-queue view: a name and the queue's query string (``severity=1&mine=1``).

    Moved from the knowledge app (``SeparateDatabaseAndState``): the table keeps its old name."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=60)
    query = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "knowledge_queueview"
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "user", "name"], name="kb_queue_view_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name
