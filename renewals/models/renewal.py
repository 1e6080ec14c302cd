"""Renewals: one row per account and contract end, opened by the daily job inside the tenant's renewal
window, closed once by recording its outcome (API.md "Renewals and retention").

The tenant's renewal configuration (window, term, the 90/60/30-day motions as editable lists of steps,
the churn reasons) is data on :class:`RenewalSettings`, not code.
"""

from __future__ import annotations

from copy import deepcopy

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from tenancy.models import TenantModel


class RenewalStage(models.TextChoices):
    OPEN = "open", "Open"
    IN_PROGRESS = "in_progress", "In progress"
    NEGOTIATION = "negotiation", "Negotiation"
    CLOSED = "closed", "Closed"


class Forecast(models.TextChoices):
    COMMIT = "commit", "Commit"
    PROBABLE = "probable", "Probable"
    AT_RISK = "at_risk", "At risk"
    LOST = "lost", "Lost"


class RenewalOutcome(models.TextChoices):
    RENEWED = "renewed", "Renewed"
    CHURNED = "churned", "Churned"
    DOWNGRADED = "downgraded", "Downgraded"
    EXPANDED = "expanded", "Expanded"


class Renewal(TenantModel):
    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="renewals")
    contract_end = models.DateField()
    arr = models.DecimalField(max_digits=14, decimal_places=2, help_text="The account's ARR when the renewal opened.")
    stage = models.CharField(max_length=16, choices=RenewalStage.choices, default=RenewalStage.OPEN)
    forecast = models.CharField(max_length=16, choices=Forecast.choices, default=Forecast.PROBABLE)
    forecast_reason = models.TextField(blank=True)
    forecast_overridden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    forecast_overridden_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=16, choices=RenewalOutcome.choices, null=True, blank=True)
    renewed_arr = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    churn_reason = models.TextField(blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["contract_end", "id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "account", "contract_end"], name="renewal_unique_contract_end"),
            models.CheckConstraint(condition=Q(outcome__isnull=True) | Q(outcome__in=RenewalOutcome.values),
                                   name="renewal_outcome_valid"),
            models.CheckConstraint(condition=Q(forecast__in=Forecast.values), name="renewal_forecast_valid"),
        ]
        indexes = [
            models.Index(fields=["tenant", "contract_end"], name="renewal_contract_end_idx"),
            models.Index(fields=["tenant", "account"], name="renewal_account_idx", condition=Q(outcome__isnull=True)),
        ]

    def __str__(self) -> str:
        return f"Renewal {self.contract_end} ({self.account_id})"

    @property
    def is_open(self) -> bool:
        return self.outcome is None

    @property
    def forecast_overridden(self) -> bool:
        return self.forecast_overridden_at is not None


# Handbook 002 "Renewal Process": the motions, by days before the contract end.
DEFAULT_MOTIONS = [
    {"offset": 90, "steps": ["Health score review", "Stakeholder mapping", "Value realization",
                             "Competitive assessment"]},
    {"offset": 60, "steps": ["Renewal meeting", "Contract negotiation", "Expansion opportunities",
                             "Executive briefing"]},
    {"offset": 30, "steps": ["Contract finalization", "Implementation planning", "Success planning"]},
]
DEFAULT_CHURN_REASONS = [
    "Budget cuts", "Product fit", "Competitor", "Acquired or merged", "Champion left", "Poor adoption",
    "Support experience", "Business closed",
]
DEFAULT_WINDOW_DAYS = 120
DEFAULT_TERM_MONTHS = 12


def default_motions() -> list[dict]:
    return deepcopy(DEFAULT_MOTIONS)


def default_churn_reasons() -> list[str]:
    return list(DEFAULT_CHURN_REASONS)


class RenewalSettings(TenantModel):
    """One per tenant (created with the defaults on first read)."""

    window_days = models.PositiveIntegerField(default=DEFAULT_WINDOW_DAYS)
    term_months = models.PositiveIntegerField(default=DEFAULT_TERM_MONTHS, help_text="The length of a renewed term.")
    motions = models.JSONField(default=default_motions, help_text='[{"offset": days before, "steps": [titles]}]')
    churn_reasons = models.JSONField(default=default_churn_reasons)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant"], name="renewal_settings_one_per_tenant")]

    def __str__(self) -> str:
        return f"Renewal settings ({self.tenant_id})"
