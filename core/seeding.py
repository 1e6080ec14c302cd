"""The seam between the demo seeder (``ops``) and each app's ``seed.seed_tenant(ctx)``.

Apps get a :class:`SeedContext`; the handbook tenants' slugs are named here so an app's seed data can
say which tenant it is for. The handbooks themselves (``ops/demo/handbooks.py``) and the command
(``python manage.py seed_demo``) live in ``ops``, which imports every app.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from tenancy.models import Tenant, User

RAG_FORTRESS = "rag-fortress"
MODULAR_CS = "modular-cs"
TECHCORP = "techcorp"
MARKETINGAI_PRO = "marketingai-pro"
AGENT_FACTORY = "agent-factory"


@dataclass
class SeedContext:
    """What an app's ``seed.seed_tenant(ctx)`` gets: the tenant (already in context), its handbook entry,
    its demo accounts and people, a seeded RNG (repeatable data) and a progress printer."""

    tenant: Tenant
    slug: str
    profile: dict
    accounts: list  # accounts.models.Account rows (core sits below accounts: not imported here)
    users: dict[str, list[User]]  # role -> users
    rng: random.Random
    today: date
    progress: Callable[[str], None] = field(default=print)

    def user(self, role: str, index: int = 0) -> User | None:
        people = self.users.get(role) or []
        return people[index % len(people)] if people else None
