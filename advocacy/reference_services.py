"""Writes of reference requests, the program's settings and contacts' willingness to advocate.

* ``reference_request_create``: a ``reference_call`` (not declined) is refused, 400 naming ``account``, when
  the account already has the tenant's yearly cap of counted calls in the window ending at its
  ``requested_at`` (``advocacy.reference_rules``). The count runs under a lock on the account row
  (``SELECT ... FOR UPDATE``), taken by the service itself, so two concurrent requests for the same
  account serialise and the second sees the first: the cap cannot be passed.
* ``reference_request_update``: the caller passes the request fetched with ``access_reference_request(...,
  for_write=True)`` (locked). Status moves follow ``reference_rules.TRANSITIONS`` (409 otherwise);
  ``completed`` stamps ``completed_at`` and writes the account's timeline entry. ``account``, ``kind`` and
  ``requested_at`` are fixed once requested (the cap was checked for them).
* ``reference_settings_update`` and ``advocate_profile_set``.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.db import transaction
from django.utils import timezone

from accounts.models import Account, ActivityKind, Contact
from accounts.services import activity_record
from advocacy import reference_selectors as selectors
from advocacy.models import (
    AdvocateProfile,
    ReferenceKind,
    ReferenceRequest,
    ReferenceSettings,
    ReferenceStatus,
)
from advocacy.reference_rules import can_move, cap_window
from base.errors import DomainError, InvalidTransition
from tenancy.models import User

SOURCE = "advocacy"
CLOCK_SKEW = timedelta(minutes=5)
EDITABLE = ("contact", "status", "notes", "outcome", "completed_at")
FIXED = ("account", "kind", "requested_at")
MAX_CAP = 100


def _check_contact(account: Account, contact: Contact | None) -> None:
    if contact is None:
        raise DomainError("Choose the contact to ask.", field="contact")
    if contact.account_id != account.pk:
        raise DomainError("This contact is not one of the account's contacts.", field="contact")


def _lock_account(account: Account) -> None:
    """Serialise the cap check of one account: a row lock held until the caller's transaction ends."""
    Account.objects.select_for_update(of=("self",)).filter(pk=account.pk).values_list("pk", flat=True).first()


def check_call_cap(*, account: Account, requested_at: datetime) -> None:
    cap = selectors.reference_settings().yearly_call_cap
    used = selectors.counted_calls(account_id=account.pk, at=requested_at).count()
    if used >= cap:
        start, _ = cap_window(requested_at)
        raise DomainError(
            f"{account.name} already has {used} reference call{'s' if used != 1 else ''} (not declined) requested "
            f"between {start:%Y-%m-%d %H:%M} UTC and this request: the yearly cap is {cap}.",
            field="account",
        )


@transaction.atomic
def reference_request_create(
    *,
    account: Account,
    contact: Contact | None,
    kind: str,
    status: str = ReferenceStatus.REQUESTED,
    requested_at: datetime | None = None,
    notes: str = "",
    outcome: str = "",
    completed_at: datetime | None = None,
    actor: User | None = None,
) -> ReferenceRequest:
    if kind not in ReferenceKind.values:
        raise DomainError(f"Unknown kind {kind!r}.", field="kind")
    if status not in ReferenceStatus.values:
        raise DomainError(f"Unknown status {status!r}.", field="status")
    _check_contact(account, contact)
    now = timezone.now()
    requested_at = requested_at or now
    if requested_at > now + CLOCK_SKEW:
        raise DomainError("A request cannot be requested in the future.", field="requested_at")
    if completed_at is not None and status != ReferenceStatus.COMPLETED:
        raise DomainError("Only a completed request has a completion time.", field="completed_at")
    _check_completed_at(completed_at, requested_at=requested_at, now=now)
    if kind == ReferenceKind.REFERENCE_CALL and status != ReferenceStatus.DECLINED:
        _lock_account(account)
        check_call_cap(account=account, requested_at=requested_at)
    request = ReferenceRequest.objects.create(
        account=account, contact=contact, kind=kind, status=status, requested_at=requested_at, notes=notes,
        outcome=outcome, requested_by=actor,
        completed_at=(completed_at or now) if status == ReferenceStatus.COMPLETED else None,
    )
    if status == ReferenceStatus.COMPLETED:
        _record_completion(request, actor=actor)
    return request


@transaction.atomic
def reference_request_update(*, request: ReferenceRequest, actor: User | None = None, **changes) -> ReferenceRequest:
    """Apply ``changes`` (contact, status, notes, outcome, completed_at) to a locked request."""
    fixed = [name for name in FIXED if name in changes and changes[name] != getattr(request, name)]
    if fixed:
        raise DomainError(f"{fixed[0].replace('_', ' ').capitalize()} cannot change once requested.", field=fixed[0])
    for name in FIXED:
        changes.pop(name, None)
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise DomainError(f"Cannot change {', '.join(sorted(unknown))}.", field=sorted(unknown)[0])
    if "contact" in changes:
        _check_contact(request.account, changes["contact"])
        request.contact = changes.pop("contact")
    status = changes.pop("status", request.status)
    completed_at = changes.pop("completed_at", None)
    for name, value in changes.items():
        setattr(request, name, value)
    completing = status != request.status and status == ReferenceStatus.COMPLETED
    if status != request.status:
        if status not in ReferenceStatus.values:
            raise DomainError(f"Unknown status {status!r}.", field="status")
        if not can_move(request.status, status):
            raise InvalidTransition(
                f"A {request.get_status_display().lower()} request cannot move to {status}.", field="status"
            )
        request.status = status
    _check_completed_at(completed_at, requested_at=request.requested_at, now=timezone.now())
    if completing:
        request.completed_at = completed_at or timezone.now()
    elif completed_at is not None and request.status == ReferenceStatus.COMPLETED:
        request.completed_at = completed_at
    elif completed_at is not None:
        raise DomainError("Only a completed request has a completion time.", field="completed_at")
    request.save()
    if completing:
        _record_completion(request, actor=actor)
    return request


def _check_completed_at(completed_at: datetime | None, *, requested_at: datetime, now: datetime) -> None:
    if completed_at is None:
        return
    if completed_at < requested_at:
        raise DomainError("A request is completed after it was requested.", field="completed_at")
    if completed_at > now + CLOCK_SKEW:
        raise DomainError("The completion time cannot be in the future.", field="completed_at")


def _record_completion(request: ReferenceRequest, *, actor: User | None) -> None:
    contact = request.contact.name if request.contact_id else "a contact"
    activity_record(
        account=request.account, kind=ActivityKind.SYSTEM, actor=actor, occurred_at=request.completed_at,
        subject=f"{request.get_kind_display()} completed",
        body=f"{contact} completed a {request.get_kind_display().lower()}."
             + (f" Outcome: {request.outcome}" if request.outcome else ""),
        source=SOURCE, ref_type="reference_request", ref_id=request.pk,
        metadata={"kind": request.kind, "contact_id": request.contact_id},
    )


# --- settings ---------------------------------------------------------------------------------------

SETTINGS_FIELDS = (
    "yearly_call_cap", "nps_min", "require_top_band", "min_customer_months", "require_willing_champion",
    "case_study_quarterly_target",
)


def _whole(value, field: str, low: int, high: int, *, nullable: bool = False) -> int | None:
    if value is None and nullable:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise DomainError(f"A whole number from {low} to {high}{' (or empty)' if nullable else ''}.", field=field)
    return value


@transaction.atomic
def reference_settings_update(*, actor: User | None = None, **changes) -> ReferenceSettings:
    """Store the tenant's cap, eligibility rules and case-study target (validated before anything is saved)."""
    unknown = set(changes) - set(SETTINGS_FIELDS)
    if unknown:
        raise DomainError(f"Unknown setting {sorted(unknown)[0]}.", field=sorted(unknown)[0])
    cleaned: dict = {}
    for name, value in changes.items():
        if name == "yearly_call_cap":
            cleaned[name] = _whole(value, name, 0, MAX_CAP)
        elif name == "nps_min":
            cleaned[name] = _whole(value, name, 0, 10, nullable=True)
        elif name == "min_customer_months":
            cleaned[name] = _whole(value, name, 0, 600, nullable=True)
        elif name == "case_study_quarterly_target":
            cleaned[name] = _whole(value, name, 0, 1000)
        elif not isinstance(value, bool):
            raise DomainError("Yes or no (true or false).", field=name)
        else:
            cleaned[name] = value
    row = ReferenceSettings.objects.select_for_update().first() or ReferenceSettings()
    for name, value in cleaned.items():
        setattr(row, name, value)
    row.save()
    return row


# --- willingness ------------------------------------------------------------------------------------


@transaction.atomic
def advocate_profile_set(
    *,
    contact: Contact,
    willing: bool,
    kinds: list[str] | None = None,
    notes: str | None = None,
    willing_since: date | None = None,
    actor: User | None = None,
) -> AdvocateProfile:
    """Mark a contact willing (or not) to advocate, with the kinds they agreed to (idempotent)."""
    kinds = list(dict.fromkeys(kinds or []))
    bad = [k for k in kinds if k not in ReferenceKind.values]
    if bad:
        raise DomainError(f"Unknown kind {bad[0]!r}.", field="kinds")
    profile, _ = AdvocateProfile.objects.select_for_update().get_or_create(contact=contact)
    if willing and not profile.willing:
        profile.willing_since = willing_since or timezone.localdate()
    elif not willing:
        profile.willing_since = None
    elif willing_since is not None:
        profile.willing_since = willing_since
    profile.willing = willing
    profile.kinds = kinds
    if notes is not None:
        profile.notes = notes
    profile.save()
    return profile
