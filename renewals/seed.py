"""Renewals' demo data for the handbook tenants (``seed_demo``), written through the services or in bulk with
the ledger rule kept (an account's ARR is the signed sum of its movements):

* ``seed_history`` (before health, so scores see the pipeline): two years of ARR history, closed renewals
  with every outcome, won, lost and open opportunities (``renewals.seed_history``);
* ``seed_tenant`` (after health, so forecasts follow the bands): the story accounts (RAG Fortress's Falcon
  Networks renews tomorrow), the daily job's open renewals with their motions and risk CTAs, every forecast
  present among the open renewals (overrides with a reason where the bands leave one out), stages by
  closeness, and the touchpoint cadences (002: TechCorp by segment; 004: Agent Factory by tier).

Deterministic and idempotent: a second run writes nothing.
"""

from __future__ import annotations

from datetime import timedelta

from accounts.models import Account, AccountStatus
from accounts.services import account_update
from core.seeding import AGENT_FACTORY, RAG_FORTRESS, TECHCORP, SeedContext
from renewals import seed_history as history
from renewals.cadence_services import cadence_create, touchpoints_open_due
from renewals.ledger_services import ledger_open_missing
from renewals.models import Forecast, MovementSource, Renewal, RenewalStage, TouchpointCadence
from renewals.renewal_jobs import renewals_open
from renewals.renewal_services import renewal_update

QBR_STEPS = [
    "Pull usage, adoption and health trends for the quarter",
    "Review open tickets and escalations",
    "Confirm the attendees, including the executive sponsor",
    "Draft the agenda: outcomes achieved, roadmap, goals for next quarter",
    "Send the deck and agenda two days ahead",
]
CHECK_IN_STEPS = [
    "Review agent usage and health since the last check-in",
    "Check open tickets and blockers",
    "Prepare one recommendation to grow value",
]

CADENCES: dict[str, list[dict]] = {
    TECHCORP: [
        {"kind": "qbr", "scope": "segment", "match": "enterprise", "interval_count": 3, "interval_unit": "months",
         "lead_days": 14, "steps": QBR_STEPS},
        {"kind": "qbr", "scope": "segment", "match": "mid_market", "interval_count": 6, "interval_unit": "months",
         "lead_days": 21, "steps": QBR_STEPS},
    ],
    AGENT_FACTORY: [
        {"kind": "check_in", "scope": "tier", "match": "Enterprise", "interval_count": 1, "interval_unit": "months",
         "lead_days": 7, "steps": [*CHECK_IN_STEPS, "Update the strategic plan"]},
        {"kind": "check_in", "scope": "tier", "match": "Pro", "interval_count": 3, "interval_unit": "months",
         "lead_days": 14, "steps": CHECK_IN_STEPS},
        {"kind": "check_in", "scope": "tier", "match": "Starter", "interval_count": 1, "interval_unit": "months",
         "lead_days": 0, "automated": True, "steps": ["Automated check-in email with usage tips"]},
    ],
}


# Accounts the demo tells a story with: renewing in N days (the issue's "Falcon Networks renews tomorrow at
# health 42, red, and nothing flags it": the desk shows it at risk with its risk CTA).
STORIES: dict[str, list[dict]] = {RAG_FORTRESS: [{"name": "Falcon Networks", "renews_in_days": 1}]}
# Why a renewal's forecast differs from its band (the overrides that put every forecast on the desk).
OVERRIDE_REASONS = {
    Forecast.COMMIT: "Signed order form received; countersignature pending.",
    Forecast.PROBABLE: "Champion confirmed the budget for next year on our last call.",
    Forecast.AT_RISK: "New CFO reviewing every vendor; procurement asked for a discount.",
    Forecast.LOST: "Customer told us they are consolidating on another vendor.",
}
NEGOTIATION_DAYS, IN_PROGRESS_DAYS = 30, 75


def _story_names(ctx: SeedContext) -> set[str]:
    return {story["name"] for story in STORIES.get(ctx.slug, [])}


def seed_history(ctx: SeedContext) -> None:
    done = history.seed_history(ctx, keep=_story_names(ctx))
    if done.get("accounts"):
        ctx.progress("renewals history: " + ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in done.items()))


def _tell_stories(ctx: SeedContext) -> None:
    for story in STORIES.get(ctx.slug, []):
        account = Account.objects.filter(name=story["name"], status=AccountStatus.ACTIVE).first()
        if account is None:  # not drawn by this seed: the lowest-scored active account plays the part
            account = Account.objects.filter(status=AccountStatus.ACTIVE).order_by("health_score", "pk").first()
            if account is None:
                continue
        renews = ctx.today + timedelta(days=story["renews_in_days"])
        changes = {k: v for k, v in {"name": story["name"], "renewal_date": renews}.items() if getattr(account, k) != v}
        if changes:
            account_update(account=account, **changes)


def _every_forecast(ctx: SeedContext) -> int:
    """Override (with a reason, by the account's CSM) one open renewal to each forecast the bands left out."""
    open_renewals = list(
        Renewal.objects.filter(outcome__isnull=True).exclude(account__name__in=_story_names(ctx))
        .select_related("account", "account__csm").order_by("contract_end", "pk")
    )
    present = {r.forecast for r in open_renewals}
    overridden = 0
    for forecast in Forecast.values:
        if forecast in present:
            continue
        counts = {f: sum(r.forecast == f for r in open_renewals) for f in present}
        spare = [r for r in open_renewals if counts.get(r.forecast, 0) > 1 and not r.forecast_overridden]
        if not spare:
            continue
        renewal = spare[-1]
        renewal_update(renewal=renewal, actor=renewal.account.csm, forecast=forecast,
                       forecast_reason=OVERRIDE_REASONS[forecast])
        present.add(forecast)
        overridden += 1
    return overridden


def _stages(ctx: SeedContext) -> None:
    """Open renewals close to their contract end are being worked: in progress, then in negotiation."""
    waiting = Renewal.objects.filter(outcome__isnull=True, stage=RenewalStage.OPEN)
    waiting.filter(contract_end__lte=ctx.today + timedelta(days=NEGOTIATION_DAYS)).update(stage=RenewalStage.NEGOTIATION)
    waiting.filter(contract_end__lte=ctx.today + timedelta(days=IN_PROGRESS_DAYS)).update(stage=RenewalStage.IN_PROGRESS)


def seed_tenant(ctx: SeedContext) -> None:
    seed_history(ctx)  # nothing to do when seed_demo already ran it before health
    # Accounts bulk-written without the services and without history get their opening movement.
    opened = ledger_open_missing(tenant=ctx.tenant, source=MovementSource.SEED)
    if opened:
        ctx.progress(f"{opened} opening ARR movements")
    _tell_stories(ctx)
    # What the daily job does, so the renewal desk is alive on first run (renewals in the window, their
    # motions, forecasts from health, risk CTAs for red accounts renewing soon).
    ctx.progress(f"renewals: {renewals_open(today=ctx.today)}")
    overridden = _every_forecast(ctx)
    _stages(ctx)
    if overridden:
        ctx.progress(f"renewals: {overridden} forecast overrides")
    existing = set(TouchpointCadence.objects.values_list("scope", "match", "kind"))
    cadences = [c for c in CADENCES.get(ctx.slug, []) if (c["scope"], c["match"], c["kind"]) not in existing]
    for data in cadences:
        cadence_create(actor=None, **data)
    if cadences:
        opened = touchpoints_open_due(today=ctx.today)["opened"]
        ctx.progress(f"{len(cadences)} touchpoint cadences, {opened} prepare CTAs due")
