"""``Idempotency-Key`` on every POST under /api/v1/ (API.md "Idempotent writes"), in one place.

A middleware rather than a base class, so that no endpoint can forget it: viewsets, their
``@action``s and plain ``APIView``s alike (tests/core/test_idempotency.py walks every POST route and
the schema to hold that). ``process_view`` runs once the URL resolved and before the view:

- only a request authenticated by an API key is covered (the record is kept per API key); a browser
  session's POST, or a request whose key is bad (DRF answers it 401), passes through untouched;
- the key must be 1-255 printable ASCII characters, else 400 ``{"Idempotency-Key": [...]}``;
- the body is hashed as it is read (spooled, so a 25 MB attachment is not held in memory) and handed
  on to the view unchanged;
- ``core.idempotency.claim`` decides: run the view, replay the stored answer (with
  ``Idempotent-Replayed: true``), 409 with ``Retry-After`` while the first request runs, or 422 when
  the key came with another method, path or body.

``__call__`` stores the view's answer, or releases the claim on a 5xx or a 429 (see
``core.idempotency.should_store``).
"""

from __future__ import annotations

import hashlib
import logging
import tempfile

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from rest_framework.exceptions import AuthenticationFailed

from core import idempotency
from tenancy.api_auth import api_key_of_request

logger = logging.getLogger(__name__)

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
API_V1_PREFIX = "/api/v1/"
RETRY_AFTER_SECONDS = "1"  # the first request usually answers within a second
_CHUNK = 64 * 1024
_CLAIM_ATTR = "_idempotency_claim"
_SPOOL_ATTR = "_idempotency_spool"

IN_PROGRESS_DETAIL = (
    "A request with this Idempotency-Key is still being processed. Retry after it has finished "
    "to receive its response."
)
MISMATCH_DETAIL = (
    "This Idempotency-Key was already used for a different request (method, path or body) by this API key "
    "in the last 24 hours. Use a new key for a new request."
)


def _body_sha256(request: HttpRequest) -> str:
    """SHA-256 of the request body, leaving the body readable for the view (parsers, uploads)."""
    if hasattr(request, "_body"):
        return hashlib.sha256(request._body).hexdigest()
    digest = hashlib.sha256()
    spool = tempfile.SpooledTemporaryFile(max_size=settings.FILE_UPLOAD_MAX_MEMORY_SIZE)  # noqa: SIM115
    while chunk := request.read(_CHUNK):
        digest.update(chunk)
        spool.write(chunk)
    spool.seek(0)
    request._stream = spool  # what HttpRequest.read() reads: the view sees the same bytes
    request._read_started = False
    request.__dict__[_SPOOL_ATTR] = spool  # closed once the response is out
    return digest.hexdigest()


def _replay(stored: idempotency.StoredResponse) -> HttpResponse:
    response = HttpResponse(stored.body, status=stored.status)
    for header, value in stored.headers.items():
        response[header] = value
    response[REPLAYED_HEADER] = "true"
    return response


def _snapshot(response: HttpResponse) -> idempotency.StoredResponse:
    headers = {name: response[name] for name in idempotency.REPLAYED_HEADERS if response.has_header(name)}
    return idempotency.StoredResponse(status=response.status_code, body=bytes(response.content), headers=headers)


class IdempotencyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            response = self.get_response(request)
        except BaseException:
            self._settle(request, None)
            raise
        finally:
            spool = request.__dict__.pop(_SPOOL_ATTR, None)
            if spool is not None:
                spool.close()
        try:
            self._settle(request, response)
        except Exception:  # noqa: BLE001 - the endpoint answered: its answer goes out; the lease frees the key
            logger.exception("could not record the Idempotency-Key answer of %s", request.path)
        return response

    @staticmethod
    def _settle(request: HttpRequest, response: HttpResponse | None) -> None:
        """Store the view's answer for replays, or release the key so that a retry runs."""
        claimed = request.__dict__.pop(_CLAIM_ATTR, None)
        if claimed is None:
            return
        if response is not None and not response.streaming and idempotency.should_store(response.status_code):
            idempotency.finish(claimed, _snapshot(response))
        else:
            idempotency.release(claimed)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs):
        key = request.headers.get(HEADER)
        if key is None or request.method != "POST" or not request.path_info.startswith(API_V1_PREFIX):
            return None
        try:
            api_key = api_key_of_request(request)
        except AuthenticationFailed:
            return None  # DRF answers 401
        if api_key is None:
            return None  # a browser session: not covered (API.md keeps the record per API key)
        problem = idempotency.key_error(key)
        if problem:
            return JsonResponse({HEADER: [problem]}, status=400)
        fingerprint = idempotency.request_fingerprint(
            method=request.method, path=request.get_full_path(), body_sha256=_body_sha256(request)
        )
        claimed = idempotency.claim(tenant_id=api_key.tenant_id, api_key_id=api_key.pk, key=key, fingerprint=fingerprint)
        if claimed.outcome is idempotency.Outcome.CLAIMED:
            request.__dict__[_CLAIM_ATTR] = claimed
            return None
        if claimed.outcome is idempotency.Outcome.REPLAY:
            return _replay(claimed.response)
        if claimed.outcome is idempotency.Outcome.MISMATCH:
            return JsonResponse({"detail": MISMATCH_DETAIL}, status=422)
        response = JsonResponse({"detail": IN_PROGRESS_DETAIL}, status=409)
        response["Retry-After"] = RETRY_AFTER_SECONDS
        return response
