"""Touchpoint cadences: which touchpoints (QBR, check-in, executive review, or a custom label) an account
is owed, by segment or by tier, how often, and the steps the CSM works through to prepare one.

Configuration only: the next due date of a cadence for an account is computed from the timeline (the last
activity of a kind that counts for it, see ``renewals.cadence_dates``), never stored, so a logged touchpoint
resets the clock with no write here. ``steps`` are data (a list of titles) so that playbooks can later turn
them into playbook steps without a new mechanism.
"""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from tenancy.models import TenantModel


class TouchpointKind(models.TextChoices):
    QBR = "qbr", "QBR"
    CHECK_IN = "check_in", "Check-in"
    EXECUTIVE_REVIEW = "executive_review", "Executive review"
    CUSTOM = "custom", "Custom"


class CadenceScope(models.TextChoices):
    SEGMENT = "segment", "Segment"
    TIER = "tier", "Tier"


class IntervalUnit(models.TextChoices):
    DAYS = "days", "Days"
    MONTHS = "months", "Months"


MAX_INTERVAL = {IntervalUnit.DAYS: 3660, IntervalUnit.MONTHS: 120}
MAX_LEAD_DAYS = 365
MAX_STEPS = 30
STEP_LENGTH = 200


class TouchpointCadence(TenantModel):
    kind = models.CharField(max_length=24, choices=TouchpointKind.choices, default=TouchpointKind.QBR)
    label = models.CharField(max_length=100, blank=True, help_text="The touchpoint's name when the kind is custom.")
    scope = models.CharField(max_length=16, choices=CadenceScope.choices, default=CadenceScope.SEGMENT)
    match = models.CharField(max_length=50, help_text="The segment key or the tier name the cadence applies to.")
    interval_count = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    interval_unit = models.CharField(max_length=8, choices=IntervalUnit.choices, default=IntervalUnit.MONTHS)
    lead_days = models.PositiveIntegerField(
        default=14, validators=[MaxValueValidator(MAX_LEAD_DAYS)],
        help_text="How many days before the due date the prepare CTA opens.",
    )
    automated = models.BooleanField(
        default=False, help_text="A digital (automated) touchpoint: shown on the account page, no CTA for the CSM.",
    )
    resets_on = models.JSONField(
        default=list, blank=True, help_text="Timeline activity kinds that count as this touchpoint (reset its clock).",
    )
    steps = models.JSONField(default=list, blank=True, help_text="Step titles the CSM works through, in order.")
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["scope", "match", "kind", "label", "id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "scope", "match", "kind", "label"], name="cadence_unique_touchpoint"),
            models.CheckConstraint(condition=models.Q(interval_count__gte=1), name="cadence_interval_positive"),
        ]
        indexes = [models.Index(fields=["tenant", "active"], name="cadence_active_idx")]

    def __str__(self) -> str:
        return f"{self.title} ({self.match}, every {self.interval_display})"

    @property
    def title(self) -> str:
        """What the touchpoint is called: the custom label, or the kind's name."""
        return self.label if self.kind == TouchpointKind.CUSTOM and self.label else self.get_kind_display()

    @property
    def interval_display(self) -> str:
        unit = {IntervalUnit.DAYS: "day", IntervalUnit.MONTHS: "month"}[self.interval_unit]
        return f"{self.interval_count} {unit}{'s' if self.interval_count != 1 else ''}"
