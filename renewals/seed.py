"""Demo touchpoint cadences for the handbook tenants (data keyed by slug, written through the services so
the demo is validated like the settings page and the API).

002 (TechCorp): Enterprise quarterly QBRs, Mid-Market semi-annual, SMB none (digital, self-service).
004 (Agent Factory): Enterprise monthly check-ins, Pro quarterly, Starter automated check-ins.
"""

from __future__ import annotations

from core.seeding import AGENT_FACTORY, TECHCORP, SeedContext
from renewals.cadence_services import cadence_create, touchpoints_open_due
from renewals.ledger_services import ledger_open_missing
from renewals.models import MovementSource
from renewals.renewal_jobs import renewals_open

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


def seed_tenant(ctx: SeedContext) -> None:
    # The demo accounts are bulk-written without the services: open their ARR ledger here.
    opened = ledger_open_missing(tenant=ctx.tenant, source=MovementSource.SEED)
    ctx.progress(f"{opened} opening ARR movements")
    # What the daily job does, so the renewal desk is alive on first run (renewals in the window, their
    # motions, forecasts from health, risk CTAs for red accounts renewing soon).
    ctx.progress(f"renewals: {renewals_open(today=ctx.today)}")
    cadences = CADENCES.get(ctx.slug, [])
    for data in cadences:
        cadence_create(actor=None, **data)
    if cadences:
        opened = touchpoints_open_due(today=ctx.today)["opened"]
        ctx.progress(f"{len(cadences)} touchpoint cadences, {opened} prepare CTAs due")
