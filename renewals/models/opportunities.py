"""Expansion opportunities (handbook 002 kinds, 000 stages) and the tenant's expansion settings.

A won opportunity writes, once, an ``expansion`` ARR movement (``renewals.opportunity_services``), except
``professional_services``: a one-time booking reported beside ARR, never in it. ``won`` and ``lost`` are
final. Stage probabilities (the weighted pipeline) and the expansion triggers' thresholds are tenant data
(``OpportunitySettings``), with the defaults below when the tenant has no row.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from tenancy.models import TenantModel


class OpportunityKind(models.TextChoices):
    SEATS = "seats", "Additional seats"
    FEATURE_UPSELL = "feature_upsell", "Feature upsell"
    CROSS_SELL = "cross_sell", "Cross-sell product"
    PROFESSIONAL_SERVICES = "professional_services", "Professional services"
    TIER_UPGRADE = "tier_upgrade", "Tier upgrade"


# One-time bookings: reported beside ARR, never written to the ledger.
ONE_TIME_KINDS = frozenset({OpportunityKind.PROFESSIONAL_SERVICES})


class OpportunityStage(models.TextChoices):
    IDENTIFY = "identify", "Identify"
    BUSINESS_CASE = "business_case", "Business case"
    EXECUTIVE_ALIGNMENT = "executive_alignment", "Executive alignment"
    DISCUSSION = "discussion", "Discussion"
    PROPOSAL = "proposal", "Proposal"
    NEGOTIATION = "negotiation", "Negotiation"
    WON = "won", "Won"
    LOST = "lost", "Lost"


CLOSED_STAGES = frozenset({OpportunityStage.WON, OpportunityStage.LOST})
OPEN_STAGES = tuple(stage for stage in OpportunityStage.values if stage not in CLOSED_STAGES)

# Percent chance of closing by stage (the weighted pipeline); a tenant edits its own copy.
DEFAULT_STAGE_PROBABILITIES = {
    "identify": 10, "business_case": 20, "executive_alignment": 35, "discussion": 50,
    "proposal": 65, "negotiation": 80, "won": 100, "lost": 0,
}


class Opportunity(TenantModel):
    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="opportunities")
    title = models.CharField(max_length=200, blank=True)
    kind = models.CharField(max_length=24, choices=OpportunityKind.choices)
    stage = models.CharField(max_length=24, choices=OpportunityStage.choices, default=OpportunityStage.IDENTIFY)
    amount = models.DecimalField(max_digits=14, decimal_places=2, help_text="ARR added (one-time for services).")
    close_date = models.DateField()
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    won_at = models.DateTimeField(null=True, blank=True)
    lost_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["close_date", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="opportunity_amount_positive"),
            models.CheckConstraint(condition=Q(kind__in=OpportunityKind.values), name="opportunity_kind_valid"),
            models.CheckConstraint(condition=Q(stage__in=OpportunityStage.values), name="opportunity_stage_valid"),
        ]
        indexes = [
            models.Index(fields=["tenant", "stage", "close_date"], name="opportunity_stage_idx"),
            models.Index(fields=["tenant", "account", "stage"], name="opportunity_account_idx"),
        ]

    def __str__(self) -> str:
        return self.title or f"{self.get_kind_display()} ({self.amount})"

    @property
    def is_closed(self) -> bool:
        return self.stage in CLOSED_STAGES

    @property
    def is_one_time(self) -> bool:
        return self.kind in ONE_TIME_KINDS


class OpportunitySettings(TenantModel):
    """The tenant's stage probabilities (percent by stage) and expansion trigger thresholds
    (``{trigger_key: {"enabled": bool, param: value}}``); missing keys take the defaults."""

    stage_probabilities = models.JSONField(default=dict, blank=True)
    trigger_params = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant"], name="opportunity_settings_one_per_tenant")]
