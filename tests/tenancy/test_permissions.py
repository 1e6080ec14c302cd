"""The permissions table (tenancy/permissions.py), role by role, and how API keys map onto it."""

import pytest

from tenancy import permissions as p
from tenancy.api_permissions import principal_can
from tenancy.models import ApiKey, Membership, Role, Tenant
from tenancy.principal import Principal

EXPECTED = {
    Role.ADMIN: {p.ACCOUNTS_WRITE, p.ACCOUNTS_ENGAGE, p.HEALTH_WRITE, p.HEALTH_CONFIGURE, p.TICKETS_WRITE,
                 p.TICKETS_CONFIGURE, p.KB_WRITE, p.ONBOARDING_WRITE, p.ONBOARDING_CONFIGURE, p.RENEWALS_CONFIGURE,
                 p.ADVOCACY_CONFIGURE, p.DASHBOARDS_CONFIGURE, p.TENANT_MANAGE, p.INTEGRATIONS_MANAGE},
    Role.VP: {p.ACCOUNTS_WRITE, p.ACCOUNTS_ENGAGE, p.HEALTH_WRITE, p.HEALTH_CONFIGURE, p.TICKETS_WRITE,
              p.ONBOARDING_WRITE, p.ONBOARDING_CONFIGURE, p.RENEWALS_CONFIGURE, p.ADVOCACY_CONFIGURE},
    Role.CSM: {p.ACCOUNTS_WRITE, p.ACCOUNTS_ENGAGE, p.HEALTH_WRITE, p.TICKETS_WRITE, p.ONBOARDING_WRITE},
    Role.SUPPORT_ENGINEER: {p.ACCOUNTS_ENGAGE, p.TICKETS_WRITE, p.KB_WRITE},
    Role.ONBOARDING_SPECIALIST: {p.ACCOUNTS_ENGAGE, p.ONBOARDING_WRITE, p.ONBOARDING_CONFIGURE},
    Role.SUPPORT_MANAGER: {p.ACCOUNTS_ENGAGE, p.TICKETS_WRITE, p.TICKETS_CONFIGURE, p.KB_WRITE},
    Role.VIEWER: set(),
}


def test_every_role_is_in_the_table():
    assert set(EXPECTED) == set(Role.values) == set(p.ROLE_CAPABILITIES)


@pytest.mark.parametrize("role", list(Role.values))
@pytest.mark.parametrize("capability", sorted(p.ALL_CAPABILITIES))
def test_role_capability(role, capability):
    assert p.role_can(role, capability) is (capability in EXPECTED[role])


@pytest.mark.parametrize("role", list(Role.values))
def test_capabilities_for(role):
    assert p.capabilities_for(role) == EXPECTED[role]


def test_only_admins_manage_the_tenant():
    assert [r for r in Role.values if p.role_can(r, p.TENANT_MANAGE)] == [Role.ADMIN]


def test_unknown_capability_is_an_error_and_unknown_role_has_nothing():
    with pytest.raises(KeyError):
        p.role_can(Role.ADMIN, "accounts.destroy")
    assert not p.role_can("janitor", p.ACCOUNTS_WRITE)
    assert p.capabilities_for("janitor") == frozenset()


@pytest.mark.parametrize(("scopes", "expected"), [(["read"], set()), (["read", "write"], p.ALL_CAPABILITIES - {p.TENANT_MANAGE})])
def test_api_keys(scopes, expected):
    principal = Principal(tenant=Tenant(slug="x"), api_key=ApiKey(scopes=scopes))
    assert {c for c in p.ALL_CAPABILITIES if principal_can(principal, c)} == expected


@pytest.mark.parametrize("role", list(Role.values))
def test_session_principals_follow_the_role(role):
    principal = Principal(tenant=Tenant(slug="x"), membership=Membership(role=role))
    assert {c for c in p.ALL_CAPABILITIES if principal_can(principal, c)} == EXPECTED[role]
