"""Everything under /api/ answers JSON, errors included.

DRF already answers its own errors as ``{"detail": ...}``; what reaches a client as an HTML page
comes from outside DRF: an unknown path or an id that fails the URL pattern (Django's 404), a view
with an HTML renderer (the docs pages' 405), a 500, or Django refusing a request before any view
ran. This middleware (first in ``MIDDLEWARE``, so it sees every response) turns any such error under
/api/ into ``{"detail": ...}`` with the same status and headers (``Allow``, ``Retry-After``...).

It also refuses a query string holding a NUL character (PostgreSQL cannot compare with one) with a
400 naming the parameter, once for every endpoint; request bodies are checked by
``core.api.parsers``.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse

logger = logging.getLogger(__name__)

API_PREFIX = "/api/"
_KEEP_OUT = {"content-type", "content-length"}

DETAILS = {
    400: "Bad request.",
    401: "Authentication credentials were not provided.",
    403: "You do not have permission to perform this action.",
    404: "Not found.",
    413: "The request body is too large.",
    500: "A server error occurred.",
}


def is_api_request(request: HttpRequest) -> bool:
    return request.path_info.startswith(API_PREFIX)


def too_large_detail() -> str:
    return f"The request body is larger than the limit of {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes."


def query_errors(request: HttpRequest) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for key, values in request.GET.lists():
        if "\x00" in key or any("\x00" in value for value in values):
            errors[key.replace("\x00", "\\x00")] = ["Null characters are not allowed."]
    return errors


def _is_json(response: HttpResponse) -> bool:
    content_type = response.get("Content-Type", "").split(";")[0].strip().lower()
    return content_type == "application/json" or content_type.endswith("+json")


def _detail(request: HttpRequest, response: HttpResponse):
    data = getattr(response, "data", None)  # a DRF Response rendered by an HTML or YAML renderer
    if isinstance(data, dict) and data:
        return {key: value for key, value in data.items() if key != "status_code"}  # added by the HTML renderer
    if response.status_code == 405:
        return {"detail": f'Method "{request.method}" not allowed.'}
    return {"detail": DETAILS.get(response.status_code) or f"{response.reason_phrase}."}


def as_json(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    replacement = JsonResponse(_detail(request, response), status=response.status_code)
    for header, value in response.headers.items():
        if header.lower() not in _KEEP_OUT:
            replacement[header] = value
    replacement.cookies = response.cookies
    return replacement


class ApiJsonMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not is_api_request(request):
            return self.get_response(request)
        bad_query = query_errors(request)
        if bad_query:
            return JsonResponse(bad_query, status=400)
        response = self.get_response(request)
        if response.status_code >= 400 and not _is_json(response):
            return as_json(request, response)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception):
        """A body over DATA_UPLOAD_MAX_MEMORY_SIZE read outside DRF (which answers it itself)."""
        if is_api_request(request) and isinstance(exception, RequestDataTooBig):
            logger.warning("API request body over the limit: %s", request.path)
            return JsonResponse({"detail": too_large_detail()}, status=413)
        return None
