"""The reference program (API.md "Surveys and advocacy", handbooks 000 and 001): reference requests, the
tenant's program settings (yearly cap on reference calls, eligibility rules, case-study target), the
contacts willing to advocate, the rewards ledger, the case-study pipeline, and reviews and referrals with
their source.

``ReferenceRequest`` carries API.md's fields (account, contact, kind, status, requested_at) and adds notes,
requested_by, completed_at and outcome. The yearly cap is enforced in ``advocacy.reference_services``
under a lock on the account row, not by a constraint (a window count is no constraint).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils import timezone

from tenancy.models import TenantModel


class ReferenceKind(models.TextChoices):
    CASE_STUDY = "case_study", "Case study"
    TESTIMONIAL = "testimonial", "Testimonial"
    REFERENCE_CALL = "reference_call", "Reference call"
    WEBINAR = "webinar", "Webinar"
    REVIEW = "review", "Review"


class ReferenceStatus(models.TextChoices):
    REQUESTED = "requested", "Requested"
    AGREED = "agreed", "Agreed"
    DECLINED = "declined", "Declined"
    COMPLETED = "completed", "Completed"


# Defaults of ReferenceSettings (handbook 000: "reference call, 2-3 calls per year", "NPS score 9-10",
# "long customer tenure (12+ months)", "willing to reference"; "target: 2-3 new case studies per quarter").
DEFAULT_CALL_CAP = 3
DEFAULT_NPS_MIN = 9
DEFAULT_TENURE_MONTHS = 12
DEFAULT_CASE_STUDY_TARGET = 2


class ReferenceRequest(TenantModel):
    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="reference_requests")
    # Required by the API and the services; SET_NULL keeps the request (and the account's cap count) when a
    # contact is deleted.
    contact = models.ForeignKey(
        "accounts.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="reference_requests"
    )
    kind = models.CharField(max_length=16, choices=ReferenceKind.choices)
    status = models.CharField(max_length=16, choices=ReferenceStatus.choices, default=ReferenceStatus.REQUESTED)
    requested_at = models.DateTimeField(default=timezone.now)
    notes = models.TextField(blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    completed_at = models.DateTimeField(null=True, blank=True)
    outcome = models.TextField(blank=True, help_text="What came of it (e.g. the prospect signed).")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=ReferenceKind.values), name="reference_request_kind_valid"),
            models.CheckConstraint(
                condition=Q(status__in=ReferenceStatus.values), name="reference_request_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(status=ReferenceStatus.COMPLETED, completed_at__isnull=False)
                | (~Q(status=ReferenceStatus.COMPLETED) & Q(completed_at__isnull=True)),
                name="reference_request_completed_at_iff_completed",
            ),
        ]
        indexes = [
            # The cap's window count (account, kind, requested_at) and the account's recent asks.
            models.Index(fields=["tenant", "account", "kind", "requested_at"], name="reference_request_cap_idx"),
            models.Index(fields=["tenant", "status", "requested_at"], name="reference_request_board_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.get_status_display()})"


class ReferenceSettings(TenantModel):
    """The tenant's reference program: the yearly cap on reference calls per account, the eligibility
    rules (a null threshold or a false flag switches a rule off) and the quarterly case-study target.
    A tenant without a row has the defaults above."""

    yearly_call_cap = models.PositiveSmallIntegerField(default=DEFAULT_CALL_CAP)
    nps_min = models.PositiveSmallIntegerField(
        null=True, blank=True, default=DEFAULT_NPS_MIN, help_text="Latest NPS at least this (blank: rule off)."
    )
    require_top_band = models.BooleanField(default=True, help_text="Health in the tenant's top band.")
    min_customer_months = models.PositiveSmallIntegerField(
        null=True, blank=True, default=DEFAULT_TENURE_MONTHS, help_text="Months as a customer (blank: rule off)."
    )
    require_willing_champion = models.BooleanField(
        default=True, help_text="An active champion contact marked willing to advocate."
    )
    case_study_quarterly_target = models.PositiveSmallIntegerField(default=DEFAULT_CASE_STUDY_TARGET)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant"], name="reference_settings_one_per_tenant"),
            models.CheckConstraint(condition=Q(nps_min__lte=10), name="reference_settings_nps_min_range"),
        ]


class AdvocateProfile(TenantModel):
    """A contact's willingness to advocate (Contact has no such field): the kinds they agreed to."""

    contact = models.ForeignKey("accounts.Contact", on_delete=models.CASCADE, related_name="advocate_profiles")
    willing = models.BooleanField(default=False)
    willing_since = models.DateField(null=True, blank=True)
    kinds = ArrayField(models.CharField(max_length=16, choices=ReferenceKind.choices), default=list, blank=True)
    notes = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "contact"], name="advocate_profile_one_per_contact")]

    def __str__(self) -> str:
        return f"{self.contact_id}: {'willing' if self.willing else 'not willing'}"


class RewardKind(models.TextChoices):
    """Handbook 000 "Reference Rewards"."""

    RENEWAL_CREDIT = "renewal_credit", "Discount or credit on renewal"
    GIFT = "gift", "Executive swag or gift"
    RECOGNITION = "recognition", "Public recognition"
    CONTENT = "content", "Co-authored content"
    OTHER = "other", "Other"


class ReferenceReward(TenantModel):
    """The rewards ledger: what was given, when, its value, to which contact and for which request."""

    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="reference_rewards")
    contact = models.ForeignKey(
        "accounts.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="reference_rewards"
    )
    request = models.ForeignKey(
        ReferenceRequest, null=True, blank=True, on_delete=models.SET_NULL, related_name="rewards"
    )
    kind = models.CharField(max_length=16, choices=RewardKind.choices)
    description = models.CharField(max_length=200)
    value = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"))
    given_on = models.DateField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-given_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(value__gte=0), name="reference_reward_value_not_negative"),
            models.CheckConstraint(condition=Q(kind__in=RewardKind.values), name="reference_reward_kind_valid"),
        ]
        indexes = [models.Index(fields=["tenant", "account", "given_on"], name="reference_reward_account_idx")]


class CaseStudyStage(models.TextChoices):
    IDENTIFIED = "identified", "Identified"
    INTERVIEW = "interview", "Interview"
    DRAFT = "draft", "Draft"
    CUSTOMER_REVIEW = "customer_review", "Customer review"
    APPROVED = "approved", "Approved"
    PUBLISHED = "published", "Published"


class CaseStudy(TenantModel):
    """A case study on its way to published (handbook 000 "Case Studies and ROI Documentation")."""

    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="case_studies")
    contact = models.ForeignKey(
        "accounts.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="case_studies"
    )
    request = models.ForeignKey(
        ReferenceRequest, null=True, blank=True, on_delete=models.SET_NULL, related_name="case_studies"
    )
    title = models.CharField(max_length=200)
    stage = models.CharField(max_length=16, choices=CaseStudyStage.choices, default=CaseStudyStage.IDENTIFIED)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    url = models.URLField(blank=True)
    notes = models.TextField(blank=True)
    stage_changed_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["stage_changed_at", "id"]
        verbose_name_plural = "case studies"
        constraints = [
            models.CheckConstraint(condition=Q(stage__in=CaseStudyStage.values), name="case_study_stage_valid"),
            models.CheckConstraint(
                condition=Q(stage=CaseStudyStage.PUBLISHED, published_at__isnull=False)
                | (~Q(stage=CaseStudyStage.PUBLISHED) & Q(published_at__isnull=True)),
                name="case_study_published_at_iff_published",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "stage"], name="case_study_stage_idx"),
            models.Index(fields=["tenant", "published_at"], name="case_study_published_idx"),
        ]

    def __str__(self) -> str:
        return self.title


class AdvocacyActivityKind(models.TextChoices):
    REVIEW = "review", "Review"
    REFERRAL = "referral", "Referral"


class AdvocacySource(models.TextChoices):
    G2 = "g2", "G2"
    CAPTERRA = "capterra", "Capterra"
    TRUSTRADIUS = "trustradius", "TrustRadius"
    GARTNER = "gartner_peer_insights", "Gartner Peer Insights"
    REFERRAL = "referral", "Referral"
    OTHER = "other", "Other"


class AdvocacyActivity(TenantModel):
    """A review posted or a referral given, with its source (G2, Capterra, TrustRadius, a referral...)."""

    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="advocacy_activities")
    contact = models.ForeignKey(
        "accounts.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="advocacy_activities"
    )
    request = models.ForeignKey(
        ReferenceRequest, null=True, blank=True, on_delete=models.SET_NULL, related_name="advocacy_activities"
    )
    kind = models.CharField(max_length=16, choices=AdvocacyActivityKind.choices)
    source = models.CharField(max_length=32, choices=AdvocacySource.choices)
    occurred_on = models.DateField()
    rating = models.DecimalField(
        max_digits=2, decimal_places=1, null=True, blank=True, help_text="A review's stars, 0-5."
    )
    url = models.URLField(blank=True)
    referred_company = models.CharField(max_length=200, blank=True, help_text="Who a referral introduced.")
    notes = models.TextField(blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-occurred_on", "-id"]
        verbose_name_plural = "advocacy activities"
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=AdvocacyActivityKind.values), name="advocacy_activity_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(source__in=AdvocacySource.values), name="advocacy_activity_source_valid"
            ),
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=0, rating__lte=5),
                name="advocacy_activity_rating_range",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "account", "occurred_on"], name="advocacy_activity_account_idx"),
            models.Index(fields=["tenant", "kind", "source"], name="advocacy_activity_source_idx"),
        ]
