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
