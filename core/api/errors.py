"""API errors: 400 bodies are `{"field": ["message"]}`; Django validation errors become 400s too.
Any other error is `{"detail": "..."}` (DRF's shape); a body over the upload limit is a 413."""

from __future__ import annotations

from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from base.errors import DomainError
from core.api.middleware import too_large_detail


def _django_validation_detail(exc: DjangoValidationError):
    if hasattr(exc, "error_dict"):
        return {field: [m for err in errors for m in err.messages] for field, errors in exc.error_dict.items()}
    return {"non_field_errors": exc.messages}


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(_django_validation_detail(exc))
    elif isinstance(exc, DomainError):
        body = {exc.field or "non_field_errors": [str(exc)]}
        return Response(body, status=exc.status_code)
    elif isinstance(exc, RequestDataTooBig):
        return Response({"detail": too_large_detail()}, status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    response = drf_exception_handler(exc, context)
    if response is not None and response.status_code == status.HTTP_400_BAD_REQUEST:
        if isinstance(response.data, list):
            response.data = {"non_field_errors": response.data}
    return response
