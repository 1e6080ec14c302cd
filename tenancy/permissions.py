"""Who may write what: one table, tested.

Everyone in a tenant may read. A capability names a kind of write; a role has a
set of them. API keys with the ``write`` scope act for their tenant and hold every
capability but ``tenant.manage`` (people and keys are managed in the browser).
"""

from __future__ import annotations

from tenancy.models import Role

ACCOUNTS_WRITE = "accounts.write"  # create/edit/delete accounts and contacts, import
ACCOUNTS_ENGAGE = "accounts.engage"  # notes, calls, tasks on an account's timeline
HEALTH_WRITE = "health.write"  # usage ingestion, CSM sentiment, on-demand recompute
HEALTH_CONFIGURE = "health.configure"  # scorecards, bands, risk thresholds
TICKETS_WRITE = "tickets.write"  # create, reply, assign, change status
TICKETS_CONFIGURE = "tickets.configure"  # SLA policies, business hours, escalation
KB_WRITE = "kb.write"  # knowledge-base articles
ONBOARDING_WRITE = "onboarding.write"  # plans and their tasks
ONBOARDING_CONFIGURE = "onboarding.configure"  # plan templates
RENEWALS_CONFIGURE = "renewals.configure"  # touchpoint cadences (and renewal settings)
ADVOCACY_CONFIGURE = "advocacy.configure"  # the reference program: yearly cap, eligibility rules, targets
DASHBOARDS_CONFIGURE = "dashboards.configure"  # KPI targets (admins; write-scoped API keys)
TENANT_MANAGE = "tenant.manage"  # people, roles, API keys, tenant settings
INTEGRATIONS_MANAGE = "integrations.manage"  # outgoing webhooks and Slack notifications (admins; write API keys)

ALL_CAPABILITIES = frozenset(
    {
        ACCOUNTS_WRITE,
        ACCOUNTS_ENGAGE,
        HEALTH_WRITE,
        HEALTH_CONFIGURE,
        TICKETS_WRITE,
        TICKETS_CONFIGURE,
        KB_WRITE,
        ONBOARDING_WRITE,
        ONBOARDING_CONFIGURE,
        RENEWALS_CONFIGURE,
        ADVOCACY_CONFIGURE,
        DASHBOARDS_CONFIGURE,
        TENANT_MANAGE,
        INTEGRATIONS_MANAGE,
    }
)

ROLE_CAPABILITIES: dict[str, frozenset[str]] = {
    Role.ADMIN: ALL_CAPABILITIES,
    Role.VP: frozenset(
        {ACCOUNTS_WRITE, ACCOUNTS_ENGAGE, HEALTH_WRITE, HEALTH_CONFIGURE, TICKETS_WRITE, ONBOARDING_WRITE,
         ONBOARDING_CONFIGURE, RENEWALS_CONFIGURE, ADVOCACY_CONFIGURE}
    ),
    Role.CSM: frozenset({ACCOUNTS_WRITE, ACCOUNTS_ENGAGE, HEALTH_WRITE, TICKETS_WRITE, ONBOARDING_WRITE}),
    Role.SUPPORT_ENGINEER: frozenset({ACCOUNTS_ENGAGE, TICKETS_WRITE, KB_WRITE}),
    Role.ONBOARDING_SPECIALIST: frozenset({ACCOUNTS_ENGAGE, ONBOARDING_WRITE, ONBOARDING_CONFIGURE}),
    Role.SUPPORT_MANAGER: frozenset({ACCOUNTS_ENGAGE, TICKETS_WRITE, TICKETS_CONFIGURE, KB_WRITE}),
    Role.VIEWER: frozenset(),
}

API_KEY_WRITE_CAPABILITIES = ALL_CAPABILITIES - {TENANT_MANAGE}


def role_can(role: str, capability: str) -> bool:
    if capability not in ALL_CAPABILITIES:
        raise KeyError(f"Unknown capability {capability!r}")
    return capability in ROLE_CAPABILITIES.get(role, frozenset())


def capabilities_for(role: str) -> frozenset[str]:
    return ROLE_CAPABILITIES.get(role, frozenset())


def role_can_own_work(role: str) -> bool:
    """Whether work (onboarding tasks, CTAs) may be assigned to a member of ``role``: any role that may act
    on an account. A viewer only reads, so nobody is handed work they could never tick off."""
    return ACCOUNTS_ENGAGE in capabilities_for(role)


def work_owner_roles() -> list[str]:
    """The roles that may own work, in the order of ``Role``."""
    return [role for role in Role.values if role_can_own_work(role)]
