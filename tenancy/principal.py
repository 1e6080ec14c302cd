"""Who is acting: a member of a tenant (browser session) or an API key (integration).

One type for pages, API and the ``access_*`` helpers, so a capability is checked the same way
everywhere: ``principal.can(capability)`` reads the one permissions table (tenancy/permissions.py).
Pages get it as ``request.principal`` (set by ``TenantMiddleware``); the API as ``request.user``
(set by the authentication classes). ``principal_of(request)`` accepts either.
"""

from __future__ import annotations

from dataclasses import dataclass

from tenancy.models import ApiKey, Membership, Tenant
from tenancy.permissions import API_KEY_WRITE_CAPABILITIES, role_can


@dataclass(frozen=True)
class Principal:
    tenant: Tenant
    api_key: ApiKey | None = None
    membership: Membership | None = None

    @property
    def is_authenticated(self) -> bool:  # DRF treats request.user as a user
        return True

    @property
    def user(self):
        """The member's user; None for an API key."""
        return self.membership.user if self.membership else None

    @property
    def role(self) -> str | None:
        return self.membership.role if self.membership else None

    def can(self, capability: str) -> bool:
        if self.api_key is not None:
            return self.api_key.can_write() and capability in API_KEY_WRITE_CAPABILITIES
        return self.membership is not None and role_can(self.membership.role, capability)


def principal_of(request) -> Principal | None:
    """The principal of a page request (``request.principal``) or a DRF request (``request.user``)."""
    user = getattr(request, "user", None)
    if isinstance(user, Principal):
        return user
    return getattr(request, "principal", None) or getattr(getattr(request, "_request", None), "principal", None)
