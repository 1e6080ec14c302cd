"""Per-principal API rate limit: one bucket per API key, or per member for session calls.

The rate is `API_RATE_LIMIT` (default 6000/min, i.e. 100 requests a second sustained), counted in
the Django cache (Redis when REDIS_URL is set, so shared by every web process). Over it: 429 with
Retry-After.
"""

from __future__ import annotations

from rest_framework.throttling import SimpleRateThrottle

from tenancy.api_auth import ApiPrincipal


class PrincipalRateThrottle(SimpleRateThrottle):
    scope = "principal"

    def get_cache_key(self, request, view):
        principal = request.user
        if not isinstance(principal, ApiPrincipal):
            return None  # unauthenticated requests are refused with 401 before they cost anything
        if principal.api_key is not None:
            ident = f"key:{principal.api_key.pk}"
        else:
            ident = f"user:{principal.membership.user_id}"
        return self.cache_format % {"scope": self.scope, "ident": ident}
