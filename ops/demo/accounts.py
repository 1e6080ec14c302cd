"""Demo accounts, contacts, timeline and tasks for one handbook tenant (bulk inserts)."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone

from accounts.models import (
    Account,
    Activity,
    ActivityKind,
    Contact,
    ContactRole,
    LifecycleStage,
    Task,
    TaskSource,
)
from accounts.segments import segment_for
from core.seeding import SeedContext

PREFIXES = ["Blue", "North", "Silver", "Bright", "Iron", "Summit", "Harbor", "Cedar", "Vertex", "Nova", "Atlas",
            "Pioneer", "Granite", "Crescent", "Evergreen", "Falcon", "Lumen", "Orbit", "Quantum", "Redwood"]
SUFFIXES = ["Labs", "Holdings", "Systems", "Partners", "Group", "Health", "Logistics", "Capital", "Media", "Works",
            "Networks", "Analytics", "Foods", "Energy", "Legal", "Insurance", "Retail", "Bank", "Robotics", "Studios"]
FIRST = ["Alex", "Jamie", "Taylor", "Morgan", "Casey", "Riley", "Jordan", "Avery", "Quinn", "Rowan", "Skyler",
         "Dana", "Harper", "Emerson", "Parker", "Reese", "Sage", "Blair", "Drew", "Kai"]
LAST = ["Smith", "Johnson", "Garcia", "Miller", "Davis", "Martinez", "Lopez", "Wilson", "Anderson", "Thomas",
        "Moore", "Jackson", "Martin", "Lee", "Thompson", "White", "Harris", "Clark", "Lewis", "Young"]
NOTES = [
    (ActivityKind.CALL, "Monthly check-in", "Usage steady; asked about SSO roadmap."),
    (ActivityKind.MEETING, "Success planning", "Agreed three success criteria for this half."),
    (ActivityKind.EMAIL, "Training follow-up", "Sent recordings and the admin guide."),
    (ActivityKind.QBR, "Quarterly business review", "Reviewed adoption, ROI and expansion into a second team."),
    (ActivityKind.NOTE, "Champion update", "Champion is presenting results to their leadership next week."),
    (ActivityKind.CALL, "Renewal intro", "Introduced the renewal timeline; no blockers raised."),
]


def _next_anniversary(since, today):
    """The contract's next yearly end on or after today (365-day terms)."""
    terms = max(1, -(-(today - since).days // 365))
    return since + timedelta(days=365 * terms)


def _arr(ctx: SeedContext) -> Decimal:
    bucket = ctx.rng.random()
    if bucket < 0.2:
        value = ctx.rng.randint(100, 450) * 1000
    elif bucket < 0.6:
        value = ctx.rng.randint(25, 99) * 1000
    else:
        value = ctx.rng.randint(5, 24) * 1000
    return Decimal(value)


def seed_accounts(ctx: SeedContext, count: int) -> list[Account]:
    tenant, rng = ctx.tenant, ctx.rng
    csms = ctx.users.get("csm") or ctx.users.get("vp") or []
    thresholds = tenant.get_segment_thresholds()
    stages = [s for s, _ in LifecycleStage.choices]
    accounts = []
    used = set()
    for i in range(count):
        name = f"{rng.choice(PREFIXES)} {rng.choice(SUFFIXES)}"
        while name in used:
            name = f"{rng.choice(PREFIXES)} {rng.choice(SUFFIXES)} {rng.randint(2, 99)}"
        used.add(name)
        arr = _arr(ctx)
        since = ctx.today - timedelta(days=rng.randint(10, 1100))
        tiers = ctx.profile.get("tiers") or []
        accounts.append(
            Account(
                tenant=tenant,
                external_id=f"CRM-{ctx.slug[:3].upper()}-{1000 + i}",
                name=name,
                industry=rng.choice(ctx.profile["industries"]),
                employee_count=rng.choice([40, 120, 300, 800, 2500, 9000]),
                arr=arr,
                tier=(tiers[min(len(tiers) - 1, int(arr // 60000))] if tiers else ""),
                segment=segment_for(arr, thresholds),
                lifecycle_stage=LifecycleStage.ONBOARDING if (ctx.today - since).days < 90 else rng.choice(stages[1:]),
                csm=csms[i % len(csms)] if csms else None,
                renewal_date=_next_anniversary(since, ctx.today),
                customer_since=since,
                payment_overdue=rng.random() < 0.04,
            )
        )
    accounts = Account.objects.bulk_create(accounts)
    _contacts(ctx, accounts)
    _timeline(ctx, accounts)
    return accounts


def _contacts(ctx: SeedContext, accounts: list[Account]) -> None:
    rng, contacts = ctx.rng, []
    for account in accounts:
        domain = account.name.lower().replace(" ", "") + ".example"
        roles = [ContactRole.EXECUTIVE, ContactRole.BUSINESS, ContactRole.TECHNICAL] + [ContactRole.OTHER] * rng.randint(0, 2)
        for j, role in enumerate(roles):
            first, last = rng.choice(FIRST), rng.choice(LAST)
            left = j == 1 and rng.random() < 0.05
            contacts.append(
                Contact(
                    tenant=ctx.tenant, account=account, name=f"{first} {last}",
                    email=f"{first}.{last}.{j}@{domain}".lower(),
                    title={"executive": "VP Operations", "business": "Director", "technical": "IT Lead"}.get(role, "Analyst"),
                    role=role, is_executive_sponsor=role == ContactRole.EXECUTIVE, is_champion=j == 1,
                    left_company=left, left_company_at=timezone.now() - timedelta(days=5) if left else None,
                )
            )
    Contact.objects.bulk_create(contacts, batch_size=2000)


def _timeline(ctx: SeedContext, accounts: list[Account]) -> None:
    rng, tz = ctx.rng, ctx.tenant.tzinfo
    activities, tasks = [], []
    csms = ctx.users.get("csm") or []
    for account in accounts:
        activities.append(Activity(tenant=ctx.tenant, account=account, kind=ActivityKind.SYSTEM, subject="Account created",
                                   source="accounts", occurred_at=datetime.combine(account.customer_since, time(9), tz)))
        for _ in range(rng.randint(1, 6)):
            kind, subject, body = rng.choice(NOTES)
            day = ctx.today - timedelta(days=rng.randint(0, 120))
            activities.append(Activity(tenant=ctx.tenant, account=account, kind=kind, subject=subject, body=body,
                                       author=account.csm, occurred_at=datetime.combine(day, time(rng.randint(8, 17)), tz)))
        if rng.random() < 0.5 and csms:
            tasks.append(Task(tenant=ctx.tenant, account=account, title=rng.choice(
                ["Send QBR deck", "Schedule exec sponsor call", "Follow up on training", "Share renewal proposal"]),
                owner=account.csm, due_date=ctx.today + timedelta(days=rng.randint(-5, 20)), source=TaskSource.MANUAL))
    Activity.objects.bulk_create(activities, batch_size=2000)
    Task.objects.bulk_create(tasks, batch_size=2000)
