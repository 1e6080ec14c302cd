"""OpenAPI descriptions of the error answers every endpoint shares (API.md "API basics")."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view, inline_serializer
from rest_framework import serializers

_DETAIL = inline_serializer("ErrorDetail", {"detail": serializers.CharField()})
_FIELDS = inline_serializer(
    "FieldErrors", {"field": serializers.ListField(child=serializers.CharField(), help_text="Messages per field.")}
)

UNAUTHORIZED = OpenApiResponse(_DETAIL, description="No key, a bad key or a revoked key.")
FORBIDDEN = OpenApiResponse(_DETAIL, description="A read-only key, or a role that may not write, writing.")
NOT_FOUND = OpenApiResponse(_DETAIL, description="No such object in this key's tenant (another tenant's is 404 too).")
BAD_REQUEST = OpenApiResponse(_FIELDS, description='Invalid input: `{"field": ["message"]}`; nothing was written.')

READ_ERRORS = {401: UNAUTHORIZED}
OBJECT_READ_ERRORS = {401: UNAUTHORIZED, 404: NOT_FOUND}
WRITE_ERRORS = {400: BAD_REQUEST, 401: UNAUTHORIZED, 403: FORBIDDEN}
OBJECT_WRITE_ERRORS = {**WRITE_ERRORS, 404: NOT_FOUND}


def document_model_viewset_errors(serializer_class):
    """Class decorator: the shared error answers on a list/create/retrieve/update/delete viewset's schema."""
    return extend_schema_view(
        list=extend_schema(responses={200: serializer_class, **READ_ERRORS}),
        create=extend_schema(responses={201: serializer_class, **WRITE_ERRORS}),
        retrieve=extend_schema(responses={200: serializer_class, **OBJECT_READ_ERRORS}),
        partial_update=extend_schema(responses={200: serializer_class, **OBJECT_WRITE_ERRORS}),
        destroy=extend_schema(responses={204: None, **OBJECT_WRITE_ERRORS}),
    )


IDEMPOTENCY_KEY_PARAMETER = {
    "in": "header",
    "name": "Idempotency-Key",
    "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": 255},
    "description": (
        "Optional, 1-255 printable ASCII characters (API keys only). The same key with the same request "
        "(method, path and body) from the same API key within 24 hours answers the first response again, "
        "byte for byte with `Idempotent-Replayed: true`, and writes nothing more; with a different request "
        "it is 422; while the first request is still running, 409 with `Retry-After`. A 5xx or 429 answer "
        "is not kept: a retry with the same key runs again."
    ),
}
_IDEMPOTENCY_ERROR = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}
IDEMPOTENCY_RESPONSES = {
    "409": "A request with this Idempotency-Key is still running; retry after `Retry-After` seconds.",
    "422": "This Idempotency-Key was used for a different request (method, path or body).",
}


def document_idempotency_key(result, generator, request, public):
    """drf-spectacular postprocessing hook: the Idempotency-Key header and its answers on every POST."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault("IdempotencyError", _IDEMPOTENCY_ERROR)
    for operations in result.get("paths", {}).values():
        operation = operations.get("post")
        if operation is None:
            continue
        parameters = operation.setdefault("parameters", [])
        if not any(p.get("name") == "Idempotency-Key" and p.get("in") == "header" for p in parameters):
            parameters.append(dict(IDEMPOTENCY_KEY_PARAMETER))
        responses = operation.setdefault("responses", {})
        for status, description in IDEMPOTENCY_RESPONSES.items():
            responses.setdefault(status, {
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/IdempotencyError"}}},
                "description": description,
            })
    return result
