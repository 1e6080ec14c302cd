"""The CSM's sentiment: their read of an account (1-5), a scorecard source until it expires."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from accounts.models import Account, ActivityKind
from accounts.services import activity_record
from base.errors import DomainError
from health.models import Sentiment
from health.services.recompute import recompute_health
from tenancy.context import get_current_tenant
from tenancy.models import User

DEFAULT_SENTIMENT_DAYS = 90


@transaction.atomic
def sentiment_set(
    *, account: Account, score: int, note: str = "", expires_at: datetime | None = None,
    expires_in_days: int | None = None, actor: User | None = None,
) -> Sentiment:
    """Record the CSM's read of the account (1-5), valid until it expires (default 90 days), and recompute
    that account's health at once."""
    if not isinstance(score, int) or isinstance(score, bool) or not 1 <= score <= 5:
        raise DomainError("Sentiment is a whole number from 1 (very negative) to 5 (very positive).", field="score")
    now = timezone.now()
    if expires_at is None:
        days = expires_in_days if expires_in_days is not None else DEFAULT_SENTIMENT_DAYS
        if not 1 <= days <= 365:
            raise DomainError("Expiry must be 1 to 365 days ahead.", field="expires_in_days")
        expires_at = now + timedelta(days=days)
    elif expires_at <= now:
        raise DomainError("The expiry must be in the future.", field="expires_at")
    sentiment = Sentiment.objects.create(
        tenant=get_current_tenant(), account=account, score=score, note=note.strip(), author=actor,
        created_at=now, expires_at=expires_at,
    )
    activity_record(
        account=account, kind=ActivityKind.SYSTEM, subject=f"CSM sentiment set to {score}/5", body=sentiment.note,
        actor=actor, source="health", ref_type="sentiment", ref_id=sentiment.pk,
    )
    # One account is cheap to score: do it now, in this transaction, so the caller (the account page,
    # the API) shows the score the new sentiment makes, instead of a debounced task's ~30 s later.
    recompute_health(tenant=get_current_tenant(), account_ids=[account.pk])
    return sentiment
