"""Writes of the rest of the reference program: the rewards ledger, the case-study pipeline, reviews and
referrals with their source. Every object names an account; a contact or request it names must be that
account's (400 naming the field otherwise). Each write is atomic and writes its timeline entry."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from accounts.models import Account, ActivityKind, Contact
from accounts.services import activity_record
from advocacy.models import (
    AdvocacyActivity,
    AdvocacyActivityKind,
    AdvocacySource,
    CaseStudy,
    CaseStudyStage,
    ReferenceRequest,
    ReferenceReward,
    RewardKind,
)
from base.errors import DomainError
from tenancy.models import User

SOURCE = "advocacy"
MAX_VALUE = Decimal("9999999999.99")


def _check_links(account: Account, *, contact: Contact | None = None, request: ReferenceRequest | None = None) -> None:
    if contact is not None and contact.account_id != account.pk:
        raise DomainError("This contact is not one of the account's contacts.", field="contact")
    if request is not None and request.account_id != account.pk:
        raise DomainError("This reference request is another account's.", field="request")


def _check_date(value: date | None, field: str) -> date:
    if value is None:
        raise DomainError("A date is required.", field=field)
    if value > timezone.localdate():
        raise DomainError("The date cannot be in the future.", field=field)
    return value


# --- rewards ----------------------------------------------------------------------------------------


@transaction.atomic
def reward_record(
    *,
    account: Account,
    kind: str,
    description: str,
    value: Decimal = Decimal("0"),
    given_on: date | None = None,
    contact: Contact | None = None,
    request: ReferenceRequest | None = None,
    actor: User | None = None,
) -> ReferenceReward:
    """Add a reward to the ledger (what was given, when, its value, to whom, for which request)."""
    if kind not in RewardKind.values:
        raise DomainError(f"Unknown reward kind {kind!r}.", field="kind")
    if not description.strip():
        raise DomainError("Say what was given.", field="description")
    if value is None or value < 0 or value > MAX_VALUE:
        raise DomainError("The value is an amount of 0 or more.", field="value")
    _check_links(account, contact=contact, request=request)
    given_on = _check_date(given_on or timezone.localdate(), "given_on")
    reward = ReferenceReward.objects.create(
        account=account, contact=contact, request=request, kind=kind, description=description.strip(), value=value,
        given_on=given_on, recorded_by=actor,
    )
    activity_record(
        account=account, kind=ActivityKind.SYSTEM, actor=actor, subject="Reference reward given",
        body=f"{reward.get_kind_display()}: {reward.description} ({value})"
             + (f" to {contact.name}" if contact else "") + ".",
        source=SOURCE, ref_type="reference_reward", ref_id=reward.pk,
    )
    return reward


# --- case studies -----------------------------------------------------------------------------------

CASE_STUDY_EDITABLE = ("title", "stage", "owner", "url", "notes", "contact")


@transaction.atomic
def case_study_create(
    *,
    account: Account,
    title: str,
    stage: str = CaseStudyStage.IDENTIFIED,
    contact: Contact | None = None,
    request: ReferenceRequest | None = None,
    owner: User | None = None,
    url: str = "",
    notes: str = "",
    actor: User | None = None,
) -> CaseStudy:
    if not title.strip():
        raise DomainError("Give the case study a title.", field="title")
    if stage not in CaseStudyStage.values:
        raise DomainError(f"Unknown stage {stage!r}.", field="stage")
    _check_links(account, contact=contact, request=request)
    study = CaseStudy.objects.create(
        account=account, title=title.strip(), contact=contact, request=request, owner=owner or account.csm, url=url,
        notes=notes, stage=CaseStudyStage.IDENTIFIED,
    )
    if stage != CaseStudyStage.IDENTIFIED:
        _move(study, stage, actor=actor)
        study.save()
    return study


@transaction.atomic
def case_study_update(*, study: CaseStudy, actor: User | None = None, **changes) -> CaseStudy:
    """Apply ``changes`` to a locked case study. Any stage may follow any other (a draft can go back to
    interview); publishing stamps ``published_at`` and writes the timeline, leaving published clears it."""
    unknown = set(changes) - set(CASE_STUDY_EDITABLE)
    if unknown:
        raise DomainError(f"Cannot change {', '.join(sorted(unknown))}.", field=sorted(unknown)[0])
    if "title" in changes and not (changes["title"] or "").strip():
        raise DomainError("Give the case study a title.", field="title")
    if "contact" in changes:
        _check_links(study.account, contact=changes["contact"])
    stage = changes.pop("stage", study.stage)
    if stage not in CaseStudyStage.values:
        raise DomainError(f"Unknown stage {stage!r}.", field="stage")
    for name, value in changes.items():
        setattr(study, name, value)
    if stage != study.stage:
        _move(study, stage, actor=actor)
    study.save()
    return study


def _move(study: CaseStudy, stage: str, *, actor: User | None) -> None:
    now = timezone.now()
    study.stage, study.stage_changed_at = stage, now
    if stage == CaseStudyStage.PUBLISHED:
        study.published_at = now
        activity_record(
            account=study.account, kind=ActivityKind.SYSTEM, actor=actor, subject="Case study published",
            body=f"“{study.title}” was published." + (f" {study.url}" if study.url else ""),
            source=SOURCE, ref_type="case_study", ref_id=study.pk,
        )
    else:
        study.published_at = None


# --- reviews and referrals --------------------------------------------------------------------------


@transaction.atomic
def advocacy_activity_record(
    *,
    account: Account,
    kind: str,
    source: str,
    occurred_on: date | None = None,
    contact: Contact | None = None,
    request: ReferenceRequest | None = None,
    rating: Decimal | None = None,
    url: str = "",
    referred_company: str = "",
    notes: str = "",
    actor: User | None = None,
) -> AdvocacyActivity:
    """Record a review (on G2, Capterra, TrustRadius...) or a referral, with its source."""
    if kind not in AdvocacyActivityKind.values:
        raise DomainError(f"Unknown kind {kind!r}.", field="kind")
    if source not in AdvocacySource.values:
        raise DomainError(f"Unknown source {source!r}.", field="source")
    if kind == AdvocacyActivityKind.REFERRAL and not referred_company.strip():
        raise DomainError("Name the company the customer referred.", field="referred_company")
    if rating is not None and not Decimal("0") <= rating <= Decimal("5"):
        raise DomainError("A rating is from 0 to 5.", field="rating")
    _check_links(account, contact=contact, request=request)
    occurred_on = _check_date(occurred_on or timezone.localdate(), "occurred_on")
    activity = AdvocacyActivity.objects.create(
        account=account, contact=contact, request=request, kind=kind, source=source, occurred_on=occurred_on,
        rating=rating, url=url, referred_company=referred_company.strip(), notes=notes, recorded_by=actor,
    )
    label = AdvocacySource(source).label
    activity_record(
        account=account, kind=ActivityKind.SYSTEM, actor=actor,
        subject=f"Review on {label}" if kind == AdvocacyActivityKind.REVIEW else "Referral given",
        body=(f"Rated {rating}/5. " if rating is not None else "")
             + (f"Referred {activity.referred_company}. " if activity.referred_company else "") + (notes or ""),
        source=SOURCE, ref_type="advocacy_activity", ref_id=activity.pk,
    )
    return activity
