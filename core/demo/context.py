from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from accounts.models import Account
from tenancy.models import Tenant, User


@dataclass
class SeedContext:
    """What an app's ``seed.seed_tenant(ctx)`` gets: the tenant (already in context), its handbook entry,
    its demo accounts and people, a seeded RNG (repeatable data) and a progress printer."""

    tenant: Tenant
    slug: str
    profile: dict
    accounts: list[Account]
    users: dict[str, list[User]]  # role -> users
    rng: random.Random
    today: date
    progress: Callable[[str], None] = field(default=print)

    def user(self, role: str, index: int = 0) -> User | None:
        people = self.users.get(role) or []
        return people[index % len(people)] if people else None
