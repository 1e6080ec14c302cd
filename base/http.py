"""Small request helpers shared by the page views of every app."""

from __future__ import annotations

from django.utils.http import url_has_allowed_host_and_scheme


def safe_next(request, fallback: str = "") -> str:
    """The `next` parameter (POST, then GET) when it is a URL on this site, else ``fallback``.

    Never an open redirect: another host or scheme falls back.
    """
    target = request.POST.get("next") or request.GET.get("next") or ""
    allowed = url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure())
    return target if target and allowed else fallback
