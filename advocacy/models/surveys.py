"""Survey campaigns and what they send: the campaign (kind, purpose, wording, target roles, schedule,
progress counters), one send per recipient and occasion (the signed link points at it), unsubscribes, and
the tenant's survey settings (fatigue, the CSAT contact window, link lifetime).

Automatic surveys (CSAT after a resolved ticket, post-implementation at 30/60/90 days after go-live) belong
to one automatic campaign per purpose and tenant; their sends carry the occasion (``ticket:<id>``,
``plan:<id>:<days>``) so each occasion sends once. A manual campaign sends once per contact (occasion "").
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone

from advocacy.models.responses import SurveyKind
from tenancy.models import TenantModel


class SurveyPurpose(models.TextChoices):
    NPS_QUARTERLY = "nps_quarterly", "Quarterly NPS"
    CSAT_TICKET = "csat_ticket", "CSAT after a resolved ticket"
    POST_IMPLEMENTATION = "post_implementation", "Post-implementation"


# Purposes that count for the fatigue limit (a contact sent one of these fewer than N days ago is skipped).
FATIGUE_PURPOSES = (SurveyPurpose.NPS_QUARTERLY, SurveyPurpose.POST_IMPLEMENTATION)
PURPOSE_KIND = {
    SurveyPurpose.NPS_QUARTERLY: SurveyKind.NPS,
    SurveyPurpose.CSAT_TICKET: SurveyKind.CSAT,
    SurveyPurpose.POST_IMPLEMENTATION: SurveyKind.CSAT,
}


class SurveyStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SCHEDULED = "scheduled", "Scheduled"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"


class Survey(TenantModel):
    """A survey campaign. Its question and email wording are tenant data, edited per campaign."""

    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=8, choices=SurveyKind.choices)
    purpose = models.CharField(max_length=32, choices=SurveyPurpose.choices)
    automatic = models.BooleanField(default=False, help_text="The standing campaign of an automatic purpose.")
    question = models.CharField(max_length=300)
    comment_question = models.CharField(max_length=300, blank=True)
    email_subject = models.CharField(max_length=200)
    email_body = models.TextField(help_text="The email's text above the link.")
    target_roles = models.JSONField(default=list, blank=True, help_text="Contact roles; empty: every role.")
    scheduled_for = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=SurveyStatus.choices, default=SurveyStatus.DRAFT)
    recipients = models.PositiveIntegerField(default=0)
    sent_count = models.PositiveIntegerField(default=0)
    skipped_count = models.PositiveIntegerField(default=0)
    failed_count = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=SurveyKind.values), name="survey_kind_valid"),
            models.UniqueConstraint(
                fields=["tenant", "purpose"], condition=Q(automatic=True), name="survey_one_automatic_per_purpose"
            ),
        ]
        indexes = [models.Index(fields=["tenant", "status", "scheduled_for"], name="survey_due_idx")]

    def __str__(self) -> str:
        return self.name

    @property
    def processed(self) -> int:
        return self.sent_count + self.skipped_count + self.failed_count

    @property
    def progress_percent(self) -> int:
        return 100 if not self.recipients else min(100, round(self.processed * 100 / self.recipients))


class SendStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENT = "sent", "Sent"
    SKIPPED = "skipped", "Skipped"
    FAILED = "failed", "Failed"


class SurveySend(TenantModel):
    """One survey sent (or skipped) to one recipient on one occasion. The signed link carries its id."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="sends")
    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="+")
    contact = models.ForeignKey("accounts.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    email = models.EmailField()
    purpose = models.CharField(max_length=32, choices=SurveyPurpose.choices)
    occasion = models.CharField(max_length=64, blank=True, help_text="ticket:<id> or plan:<id>:<days>; empty for a campaign.")
    token_id = models.UUIDField(default=uuid.uuid4, editable=False)
    status = models.CharField(max_length=16, choices=SendStatus.choices, default=SendStatus.PENDING)
    due_at = models.DateTimeField(null=True, blank=True, help_text="Not before (post-implementation); null: now.")
    skip_reason = models.CharField(max_length=64, blank=True)
    error = models.CharField(max_length=500, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    responded_at = models.DateTimeField(null=True, blank=True)
    response = models.OneToOneField(
        "advocacy.SurveyResponse", null=True, blank=True, on_delete=models.SET_NULL, related_name="send"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # A retried batch or a repeated event never makes a second send to one recipient.
            models.UniqueConstraint("survey", "occasion", Lower("email"), name="survey_send_once_per_recipient"),
        ]
        indexes = [
            models.Index(fields=["tenant", "survey", "status"], name="survey_send_batch_idx"),
            # Fatigue: the recipient's recent sends by purpose.
            models.Index(Lower("email"), "tenant", "purpose", "sent_at", name="survey_send_fatigue_idx"),
            models.Index(fields=["tenant", "sent_at"], name="survey_send_window_idx"),
            models.Index(fields=["tenant", "status", "due_at"], name="survey_send_due_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.survey_id} -> {self.email}"


class Unsubscribe(TenantModel):
    """A recipient who asked for no more surveys from this tenant (every purpose honours it)."""

    email = models.EmailField()
    contact = models.ForeignKey("accounts.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint("tenant", Lower("email"), name="survey_unsubscribe_once")]

    def __str__(self) -> str:
        return self.email


class AdvocacySettings(TenantModel):
    """The tenant's survey rules; a tenant without a row gets the defaults (``survey_selectors.settings_for``)."""

    fatigue_days = models.PositiveIntegerField(default=30)
    csat_contact_days = models.PositiveIntegerField(default=7)
    link_max_age_days = models.PositiveIntegerField(default=30)
    csat_on_ticket_resolved = models.BooleanField(default=True)
    post_implementation_days = models.JSONField(default=list, blank=True, help_text="Days after go-live; default 30/60/90.")
    wording = models.JSONField(default=dict, blank=True, help_text="Per purpose: question, email_subject, ...")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant"], name="advocacy_settings_one_per_tenant")]
