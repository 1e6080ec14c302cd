"""A year of weekly health history for the demo accounts, so score validation and the scorecard dry run have
something to say on first run (``seed_demo``, after renewals' history and health's first scores).

Per account, one snapshot a week (06:00 local; a daily recompute stores seven times as many, which the seed
does not need: score validation reads the latest snapshot at most 30 days before its cut-off, the dry run at most
a week) from ``HISTORY_DAYS`` back (or its start) to the week before health's weekly backfills (or, for a
churned account, its churn), from a latent health level: a path through
anchors, plus a slow random walk, spread over the scorecard's measures (each with its own steady offset and
noise per snapshot) and turned back into raw values through each measure's mapping (``health.scoring.raw_for_scores``),
then scored and stored by ``health.services.snapshots_write_history`` exactly as a recompute stores them (raw
values and all, so a dry run can replay them).

The anchors tie health to the renewal outcomes the revenue history already holds, imperfectly: 90 days before
each known outcome the level is drawn from the outcome's distribution (churned low, downgraded lower than
renewed), with a share of surprises (lost while healthy, kept while in trouble); the last anchor is the
account's score today. Deterministic (an RNG drawn from the seed's), set-based (numpy per account, one COPY).
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

import numpy as np
import pandas as pd

from accounts.models import Account
from core.seeding import SeedContext
from health.scoring import measure_column, raw_for_scores
from health.selectors import resolve_measures, scorecard_get
from health.services import snapshots_write_history
from renewals.models import Renewal

HISTORY_DAYS = 399  # within the default retention (one a day for 400 days)
STEP_DAYS = 7
BACKFILLED_DAYS = 28  # health's seed backfills the last four weeks from usage
LEAD_DAYS = 90  # score validation's look-back
# Level 90 days before an outcome: (mean, sd) usually, and the share drawn from the other side instead.
LEVELS = {"churned": (45, 12), "downgraded": (57, 12), "renewed": (77, 10), "expanded": (80, 9)}
SURPRISES = {"churned": 0.15, "downgraded": 0.18, "renewed": 0.12, "expanded": 0.08}
SURPRISE_LEVELS = {"lost": (80, 8), "kept": (50, 10)}
NO_DATA_SHARE = 0.08  # an account-measure with no data at all over the history
MEASURE_OFFSET_SD, SNAPSHOT_NOISE_SD, WALK_SD = 7.0, 3.0, 1.0


def _outcome_level(outcome: str, rng: random.Random) -> float:
    lost = outcome in ("churned", "downgraded")
    if rng.random() < SURPRISES[outcome]:
        mean, sd = SURPRISE_LEVELS["lost" if lost else "kept"]
    else:
        mean, sd = LEVELS[outcome]
    return min(97.0, max(5.0, rng.gauss(mean, sd)))


def _anchors(account: dict, outcomes: list[tuple[date, str]], *, first: date, last: date,
             rng: random.Random) -> tuple[list[int], list[float]]:
    """(day offsets from ``first``, levels) of the account's path, sorted."""
    points = {0: min(95.0, max(10.0, rng.gauss(70, 12)))}
    for outcome_on, outcome in outcomes:
        probe = outcome_on - timedelta(days=LEAD_DAYS)
        if first <= probe <= last:
            points[(probe - first).days] = _outcome_level(outcome, rng)
    score = account["health_score"]
    if score is not None and account["status"] == "active":
        points[(last - first).days] = float(score)
    days = sorted(points)
    return days, [points[d] for d in days]


def _levels(days: int, anchors: tuple[list[int], list[float]], rng: np.random.Generator) -> np.ndarray:
    """The latent level per day: the anchors' line plus a random walk pinned to zero at every anchor."""
    offsets, values = anchors
    steps = np.arange(days)
    line = np.interp(steps, offsets, values)
    walk = np.cumsum(rng.normal(0.0, WALK_SD, days))
    walk -= np.interp(steps, offsets, walk[np.clip(offsets, 0, days - 1)])
    return np.clip(line + walk, 0.0, 100.0)


def seed_health_history(ctx: SeedContext) -> None:
    tenant, today = ctx.tenant, ctx.today
    rng = random.Random(ctx.rng.getrandbits(64))
    noise = np.random.default_rng(rng.getrandbits(64))
    card = resolve_measures(scorecard_get().as_dict())
    measures = [(measure_column(c["key"], m["key"]), m.get("mapping")) for c in card["components"] for m in c["measures"]
                if m.get("available")]
    outcomes: dict[int, list[tuple[date, str]]] = {}
    for account_id, outcome, closed_at, contract_end in Renewal.objects.filter(outcome__isnull=False).values_list(
            "account_id", "outcome", "closed_at", "contract_end").order_by("account_id", "contract_end"):
        on = min(closed_at.astimezone(tenant.tzinfo).date(), contract_end) if closed_at else contract_end
        outcomes.setdefault(account_id, []).append((on, outcome))
    start, backfilled = today - timedelta(days=HISTORY_DAYS), today - timedelta(days=BACKFILLED_DAYS + 1)
    frames = []
    accounts = Account.objects.values("id", "customer_since", "status", "health_score", "renewal_date").order_by("id")
    for account in accounts:
        first = max(start, account["customer_since"] or start)
        last = backfilled
        if account["status"] != "active":  # churned: history stops at its last contract end
            last = min(last, account["renewal_date"] or last)
        days = (last - first).days + 1
        if days < 2:
            continue
        level = _levels(days, _anchors(account, outcomes.get(account["id"], []), first=first, last=last, rng=rng),
                        noise)[::-1][::STEP_DAYS][::-1]  # every STEP_DAYS-th day, ending on the last
        offsets = range(days - 1 - STEP_DAYS * (len(level) - 1), days, STEP_DAYS)
        rows = {"account_id": np.full(len(level), account["id"]),
                "computed_at": [datetime.combine(first + timedelta(days=d), time(6), tenant.tzinfo) for d in offsets]}
        for column, mapping in measures:
            if noise.random() < NO_DATA_SHARE:
                rows[column] = np.full(len(level), np.nan)
                continue
            target = level + noise.normal(0.0, MEASURE_OFFSET_SD) + noise.normal(0.0, SNAPSHOT_NOISE_SD, len(level))
            rows[column] = raw_for_scores(np.clip(target, 0.0, 100.0), mapping)
        frames.append(pd.DataFrame(rows))
    written = snapshots_write_history(tenant=tenant, rows=pd.concat(frames, ignore_index=True)) if frames else 0
    ctx.progress(f"health history: {written:,} weekly snapshots over {HISTORY_DAYS} days, tied to renewal outcomes")
