from tenancy.permissions import capabilities_for
from tenancy.selectors import user_memberships


def tenant(request):
    membership = getattr(request, "membership", None)
    if membership is None:
        return {"current_tenant": None, "current_membership": None, "capabilities": frozenset()}
    return {
        "current_tenant": membership.tenant,
        "current_membership": membership,
        "capabilities": capabilities_for(membership.role),
        "user_memberships": lambda: _user_memberships(request),
    }


def _user_memberships(request) -> list:
    """The switcher's list: what the tenant middleware loaded with the membership, else one query."""
    loaded = getattr(request, "user_memberships", None)
    return loaded if loaded is not None else list(user_memberships(user=request.user))
