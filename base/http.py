"""Small request helpers shared by the page views of every app."""

from __future__ import annotations

import csv
from collections.abc import Iterable

from django.http import HttpResponse
from django.utils.http import url_has_allowed_host_and_scheme


def safe_next(request, fallback: str = "") -> str:
    """The `next` parameter (POST, then GET) when it is a URL on this site, else ``fallback``.

    Never an open redirect: another host or scheme falls back.
    """
    target = request.POST.get("next") or request.GET.get("next") or ""
    allowed = url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure())
    return target if target and allowed else fallback


def csv_response(filename: str, rows: Iterable[Iterable]) -> HttpResponse:
    """Figures already in memory as a CSV attachment (``rows``: lists of cells). Long exports stream instead
    (``accounts.views`` streams the account list)."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    csv.writer(response).writerows(rows)
    return response
