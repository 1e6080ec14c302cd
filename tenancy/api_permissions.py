from __future__ import annotations

from rest_framework import permissions

from tenancy.principal import Principal


def principal_can(principal: Principal, capability: str) -> bool:
    return principal.can(capability)


class TenantApiPermission(permissions.BasePermission):
    """Authenticated for a tenant to read; writes need the view's `write_capability`.

    A read-only key writing gets 403; no key or a bad key gets 401 (from authentication).
    """

    message = "This key or role may not make this change."

    def has_permission(self, request, view) -> bool:
        principal = request.user
        if not isinstance(principal, Principal):
            return False
        if request.method in permissions.SAFE_METHODS:
            return True
        capability = getattr(view, "write_capability", None)
        if capability is None:
            # A view that declares no write capability writes nothing: a verb it does not implement
            # goes on to DRF's 405; one it implements (a write with no capability) is refused.
            return not hasattr(view, request.method.lower())
        return principal_can(principal, capability)
