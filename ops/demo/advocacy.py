"""Advocacy's demo data needs the resolved tickets (CSAT after a ticket) and the plans that went live
(post-implementation surveys): it reads tickets and onboarding, so it lives here, above the domain apps.
Called by ``seed_demo`` after health has scored the accounts (answers follow the health bands); today's health is
scored again once the surveys are written and once the references are, so the relationship and support measures that
read them (``nps_latest``, ``csat_average_90d``, ``reference_activity``) have their inputs on first run.
"""

from __future__ import annotations

from advocacy import seed as advocacy_seed
from core.seeding import SeedContext
from health.services import recompute_health
from onboarding.models import OnboardingPlan
from tickets.models import Ticket


def seed_advocacy(ctx: SeedContext) -> None:
    tickets = [
        advocacy_seed.ResolvedTicket(ticket_id=pk, account_id=account_id, contact_id=contact_id, resolved_at=at)
        for pk, account_id, contact_id, at in Ticket.objects.filter(resolved_at__isnull=False, contact__isnull=False)
        .order_by("resolved_at", "pk").values_list("pk", "account_id", "contact_id", "resolved_at")
    ]
    go_lives = [
        advocacy_seed.GoLive(plan_id=pk, account_id=account_id, went_live_on=day)
        for pk, account_id, day in OnboardingPlan.objects.filter(go_live_date__isnull=False, go_live_date__lte=ctx.today)
        .order_by("go_live_date", "pk").values_list("pk", "account_id", "go_live_date")
    ]
    # Health scores the answers before the reference program picks its advocates (top band, latest NPS), then
    # again with their reference activity.
    if advocacy_seed.seed_surveys(ctx, resolved_tickets=tickets, go_lives=go_lives):
        _rescore(ctx, "the survey answers")
    if advocacy_seed.seed_references(ctx):
        _rescore(ctx, "the reference activity")


def _rescore(ctx: SeedContext, what: str) -> None:
    outcome = recompute_health(tenant=ctx.tenant)
    ctx.progress(f"health: rescored with {what}, {outcome.risks_opened} risk CTAs opened")
