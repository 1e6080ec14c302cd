"""Writes of the expansion pipeline.

* ``opportunity_create`` / ``opportunity_update``: the caller passes the opportunity fetched with
  ``access_opportunity(..., for_write=True)`` (locked), inside the same transaction.
* Moving to ``won`` writes, once, an ``expansion`` ARR movement through ``renewals.ledger_services.movement_create``
  (source ``opportunity``, ref to the opportunity; the account's ARR follows), except one-time kinds
  (professional services), reported beside ARR and never in it. ``won`` and ``lost`` are final: any later
  change is 409 (``InvalidTransition``), so under two concurrent "won" PATCHes the second, waiting on the
  row lock, finds it won and writes nothing.
* ``opportunity_settings_update``: the tenant's stage probabilities and trigger thresholds.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from accounts.models import Account
from base.errors import DomainError, InvalidTransition
from renewals import expansion_triggers
from renewals.ledger_services import MAX_AMOUNT, movement_create
from renewals.models import MovementKind, MovementSource, Opportunity, OpportunitySettings
from renewals.models.opportunities import DEFAULT_STAGE_PROBABILITIES, OpportunityKind, OpportunityStage
from tenancy.context import get_current_tenant
from tenancy.models import User

EDITABLE = ("title", "kind", "stage", "amount", "close_date", "owner")


def _check(*, kind: str, stage: str, amount: Decimal | None, close_date: date | None) -> None:
    if kind not in OpportunityKind.values:
        raise DomainError(f"Unknown kind {kind!r}.", field="kind")
    if stage not in OpportunityStage.values:
        raise DomainError(f"Unknown stage {stage!r}.", field="stage")
    if amount is None or amount <= 0 or amount > MAX_AMOUNT:
        raise DomainError("The amount must be above 0.", field="amount")
    if close_date is None:
        raise DomainError("A close date is required.", field="close_date")


@transaction.atomic
def opportunity_create(
    *,
    account: Account,
    kind: str,
    amount: Decimal,
    close_date: date,
    stage: str = OpportunityStage.IDENTIFY,
    title: str = "",
    owner: User | None = None,
    actor: User | None = None,
) -> Opportunity:
    _check(kind=kind, stage=stage, amount=amount, close_date=close_date)
    opportunity = Opportunity.objects.create(
        account=account, kind=kind, stage=OpportunityStage.IDENTIFY, amount=amount, close_date=close_date,
        title=title, owner=owner if owner is not None else account.csm,
    )
    if stage != OpportunityStage.IDENTIFY:
        _move(opportunity, stage=stage, actor=actor)
        opportunity.save()
    return opportunity


@transaction.atomic
def opportunity_update(*, opportunity: Opportunity, actor: User | None = None, **changes) -> Opportunity:
    """Apply ``changes`` (any of title, kind, stage, amount, close_date, owner) to a locked opportunity."""
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise DomainError(f"Cannot change {', '.join(sorted(unknown))}.", field=sorted(unknown)[0])
    if opportunity.is_closed:
        raise InvalidTransition(
            f"This opportunity is {opportunity.stage}: won and lost are final.",
            field="stage" if "stage" in changes else next(iter(changes), "stage"),
        )
    stage = changes.pop("stage", opportunity.stage)
    for name, value in changes.items():
        setattr(opportunity, name, value)
    _check(kind=opportunity.kind, stage=stage, amount=opportunity.amount, close_date=opportunity.close_date)
    if stage != opportunity.stage:
        _move(opportunity, stage=stage, actor=actor)
    opportunity.save()
    return opportunity


def _move(opportunity: Opportunity, *, stage: str, actor: User | None) -> None:
    """Set the stage; closing stamps ``won_at``/``lost_at`` and a won recurring kind writes its movement."""
    opportunity.stage = stage
    now = timezone.now()
    if stage == OpportunityStage.LOST:
        opportunity.lost_at = now
    elif stage == OpportunityStage.WON:
        opportunity.won_at = now
        if not opportunity.is_one_time:
            movement_create(
                account=opportunity.account, date=timezone.localdate(), kind=MovementKind.EXPANSION,
                amount=opportunity.amount, actor=actor, source=MovementSource.OPPORTUNITY, ref_type="opportunity",
                ref_id=opportunity.pk,
            )


# --- settings ---------------------------------------------------------------------------------------


def _clean_probabilities(values: dict) -> dict[str, int]:
    if not isinstance(values, dict):
        raise DomainError("Stage probabilities are an object of stage: percent.", field="stage_probabilities")
    cleaned = {}
    for stage, value in values.items():
        if stage not in DEFAULT_STAGE_PROBABILITIES:
            raise DomainError(f"Unknown stage {stage!r}.", field="stage_probabilities")
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 100:
            raise DomainError(f"{stage}: a whole percent from 0 to 100.", field="stage_probabilities")
        cleaned[stage] = value
    return cleaned


@transaction.atomic
def opportunity_settings_update(
    *, stage_probabilities: dict | None = None, trigger_params: dict | None = None, actor: User | None = None,
) -> OpportunitySettings:
    """Store the tenant's stage probabilities and/or trigger thresholds (validated; 400 naming the field)."""
    # The tenant's one row, created if missing (two first saves at once: the second waits on the unique key,
    # then finds it), then locked, so concurrent saves apply one after the other.
    created, _ = OpportunitySettings.objects.get_or_create(tenant=get_current_tenant())
    row = OpportunitySettings.objects.select_for_update().get(pk=created.pk)
    if stage_probabilities is not None:
        row.stage_probabilities = {**row.stage_probabilities, **_clean_probabilities(stage_probabilities)}
    if trigger_params is not None:
        row.trigger_params = {**row.trigger_params, **expansion_triggers.clean_params(trigger_params)}
    row.save()
    return row
