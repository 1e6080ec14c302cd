from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
from django.utils import timezone

from tenancy.models import TenantModel


class LifecycleStage(models.TextChoices):
    ONBOARDING = "onboarding", "Onboarding"
    ADOPTION = "adoption", "Adoption"
    VALUE_REALIZATION = "value_realization", "Value realization"
    EXPANSION = "expansion", "Expansion"
    ADVOCACY = "advocacy", "Advocacy"
    RENEWAL = "renewal", "Renewal"


class AccountStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    CHURNED = "churned", "Churned"


class Account(TenantModel):
    external_id = models.CharField(max_length=128, null=True, blank=True)
    name = models.CharField(max_length=200)
    industry = models.CharField(max_length=100, blank=True)
    employee_count = models.PositiveIntegerField(null=True, blank=True)
    arr = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0"), validators=[MinValueValidator(0)])
    tier = models.CharField(max_length=50, blank=True)
    segment = models.CharField(max_length=50, editable=False)
    lifecycle_stage = models.CharField(max_length=32, choices=LifecycleStage.choices, default=LifecycleStage.ONBOARDING)
    csm = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="csm_accounts"
    )
    renewal_date = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=AccountStatus.choices, default=AccountStatus.ACTIVE)
    customer_since = models.DateField(null=True, blank=True)
    payment_overdue = models.BooleanField(default=False, help_text="Set by billing integrations.")
    # Written by the health engine (set-based recompute), read everywhere.
    health_score = models.DecimalField(max_digits=4, decimal_places=1, null=True, blank=True)
    health_status = models.CharField(max_length=32, null=True, blank=True)
    health_computed_at = models.DateTimeField(null=True, blank=True)
    # Written by onboarding when first value is reached.
    first_value_at = models.DateTimeField(null=True, blank=True)
    time_to_value_days = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "external_id"], name="account_unique_external_id"),
        ]
        indexes = [
            models.Index(fields=["tenant", "name"], name="account_name_idx"),
            models.Index(fields=["tenant", "segment", "name"], name="account_segment_idx"),
            models.Index(fields=["tenant", "csm", "name"], name="account_csm_idx"),
            models.Index(fields=["tenant", "health_status"], name="account_health_idx"),
            models.Index(fields=["tenant", "lifecycle_stage"], name="account_lifecycle_idx"),
            models.Index(fields=["tenant", "renewal_date"], name="account_renewal_idx"),
            GinIndex(OpClass(Upper("name"), name="gin_trgm_ops"), name="account_name_trgm"),
        ]

    def __str__(self) -> str:
        return self.name


class ContactRole(models.TextChoices):
    TECHNICAL = "technical", "Technical"
    BUSINESS = "business", "Business"
    EXECUTIVE = "executive", "Executive"
    OTHER = "other", "Other"


class Contact(TenantModel):
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(max_length=200)
    email = models.EmailField(blank=True)
    title = models.CharField(max_length=200, blank=True)
    phone = models.CharField(max_length=50, blank=True)
    role = models.CharField(max_length=16, choices=ContactRole.choices, default=ContactRole.OTHER)
    is_champion = models.BooleanField(default=False)
    is_executive_sponsor = models.BooleanField(default=False)
    left_company = models.BooleanField(default=False)
    left_company_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                "tenant", Upper("email"), condition=~Q(email=""), name="contact_unique_email"
            ),
        ]
        indexes = [models.Index(fields=["tenant", "account", "name"], name="contact_account_idx")]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>" if self.email else self.name


class ActivityKind(models.TextChoices):
    NOTE = "note", "Note"
    CALL = "call", "Call"
    MEETING = "meeting", "Meeting"
    EMAIL = "email", "Email"
    QBR = "qbr", "QBR"
    SYSTEM = "system", "System event"


class ActivitySource(models.TextChoices):
    """What ``Activity.source`` holds: who recorded a timeline entry. Not only app names: most entries
    carry the app that wrote them (accounts, health, tickets, onboarding), but the "Alert opened" entry of
    a generated CTA carries the CTA's own source (a ``TaskSource``: risk, ticket, renewal...). The column
    has no database choices, so a new app records its own name without a migration here."""

    ACCOUNTS = "accounts", "Accounts"
    HEALTH = "health", "Health"
    TICKETS = "tickets", "Tickets"
    ONBOARDING = "onboarding", "Onboarding"
    # A generated CTA's source (TaskSource), on its "Alert opened" entry:
    MANUAL = "manual", "Manual task"
    RISK = "risk", "Risk alert"
    TICKET = "ticket", "Support escalation"
    RENEWAL = "renewal", "Renewal"
    SYSTEM = "system", "System"


class Activity(TenantModel):
    """One entry on an account's timeline: what a person did, or what the system recorded."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="activities")
    kind = models.CharField(max_length=16, choices=ActivityKind.choices, default=ActivityKind.NOTE)
    subject = models.CharField(max_length=200, blank=True)
    body = models.TextField(blank=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    occurred_at = models.DateTimeField(default=timezone.now)
    source = models.CharField(
        max_length=32, default=ActivitySource.ACCOUNTS,
        help_text="Who recorded it: the app, or a generated CTA's source (see ActivitySource).",
    )
    ref_type = models.CharField(max_length=32, blank=True, help_text="Kind of object it refers to, e.g. ticket.")
    ref_id = models.BigIntegerField(null=True, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name_plural = "activities"
        indexes = [
            models.Index(fields=["tenant", "account", "-occurred_at"], name="activity_timeline_idx"),
            models.Index(fields=["tenant", "kind", "-occurred_at"], name="activity_kind_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.subject or self.body[:40]}"


class TaskPriority(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    URGENT = "urgent", "Urgent"


class TaskStatus(models.TextChoices):
    OPEN = "open", "Open"
    DONE = "done", "Done"
    CANCELLED = "cancelled", "Cancelled"


class TaskSource(models.TextChoices):
    MANUAL = "manual", "Manual"
    RISK = "risk", "Risk alert"
    ONBOARDING = "onboarding", "Onboarding"
    TICKET = "ticket", "Support escalation"
    RENEWAL = "renewal", "Renewal"
    SYSTEM = "system", "System"


class Task(TenantModel):
    """A call to action (CTA) on an account: what the pages call a task and the code a CTA.

    People add them by hand (``source=manual``); apps open generated ones (risk alerts, ticket
    escalations, onboarding, renewals) through ``accounts.services.cta_open_bulk`` / ``task_open_once``.
    Generated ones carry a dedupe key: one open CTA per key.

    The model keeps the name ``Task`` for now: renaming it to ``Cta`` (model, table, related names,
    the ``tasks`` pages and API) is out of the scope of issue 9, which only restructures.
    """

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="tasks")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="cs_tasks"
    )
    due_date = models.DateField(null=True, blank=True)
    priority = models.CharField(max_length=8, choices=TaskPriority.choices, default=TaskPriority.MEDIUM)
    source = models.CharField(max_length=16, choices=TaskSource.choices, default=TaskSource.MANUAL)
    status = models.CharField(max_length=16, choices=TaskStatus.choices, default=TaskStatus.OPEN)
    dedupe_key = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_date", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "dedupe_key"],
                condition=Q(status="open") & ~Q(dedupe_key=""),
                name="task_unique_open_dedupe_key",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "owner", "status", "due_date"], name="task_owner_idx"),
            models.Index(fields=["tenant", "account", "status"], name="task_account_idx"),
            models.Index(fields=["tenant", "source", "status"], name="task_source_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_overdue(self) -> bool:
        return self.status == TaskStatus.OPEN and self.due_date is not None and self.due_date < timezone.localdate()
