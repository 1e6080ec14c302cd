"""Two years of revenue history for the demo accounts (``seed_demo``), so the retention report, the renewal
desk and the pipeline are alive on first run.

Per account, from two years back (or its ``customer_since``) to today: an opening ``new`` movement, a
closed renewal at each past contract anniversary (renewed, expanded or downgraded, with the movement the
outcome writes), now and then a won expansion opportunity or a mid-term contraction; a few accounts churned
at their last anniversary (status churned, ARR 0, a churn reason from the tenant's list) and one churned and
came back (``reactivation``). Amounts are drawn backwards from the account's current ARR, so an account's ARR
is the signed sum of its movements (API.md), with the balance never below 0. Plus open opportunities in
every open stage and kind, a lost one and a professional-services booking (one-time: no movement).

Deterministic (an RNG drawn from the seed's), idempotent (only accounts without any movement get history)
and bulk-written (a handful of INSERTs per tenant).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from accounts.models import Account, AccountStatus, Activity, ActivityKind
from accounts.segments import segment_for
from accounts.services import activities_record_bulk
from core.seeding import SeedContext
from renewals import renewal_selectors
from renewals.models import (
    ArrMovement,
    Forecast,
    MovementKind,
    MovementSource,
    Opportunity,
    OpportunityKind,
    OpportunityStage,
    Renewal,
    RenewalOutcome,
    RenewalStage,
)
from renewals.models.opportunities import OPEN_STAGES

HISTORY_DAYS = 730
TERM_DAYS = 365  # the demo contracts' yearly terms (ops.demo.accounts)
CHURNED_SHARE = 0.05
OPEN_PIPELINE_SHARE = 0.3
STEP = Decimal("500")
OUTCOMES = [(RenewalOutcome.RENEWED, 0.55), (RenewalOutcome.EXPANDED, 0.28), (RenewalOutcome.DOWNGRADED, 0.17)]
RECURRING_KINDS = [OpportunityKind.SEATS, OpportunityKind.FEATURE_UPSELL, OpportunityKind.CROSS_SELL,
                   OpportunityKind.TIER_UPGRADE]
CLOSED_FORECAST = {RenewalOutcome.RENEWED: Forecast.COMMIT, RenewalOutcome.EXPANDED: Forecast.COMMIT,
                   RenewalOutcome.DOWNGRADED: Forecast.PROBABLE, RenewalOutcome.CHURNED: Forecast.AT_RISK}
OUTCOME_MOVEMENT = {RenewalOutcome.EXPANDED: MovementKind.EXPANSION, RenewalOutcome.DOWNGRADED: MovementKind.CONTRACTION,
                    RenewalOutcome.CHURNED: MovementKind.CHURN}
TITLES = {OpportunityKind.SEATS: "More seats for {team}", OpportunityKind.FEATURE_UPSELL: "Advanced analytics add-on",
          OpportunityKind.CROSS_SELL: "Second product line", OpportunityKind.TIER_UPGRADE: "Upgrade to the next tier",
          OpportunityKind.PROFESSIONAL_SERVICES: "Implementation workshop"}
TEAMS = ["the support team", "finance", "the EMEA office", "operations", "the data team"]


@dataclass
class Step:
    day: date
    kind: str  # new | renewal | opportunity | contraction | churn | reactivation
    outcome: str | None = None
    before: Decimal = Decimal("0")
    after: Decimal = Decimal("0")

    @property
    def amount(self) -> Decimal:
        return abs(self.after - self.before)


def _portion(value: Decimal, rng: random.Random, low: float, high: float) -> Decimal:
    """A round share of ``value`` (multiple of 500, at least 500)."""
    return max(STEP, (value * Decimal(rng.uniform(low, high)) / STEP).quantize(Decimal("1")) * STEP)


def anniversaries(account: Account, *, start: date, today: date) -> list[date]:
    """The account's past contract ends after ``start`` (yearly back from its renewal date), oldest first."""
    if account.renewal_date is None:
        return []
    ends, day = [], account.renewal_date - timedelta(days=TERM_DAYS)
    while day > start:
        if day <= today:
            ends.append(day)
        day -= timedelta(days=TERM_DAYS)
    return sorted(ends)


def plan(account: Account, *, today: date, rng: random.Random, fate: str = "active") -> list[Step]:
    """The account's movements (``fate``: active, churned at its last anniversary, or reactivated: churned
    at its first and back a few months later), amounts drawn backwards from its current ARR."""
    start = max(today - timedelta(days=HISTORY_DAYS), account.customer_since or today - timedelta(days=HISTORY_DAYS))
    ends = anniversaries(account, start=start, today=today)
    steps = [Step(start, "new")]
    boundaries = [start, *ends, today]
    back_on = None
    if fate == "reactivated":
        back_on = ends[0] + timedelta(days=rng.randint(60, 150))
    for i, end in enumerate(ends):
        churns = (fate == "churned" and i == len(ends) - 1) or (fate == "reactivated" and i == 0)
        if churns:
            steps.append(Step(end, "churn", RenewalOutcome.CHURNED))
        else:
            steps.append(Step(end, "renewal", rng.choices([o for o, _ in OUTCOMES], [w for _, w in OUTCOMES])[0]))
    if back_on is not None:
        steps.append(Step(back_on, "reactivation"))
    for low, high in zip(boundaries, boundaries[1:], strict=False):
        if (high - low).days < 40 or (fate == "churned" and low >= ends[-1]):
            continue
        day = low + timedelta(days=rng.randint(15, (high - low).days - 15))
        if back_on is not None and ends[0] <= day <= back_on + timedelta(days=14):
            continue
        roll = rng.random()
        if roll < 0.22:
            steps.append(Step(day, "opportunity"))
        elif roll < 0.3:
            steps.append(Step(day, "contraction"))
    steps.sort(key=lambda s: (s.day, s.kind != "new"))
    _amounts(steps, current=account.arr if fate != "churned" else Decimal("0"), reference=account.arr, rng=rng)
    return [s for s in steps if s.kind != "drop"]


def _amounts(steps: list[Step], *, current: Decimal, reference: Decimal, rng: random.Random) -> None:
    balance = current
    for step in reversed(steps):
        after = balance
        before = after
        if step.kind == "new" or step.kind == "reactivation":
            before = Decimal("0")
        elif step.kind == "churn":
            before = max(Decimal("1000"), (reference * Decimal(rng.uniform(0.8, 1.2)) / 1000).quantize(Decimal("1")) * 1000)
        elif step.kind == "contraction" or step.outcome == RenewalOutcome.DOWNGRADED:
            before = after + _portion(after, rng, 0.05, 0.2)
        elif step.kind == "opportunity" or step.outcome == RenewalOutcome.EXPANDED:
            if after < 3 * STEP:
                step.kind, step.outcome = ("drop", None) if step.kind == "opportunity" else (step.kind, RenewalOutcome.RENEWED)
            else:
                before = after - min(_portion(after, rng, 0.06, 0.25), after - STEP)
        step.before, step.after = before, after
        balance = before


def pick_fates(accounts: list[Account], *, today: date, rng: random.Random, keep: set[str]) -> dict[int, str]:
    """A few accounts churned at their last anniversary, one churned and reactivated; the rest active."""
    start = today - timedelta(days=HISTORY_DAYS)
    fates: dict[int, str] = {}
    churnable = [
        a for a in accounts
        if a.name not in keep and (ends := anniversaries(a, start=max(start, a.customer_since or start), today=today))
        and ends[-1] <= today - timedelta(days=14)
    ]
    for account in rng.sample(churnable, min(len(churnable), max(1, round(CHURNED_SHARE * len(accounts))))):
        fates[account.pk] = "churned"
    comeback = [
        a for a in churnable
        if a.pk not in fates and len(anniversaries(a, start=max(start, a.customer_since or start), today=today)) >= 2
    ]
    if comeback:
        fates[rng.choice(comeback).pk] = "reactivated"
    return fates


def _at(day: date, hour: int, tz) -> datetime:
    return datetime.combine(day, time(hour), tz)


def seed_history(ctx: SeedContext, *, keep: set[str] = frozenset()) -> dict[str, int]:
    """Write the history of the tenant's accounts that have no movement yet (``keep``: names never churned).
    Returns counts of what it wrote."""
    rng = random.Random(ctx.rng.getrandbits(64))
    today, tz = ctx.today, ctx.tenant.tzinfo
    seen = set(ArrMovement.objects.values_list("account_id", flat=True).distinct())
    accounts = [a for a in Account.objects.filter(status=AccountStatus.ACTIVE).order_by("pk") if a.pk not in seen]
    if not accounts:
        return {"accounts": 0}
    fates = pick_fates(accounts, today=today, rng=rng, keep=set(keep))
    plans = {a.pk: plan(a, today=today, rng=rng, fate=fates.get(a.pk, "active")) for a in accounts}
    reasons = renewal_selectors.renewal_settings_get().churn_reasons or ["Other"]
    by_id = {a.pk: a for a in accounts}

    renewals, opportunities = [], []
    for account_id, steps in plans.items():
        account = by_id[account_id]
        for step in steps:
            if step.outcome is not None:
                closed = _at(step.day - timedelta(days=rng.randint(0, 10)), 10, tz)
                renewals.append((step, Renewal(
                    tenant=ctx.tenant, account_id=account_id, contract_end=step.day, arr=step.before,
                    stage=RenewalStage.CLOSED, forecast=CLOSED_FORECAST[step.outcome], outcome=step.outcome,
                    renewed_arr=step.after, closed_at=closed, created_at=_at(step.day - timedelta(days=120), 6, tz),
                    churn_reason=rng.choice(reasons) if step.outcome == RenewalOutcome.CHURNED else "",
                )))
            elif step.kind == "opportunity":
                kind = rng.choice(RECURRING_KINDS)
                opportunities.append((step, Opportunity(
                    tenant=ctx.tenant, account_id=account_id, kind=kind, stage=OpportunityStage.WON,
                    amount=step.amount, close_date=step.day, owner_id=account.csm_id,
                    title=TITLES[kind].format(team=rng.choice(TEAMS)), won_at=_at(step.day, 11, tz),
                    created_at=_at(step.day - timedelta(days=rng.randint(30, 90)), 9, tz),
                )))
    Renewal.objects.bulk_create([r for _, r in renewals], batch_size=1000)
    Opportunity.objects.bulk_create([o for _, o in opportunities], batch_size=1000)
    refs = {id(step): ("renewal", row.pk) for step, row in renewals}
    refs.update({id(step): ("opportunity", row.pk) for step, row in opportunities})

    movements = [
        _movement(ctx, account_id, step, refs.get(id(step)))
        for account_id, steps in plans.items() for step in steps if step.amount > 0
    ]
    ArrMovement.objects.bulk_create(movements, batch_size=2000)
    _churn_accounts(ctx, by_id, fates, plans)
    activities_record_bulk([
        Activity(account_id=row.account_id, kind=ActivityKind.SYSTEM, source="renewals", ref_type="renewal",
                 ref_id=row.pk, occurred_at=row.closed_at,
                 subject=f"Renewal {RenewalOutcome(row.outcome).label.lower()}: ARR {row.arr} → {row.renewed_arr}",
                 body=f"Contract end {row.contract_end.isoformat()}." + (f" Reason: {row.churn_reason}" if row.churn_reason else ""))
        for _, row in renewals
    ])
    extra = _pipeline(ctx, [a for a in accounts if fates.get(a.pk) != "churned"], rng)
    return {"accounts": len(accounts), "movements": len(movements), "closed_renewals": len(renewals),
            "won_opportunities": len(opportunities), "churned": sum(f == "churned" for f in fates.values()),
            "reactivated": sum(f == "reactivated" for f in fates.values()), "open_opportunities": extra}


def _movement(ctx: SeedContext, account_id: int, step: Step, ref: tuple[str, int] | None) -> ArrMovement:
    if step.kind == "new":
        kind, source = MovementKind.NEW, MovementSource.SEED
    elif step.kind == "reactivation":
        kind, source = MovementKind.REACTIVATION, MovementSource.SEED
    elif step.kind == "contraction":
        kind, source = MovementKind.CONTRACTION, MovementSource.SEED
    elif step.kind == "opportunity":
        kind, source = MovementKind.EXPANSION, MovementSource.OPPORTUNITY
    else:
        kind, source = OUTCOME_MOVEMENT[step.outcome], MovementSource.RENEWAL
    ref_type, ref_id = ref if ref else ("", None)
    return ArrMovement(tenant=ctx.tenant, account_id=account_id, date=step.day, kind=kind, amount=step.amount,
                       source=source, ref_type=ref_type, ref_id=ref_id,
                       created_at=_at(step.day, 12, ctx.tenant.tzinfo))


def _churn_accounts(ctx: SeedContext, by_id: dict[int, Account], fates: dict[int, str], plans: dict) -> None:
    """The churned accounts: status churned, ARR 0 (their ledger's balance), renewal date their last contract end."""
    churned = [by_id[pk] for pk, fate in fates.items() if fate == "churned"]
    if not churned:
        return
    thresholds = ctx.tenant.get_segment_thresholds()
    for account in churned:
        account.status, account.arr = AccountStatus.CHURNED, Decimal("0")
        account.segment = segment_for(account.arr, thresholds)
        account.renewal_date = plans[account.pk][-1].day
    Account.objects.bulk_update(churned, fields=["status", "arr", "segment", "renewal_date"])
    gone = {a.pk for a in churned}
    ctx.accounts = [a for a in ctx.accounts if a.pk not in gone]  # later seeders (usage, health) skip them


def _pipeline(ctx: SeedContext, accounts: list[Account], rng: random.Random) -> int:
    """Open opportunities in every open stage and kind, one lost, one won professional-services booking."""
    today, tz = ctx.today, ctx.tenant.tzinfo
    chosen = rng.sample(accounts, min(len(accounts), max(len(OPEN_STAGES) + 2, round(OPEN_PIPELINE_SHARE * len(accounts)))))
    kinds = [*RECURRING_KINDS, OpportunityKind.PROFESSIONAL_SERVICES]
    rows = []
    for i, account in enumerate(chosen):
        kind = kinds[i % len(kinds)]
        if i < len(OPEN_STAGES):
            stage = OPEN_STAGES[i]
        elif i == len(OPEN_STAGES):
            stage = OpportunityStage.LOST
        elif i == len(OPEN_STAGES) + 1:
            stage, kind = OpportunityStage.WON, OpportunityKind.PROFESSIONAL_SERVICES
        else:
            stage = rng.choice(OPEN_STAGES)
        share = 0.1 if kind == OpportunityKind.PROFESSIONAL_SERVICES else rng.uniform(0.08, 0.35)
        amount = _portion(account.arr, rng, share, share)
        closed = stage in (OpportunityStage.WON, OpportunityStage.LOST)
        close_date = today - timedelta(days=rng.randint(10, 60)) if closed else today + timedelta(days=rng.randint(14, 180))
        rows.append(Opportunity(
            tenant=ctx.tenant, account=account, kind=kind, stage=stage, amount=amount, close_date=close_date,
            owner_id=account.csm_id, title=TITLES[kind].format(team=rng.choice(TEAMS)),
            won_at=_at(close_date, 11, tz) if stage == OpportunityStage.WON else None,
            lost_at=_at(close_date, 11, tz) if stage == OpportunityStage.LOST else None,
            created_at=_at(min(close_date, today) - timedelta(days=rng.randint(20, 80)), 9, tz),
        ))
    Opportunity.objects.bulk_create(rows)
    return len(rows)
