"""Create the five handbook tenants (shared/seeds) with a user per role and realistic data.

Idempotent: a tenant that already exists is left as it is (use --reset to rebuild them).
Each app adds its own configuration and data through ``<app>.seed.seed_tenant(ctx)``.
"""

from __future__ import annotations

import random
import time

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from core.seeding import SeedContext
from dashboards import seed as dashboards_seed
from health import seed as health_seed
from knowledge import seed as knowledge_seed
from onboarding import seed as onboarding_seed
from ops.demo.accounts import seed_accounts
from ops.demo.advocacy import seed_advocacy
from ops.demo.dashboards import refresh_dashboards
from ops.demo.handbooks import DEMO_PASSWORD, HANDBOOKS
from ops.demo.health_history import seed_health_history
from ops.demo.ticket_article_links import link_resolved_tickets
from renewals import seed as renewals_seed
from tenancy.context import tenant_context
from tenancy.models import Membership, Role, Tenant
from tenancy.services import member_add, tenant_create
from tickets import seed as tickets_seed

# Each app's seed_tenant(ctx), in order; resolved tickets are linked to articles once both exist.
# Health goes late so its first scores already see tickets, onboarding plans, usage and the revenue history
# (churned accounts, the expansion pipeline); advocacy's survey answers follow the bands it gives (and health
# rescores today with them); renewals opens its renewals after it, so forecasts follow the bands.
APP_SEEDERS = [
    onboarding_seed.seed_tenant, tickets_seed.seed_tenant, knowledge_seed.seed_tenant, link_resolved_tickets,
    renewals_seed.seed_history, health_seed.seed_tenant, seed_advocacy, renewals_seed.seed_tenant,
    dashboards_seed.seed_tenant,  # the handbook's KPI targets
    seed_health_history,  # a year of weekly health tied to the renewal outcomes (score validation, dry runs)
    refresh_dashboards,  # last: the aggregates read everything above
]


class Command(BaseCommand):
    help = __doc__.splitlines()[0]

    def add_arguments(self, parser):
        parser.add_argument("--accounts", type=int, default=60, help="Accounts per tenant (default 60)")
        parser.add_argument("--reset", action="store_true", help="Delete and recreate the demo tenants")
        parser.add_argument("--only", default="", help="Comma-separated tenant slugs to seed")
        parser.add_argument("--seed", type=int, default=2026, help="Random seed (same seed, same data)")

    def handle(self, *args, **opts):
        slugs = [s for s in opts["only"].split(",") if s] or list(HANDBOOKS)
        seeders = APP_SEEDERS
        for n, slug in enumerate(slugs, 1):
            started = time.monotonic()
            profile = HANDBOOKS[slug]
            existing = Tenant.objects.filter(slug=slug).first()
            if existing and not opts["reset"]:
                self.stdout.write(f"[{n}/{len(slugs)}] {profile['name']}: exists, left as it is")
                continue
            if existing:
                existing.delete()
            self.stdout.write(f"[{n}/{len(slugs)}] {profile['name']} ({slug})")
            with transaction.atomic():
                self._seed_tenant(slug, profile, opts, seeders)
            self.stdout.write(self.style.SUCCESS(f"    done in {time.monotonic() - started:.1f}s"))
        self.stdout.write(f"Sign in with any demo user, password {DEMO_PASSWORD!r}, e.g. admin@{HANDBOOKS[slugs[0]]['domain']}")

    def _seed_tenant(self, slug, profile, opts, seeders):
        domain = profile["domain"]
        tenant = tenant_create(
            slug=slug, name=profile["name"], admin_email=f"admin@{domain}", admin_password=DEMO_PASSWORD,
            timezone_name=profile["timezone"], currency=profile["currency"], segment_thresholds=profile["segments"],
            settings={"competitors": profile["competitors"], "products": profile["products"]},
            admin_name=f"{profile['name']} Admin",
        )
        with tenant_context(tenant):
            users: dict[str, list] = {"admin": [m.user for m in tenant_admins(tenant)]}
            for role, people in profile["people"].items():
                users[role] = [
                    member_add(tenant=tenant, email=f"{local}@{domain}", role=Role(role), password=DEMO_PASSWORD,
                               full_name=name).user
                    for name, local in people
                ]
            ctx = SeedContext(
                tenant=tenant, slug=slug, profile=profile, accounts=[], users=users,
                rng=random.Random(f"{opts['seed']}-{slug}"), today=timezone.localdate(timezone=tenant.tzinfo),
                progress=lambda msg: self.stdout.write(f"    {msg}"),
            )
            ctx.accounts = seed_accounts(ctx, opts["accounts"])
            ctx.progress(f"{len(ctx.accounts)} accounts with contacts, timeline and tasks")
            for seed in seeders:
                seed(ctx)


def tenant_admins(tenant):
    return Membership.objects.filter(role=Role.ADMIN).select_related("user")
