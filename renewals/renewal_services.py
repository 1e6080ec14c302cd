"""Renewals' writes (API.md "Renewals and retention"):

* ``renewal_settings_update``: the tenant's window, term, motions (steps per offset) and churn reasons.
* ``renewal_create`` / ``renewal_update``: the API's create and PATCH (stage, forecast override with a
  reason, and the outcome through ``renewal_record_outcome``).
* ``renewal_record_outcome``: once per renewal, in one transaction: the ARR movement (through the ledger),
  the account's ARR, status or next renewal date, the renewal closed; a second outcome is 409.
* ``renewal_on_account_changed``: the "account changed" hook: an open renewal's contract end and its
  motions follow the account's renewal date.

The daily job's set-based work is in ``renewals.renewal_jobs``.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.models import (
    Account,
    AccountStatus,
    ActivityKind,
    Task,
    TaskPriority,
    TaskSource,
)
from accounts.services import CtaRow, account_update, activity_record, cta_open_bulk, tasks_close_by_key
from base.errors import DomainError
from renewals import ledger_services, renewal_events
from renewals import renewal_selectors as selectors
from renewals.cadence_dates import add_months
from renewals.models import (
    Forecast,
    MovementKind,
    MovementSource,
    Renewal,
    RenewalOutcome,
    RenewalSettings,
    RenewalStage,
)
from tenancy.context import get_current_tenant
from tenancy.models import User

MAX_WINDOW_DAYS = 730
MAX_TERM_MONTHS = 120
MAX_MOTIONS = 12
MAX_STEPS = 30
STEP_LENGTH = 200
MAX_REASONS = 50
REASON_LENGTH = 100
MAX_ARR = Decimal("999999999999.99")
OPEN_STAGES = (RenewalStage.OPEN, RenewalStage.IN_PROGRESS, RenewalStage.NEGOTIATION)


# --------------------------------------------------------------------------- settings


def _int(value: Any, field: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise DomainError(f"A whole number between {low} and {high}.", field=field)
    return value


def clean_motions(value: Any) -> list[dict]:
    """``[{"offset": days before the contract end, "steps": [titles]}]``, offsets unique, latest first."""
    if not isinstance(value, list) or len(value) > MAX_MOTIONS:
        raise DomainError(f"Motions are a list of at most {MAX_MOTIONS} offsets with steps.", field="motions")
    motions, offsets = [], set()
    for motion in value:
        if not isinstance(motion, dict):
            raise DomainError('Each motion is {"offset": days, "steps": [...]}.', field="motions")
        offset = _int(motion.get("offset"), "motions", 0, MAX_WINDOW_DAYS)
        steps = motion.get("steps")
        if not isinstance(steps, list) or not all(isinstance(s, str) for s in steps):
            raise DomainError("Steps are a list of step titles.", field="motions")
        steps = [s.strip() for s in steps if s.strip()]
        if not steps or len(steps) > MAX_STEPS or any(len(s) > STEP_LENGTH for s in steps):
            raise DomainError(f"Each motion has 1 to {MAX_STEPS} steps of at most {STEP_LENGTH} characters.",
                              field="motions")
        if offset in offsets:
            raise DomainError(f"Two motions at {offset} days.", field="motions")
        offsets.add(offset)
        motions.append({"offset": offset, "steps": steps})
    return sorted(motions, key=lambda m: -m["offset"])


def clean_reasons(value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(r, str) for r in value):
        raise DomainError("Churn reasons are a list of names.", field="churn_reasons")
    reasons = list(dict.fromkeys(r.strip() for r in value if r.strip()))
    if len(reasons) > MAX_REASONS or any(len(r) > REASON_LENGTH for r in reasons):
        raise DomainError(f"At most {MAX_REASONS} reasons of {REASON_LENGTH} characters.", field="churn_reasons")
    return reasons


@transaction.atomic
def renewal_settings_update(*, actor: User | None = None, **data: Any) -> RenewalSettings:
    """Validate every given field (400 naming it, nothing written), then save the tenant's one row."""
    current = selectors.renewal_settings_get()
    cleaned = {
        "window_days": _int(data.get("window_days", current.window_days), "window_days", 1, MAX_WINDOW_DAYS),
        "term_months": _int(data.get("term_months", current.term_months), "term_months", 1, MAX_TERM_MONTHS),
        "motions": clean_motions(data.get("motions", current.motions)),
        "churn_reasons": clean_reasons(data.get("churn_reasons", current.churn_reasons)),
    }
    settings, _ = RenewalSettings.objects.update_or_create(tenant=get_current_tenant(), defaults=cleaned)
    return settings


# --------------------------------------------------------------------------- motions


def motion_key(renewal_id: int, offset: int) -> str:
    return f"{selectors.MOTION_PREFIX.format(id=renewal_id)}{offset}"


def risk_key(renewal_id: int) -> str:
    return f"renewal:{renewal_id}:risk"


def motion_ctas(*, renewals: list[dict], motions: list[dict]) -> list[CtaRow]:
    """Motion CTAs to open: one per renewal and offset, owned by the account's CSM, due ``offset`` days
    before the contract end, its steps in the description. ``renewals``: dicts with ``id``,
    ``account_id``, ``csm_id``, ``contract_end`` (light rows, not model instances: the daily job's first run
    opens tens of thousands)."""
    titles = {m["offset"]: f"Renewal, {m['offset']} days out: {', '.join(m['steps'])}"[:200] for m in motions}
    steps = {m["offset"]: "\n".join(f"{i}. {step}" for i, step in enumerate(m["steps"], 1)) for m in motions}
    ctas = []
    for renewal in renewals:
        end = renewal["contract_end"]
        for motion in motions:
            offset = motion["offset"]
            ctas.append(CtaRow(
                account_id=renewal["account_id"], owner_id=renewal["csm_id"], source=TaskSource.RENEWAL,
                title=titles[offset], description=f"Contract ends {end.isoformat()}.\n\nSteps:\n{steps[offset]}",
                due_date=end - timedelta(days=offset), priority=TaskPriority.MEDIUM,
                dedupe_key=motion_key(renewal["id"], offset),
            ))
    return ctas


def _open_motions(renewal: Renewal, account: Account) -> dict[str, int]:
    row = {"id": renewal.pk, "account_id": account.pk, "csm_id": account.csm_id, "contract_end": renewal.contract_end}
    return cta_open_bulk(ctas=motion_ctas(renewals=[row], motions=selectors.renewal_settings_get().motions))


# --------------------------------------------------------------------------- create and edit


def _clean_arr(value: Any, field: str) -> Decimal:
    if value is None or not isinstance(value, Decimal | int) or isinstance(value, bool) or not 0 <= value <= MAX_ARR:
        raise DomainError("An amount between 0 and 999,999,999,999.99.", field=field)
    return Decimal(value)


def _override_forecast(renewal: Renewal, *, forecast: Any, reason: Any, actor: User | None) -> None:
    if forecast not in Forecast.values:
        raise DomainError(f"One of {', '.join(Forecast.values)}.", field="forecast")
    reason = str(reason or "").strip()
    if not reason:
        raise DomainError("Say why the forecast differs from the health band (forecast_reason).",
                          field="forecast_reason")
    renewal.forecast, renewal.forecast_reason = forecast, reason
    renewal.forecast_overridden_by, renewal.forecast_overridden_at = actor, timezone.now()
    renewal.forecast_changed = True


def _record_forecast(renewal: Renewal, *, actor: User | None) -> None:
    """The override on the account's timeline (the renewal page's forecast history)."""
    if getattr(renewal, "forecast_changed", False):
        activity_record(
            account=renewal.account, kind=ActivityKind.SYSTEM, actor=actor, source="renewals",
            subject=f"Renewal forecast: {renewal.get_forecast_display()}"[:200], body=renewal.forecast_reason,
            ref_type="renewal", ref_id=renewal.pk, metadata={"forecast": renewal.forecast},
        )
        renewal.forecast_changed = False


@transaction.atomic
def renewal_create(
    *, account: Account, contract_end: date, actor: User | None = None, arr: Decimal | None = None,
    stage: str = RenewalStage.OPEN, forecast: str | None = None, forecast_reason: str = "", churn_reason: str = "",
) -> Renewal:
    """Open a renewal by hand (the account fetched for write: locked), with its motions for the CSM."""
    if account.status != AccountStatus.ACTIVE:
        raise DomainError("Only an active account has a renewal.", field="account")
    if Renewal.objects.filter(account=account, contract_end=contract_end).exists():
        raise DomainError("This account already has a renewal for that contract end.", field="contract_end")
    if selectors.open_renewal_for_account(account_id=account.pk) is not None:
        raise DomainError("This account already has an open renewal.", field="account")
    if stage not in OPEN_STAGES:
        raise DomainError(f"One of {', '.join(OPEN_STAGES)} (an outcome closes a renewal).", field="stage")
    top, bottom = selectors.band_keys()
    renewal = Renewal(
        tenant=get_current_tenant(), account=account, contract_end=contract_end, stage=stage,
        arr=account.arr if arr is None else _clean_arr(arr, "arr"), churn_reason=churn_reason or "",
        forecast=selectors.forecast_for_band(account.health_status, top=top, bottom=bottom),
    )
    if forecast is not None:
        _override_forecast(renewal, forecast=forecast, reason=forecast_reason, actor=actor)
    renewal.save()
    _record_forecast(renewal, actor=actor)
    _open_motions(renewal, account)
    renewal_events.publish_if_became_at_risk(renewal, before=None)
    return renewal


@transaction.atomic
def renewal_update(*, renewal: Renewal, actor: User | None = None, **data: Any) -> Renewal:
    """The API's PATCH on a renewal fetched for write (locked). Recording an ``outcome`` closes it (once:
    any later change but the churn reason is 409)."""
    if renewal.outcome is not None and set(data) - {"churn_reason"}:
        raise DomainError("This renewal's outcome is already recorded.", field="outcome", status_code=409)
    if "renewed_arr" in data and "outcome" not in data:
        raise DomainError("renewed_arr is recorded with the outcome.", field="outcome")
    forecast_before = renewal.forecast
    if "stage" in data:
        if data["stage"] not in OPEN_STAGES:
            raise DomainError(f"One of {', '.join(OPEN_STAGES)} (recording the outcome closes it).", field="stage")
        renewal.stage = data["stage"]
    if "forecast" in data:
        _override_forecast(renewal, forecast=data["forecast"], reason=data.get("forecast_reason"), actor=actor)
    elif "forecast_reason" in data:
        if renewal.forecast_overridden_at is None:
            raise DomainError("A reason goes with a forecast override (send forecast too).", field="forecast_reason")
        _override_forecast(renewal, forecast=renewal.forecast, reason=data["forecast_reason"], actor=actor)
    if "churn_reason" in data:
        renewal.churn_reason = str(data["churn_reason"] or "").strip()
    renewal.save()
    _record_forecast(renewal, actor=actor)
    renewal_events.publish_if_became_at_risk(renewal, before=forecast_before)
    if "outcome" in data:
        return renewal_record_outcome(
            renewal=renewal, outcome=data["outcome"], renewed_arr=data.get("renewed_arr"),
            churn_reason=renewal.churn_reason, actor=actor,
        )
    return renewal


# --------------------------------------------------------------------------- the outcome


def _movement(outcome: str, *, current: Decimal, renewed_arr: Decimal | None) -> tuple[Decimal, str | None]:
    """The renewed ARR and the ledger movement kind the outcome needs; 400 when they do not match."""
    if outcome == RenewalOutcome.CHURNED:
        if renewed_arr not in (None, 0):
            raise DomainError("A churned renewal has no renewed ARR (0 or omitted).", field="renewed_arr")
        return Decimal("0"), (MovementKind.CHURN if current > 0 else None)
    if outcome == RenewalOutcome.RENEWED:
        renewed = current if renewed_arr is None else _clean_arr(renewed_arr, "renewed_arr")
        if renewed != current:
            raise DomainError(f"Renewed means the same ARR ({current}); use expanded or downgraded.",
                              field="renewed_arr")
        return renewed, None
    if renewed_arr is None:
        raise DomainError(f"An {outcome} renewal needs its renewed_arr.", field="renewed_arr")
    renewed = _clean_arr(renewed_arr, "renewed_arr")
    if outcome == RenewalOutcome.EXPANDED and renewed <= current:
        raise DomainError(f"Expanded needs a renewed ARR above the current {current}.", field="renewed_arr")
    if outcome == RenewalOutcome.DOWNGRADED and not 0 < renewed < current:
        raise DomainError(f"Downgraded needs a renewed ARR between 0 and the current {current} (0 is churned).",
                          field="renewed_arr")
    return renewed, (MovementKind.EXPANSION if outcome == RenewalOutcome.EXPANDED else MovementKind.CONTRACTION)


@transaction.atomic
def renewal_record_outcome(
    *, renewal: Renewal, outcome: Any, renewed_arr: Decimal | None = None, churn_reason: str = "",
    actor: User | None = None,
) -> Renewal:
    """Record the outcome once (``renewal`` locked by the caller; the account is locked here). Writes the
    ARR movement from the account's current ARR to ``renewed_arr`` (source ``renewal``), sets the account's
    status (churned) or next renewal date (contract end + the tenant's term), closes the renewal and its
    open CTAs. 409 when an outcome is already recorded, 400 (nothing written) when the amounts do not match."""
    if renewal.outcome is not None:
        raise DomainError("This renewal's outcome is already recorded.", field="outcome", status_code=409)
    if outcome not in RenewalOutcome.values:
        raise DomainError(f"One of {', '.join(RenewalOutcome.values)}.", field="outcome")
    account = selectors.account_for_update(account_id=renewal.account_id)
    current = account.arr
    renewed, kind = _movement(outcome, current=current, renewed_arr=renewed_arr)
    if kind is not None:
        ledger_services.movement_create(
            account=account, date=selectors.tenant_today(), kind=kind, amount=abs(renewed - current), actor=actor,
            source=MovementSource.RENEWAL, ref_type="renewal", ref_id=renewal.pk,
        )
    renewal.outcome, renewal.renewed_arr, renewal.stage = outcome, renewed, RenewalStage.CLOSED
    renewal.churn_reason = str(churn_reason or "").strip()
    renewal.closed_at = timezone.now()
    renewal.save()
    if outcome == RenewalOutcome.CHURNED:
        account_update(account=account, actor=actor, status=AccountStatus.CHURNED)
    else:
        term = selectors.renewal_settings_get().term_months
        account_update(account=account, actor=actor, renewal_date=add_months(renewal.contract_end, term))
    tasks_close_by_key(dedupe_keys=[t.dedupe_key for t in selectors.open_motion_ctas(renewal_ids=[renewal.pk])]
                       + [risk_key(renewal.pk)])
    activity_record(
        account=account, kind=ActivityKind.SYSTEM, actor=actor, source="renewals",
        subject=f"Renewal {RenewalOutcome(outcome).label.lower()}: ARR {current} → {renewed}"[:200],
        body=f"Contract end {renewal.contract_end.isoformat()}." + (f" Reason: {renewal.churn_reason}" if renewal.churn_reason else ""),
        ref_type="renewal", ref_id=renewal.pk,
    )
    renewal_events.publish_outcome(renewal, account_name=account.name, arr_before=current)
    return renewal


# --------------------------------------------------------------------------- the account-changed hook


def renewal_on_account_changed(*, tenant, changes: dict[int, frozenset[str]]) -> None:
    """An open renewal's contract end, and its open motion CTAs' due dates, follow the account's renewal
    date (in the writer's transaction; a constant number of queries)."""
    ids = [account_id for account_id, fields in changes.items() if "renewal_date" in fields]
    if not ids:
        return
    moved = [
        renewal for renewal in selectors.open_renewals_of_accounts(account_ids=ids)
        if renewal.account.renewal_date is not None and renewal.account.renewal_date != renewal.contract_end
    ]
    taken = selectors.contract_ends_taken(pairs=[(r.account_id, r.account.renewal_date) for r in moved])
    moved = [r for r in moved if (r.account_id, r.account.renewal_date) not in taken]
    if not moved:
        return
    for renewal in moved:
        renewal.contract_end = renewal.account.renewal_date
    Renewal.objects.bulk_update(moved, fields=["contract_end"])
    ends = {r.pk: r.contract_end for r in moved}
    tasks = selectors.open_motion_ctas(renewal_ids=ends)
    for task in tasks:
        _, renewal_id, _, offset = task.dedupe_key.split(":")
        task.due_date = ends[int(renewal_id)] - timedelta(days=int(offset))
    Task.objects.bulk_update(tasks, fields=["due_date"])
