"""Per-principal API rate limit: one bucket per API key, or per member for session calls.

The rate is `API_RATE_LIMIT` (default 6000/min, i.e. 100 requests a second sustained), counted in
the Django cache (Redis when REDIS_URL is set, so shared by every web process). Over it: 429 with
Retry-After.

The count is one atomic increment per request in a fixed window (``cache.add`` then ``cache.incr``:
Redis ``SET NX`` + ``INCR``, a lock in the local-memory cache), so concurrent requests can never
both read the same count and slip through together. When the cache is unreachable the limiter
fails open: the request is served and a warning is logged (at most once a minute per process).
"""

from __future__ import annotations

import logging
import time

from django.core.cache import cache as default_cache
from rest_framework.throttling import SimpleRateThrottle

from tenancy.principal import Principal

logger = logging.getLogger(__name__)

_WARN_EVERY = 60.0
_last_warning = {"at": float("-inf")}


class PrincipalRateThrottle(SimpleRateThrottle):
    scope = "principal"
    cache = default_cache

    def get_cache_key(self, request, view):
        principal = request.user
        if not isinstance(principal, Principal):
            return None  # unauthenticated requests are refused with 401 before they cost anything
        if principal.api_key is not None:
            ident = f"key:{principal.api_key.pk}"
        else:
            ident = f"user:{principal.membership.user_id}"
        return self.cache_format % {"scope": self.scope, "ident": ident}

    def allow_request(self, request, view):
        if self.rate is None:
            return True
        key = self.get_cache_key(request, view)
        if key is None:
            return True
        now = self.timer()
        window = int(now // self.duration)
        self.window_ends = (window + 1) * self.duration
        self.now = now
        bucket = f"{key}:{window}"
        try:
            self.cache.add(bucket, 0, timeout=self.duration + 1)
            count = self.cache.incr(bucket)
        except ValueError:  # the bucket expired between add and incr: this request opens the next one
            count = 1
            try:
                self.cache.add(bucket, 1, timeout=self.duration + 1)
            except Exception:  # noqa: BLE001
                return self._fail_open(key)
        except Exception:  # noqa: BLE001 - cache down: serve the request rather than fail it
            return self._fail_open(key)
        return count <= self.num_requests

    def wait(self):
        return max(1.0, self.window_ends - self.now)

    @staticmethod
    def _fail_open(key: str) -> bool:
        now = time.monotonic()
        if now - _last_warning["at"] >= _WARN_EVERY:
            _last_warning["at"] = now
            logger.warning("rate limit not enforced: the cache is unreachable (%s); failing open", key,
                           exc_info=True)
        return True
