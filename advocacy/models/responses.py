"""Survey responses: the one record every advocacy number is computed from (API.md "Surveys and advocacy").

A response is NPS (0-10) or CSAT (1-5). It comes from the public response page of a sent survey, or from
an integration (``POST /api/v1/survey-responses/``). Post-implementation surveys are stored as ``csat``
with their campaign, so API.md's kinds stay ``nps`` and ``csat``.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone

from tenancy.models import TenantModel


class SurveyKind(models.TextChoices):
    NPS = "nps", "NPS"
    CSAT = "csat", "CSAT"


SCORE_RANGES = {SurveyKind.NPS: (0, 10), SurveyKind.CSAT: (1, 5)}


class NpsCategory(models.TextChoices):
    PROMOTER = "promoter", "Promoter"
    PASSIVE = "passive", "Passive"
    DETRACTOR = "detractor", "Detractor"


class SurveyResponse(TenantModel):
    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="survey_responses")
    contact = models.ForeignKey(
        "accounts.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="survey_responses"
    )
    kind = models.CharField(max_length=8, choices=SurveyKind.choices)
    score = models.PositiveSmallIntegerField()
    comment = models.TextField(blank=True)
    responded_at = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-responded_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=SurveyKind.values), name="survey_response_kind_valid"),
            models.CheckConstraint(
                condition=(Q(kind=SurveyKind.NPS, score__lte=10) | Q(kind=SurveyKind.CSAT, score__gte=1, score__lte=5)),
                name="survey_response_score_in_range",
            ),
        ]
        indexes = [
            # Metrics by window (and segment through the account), the account's history, latest NPS per account.
            models.Index(fields=["tenant", "kind", "responded_at"], name="survey_response_window_idx"),
            models.Index(fields=["tenant", "account", "kind", "responded_at"], name="survey_response_account_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.score} ({self.account_id})"

    @property
    def category(self) -> str | None:
        """Promoter / passive / detractor for NPS; None for CSAT."""
        if self.kind != SurveyKind.NPS:
            return None
        return nps_category(self.score)


def nps_category(score: int) -> str:
    """API.md: promoters score 9-10, passives 7-8, detractors 0-6."""
    if score >= 9:
        return NpsCategory.PROMOTER
    if score >= 7:
        return NpsCategory.PASSIVE
    return NpsCategory.DETRACTOR
