from __future__ import annotations

from django.utils import timezone

from tenancy.context import reset_current_tenant, set_current_tenant
from tenancy.principal import Principal
from tenancy.selectors import memberships_for_request

SESSION_TENANT_KEY = "tenant_id"


class TenantMiddleware:
    """Sets the request's tenant from the signed-in user's membership (session-chosen when several).

    ``request.tenant`` / ``request.membership`` are None for anonymous users and users
    without a membership. API-key requests get their tenant from the key during DRF
    authentication, inside the scope opened here.

    Pages render times (and ``timezone.localdate()``, "today") in the tenant's time zone. The API
    keeps UTC for every caller, so a key and a browser session read the same timestamps.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        membership, memberships = None, None
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            membership, memberships = memberships_for_request(
                user=user, tenant_id=request.session.get(SESSION_TENANT_KEY)
            )
            if membership is not None and request.session.get(SESSION_TENANT_KEY) != membership.tenant_id:
                request.session[SESSION_TENANT_KEY] = membership.tenant_id
        request.membership = membership
        request.user_memberships = memberships  # the tenant switcher's list, loaded with the membership
        request.tenant = membership.tenant if membership else None
        request.principal = Principal(tenant=membership.tenant, membership=membership) if membership else None
        token = set_current_tenant(request.tenant)
        local_time = request.tenant is not None and not request.path.startswith("/api/")
        try:
            if local_time:
                with timezone.override(request.tenant.tzinfo):
                    return self.get_response(request)
            return self.get_response(request)
        finally:
            reset_current_tenant(token)
