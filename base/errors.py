from __future__ import annotations

from django.http import Http404


class DomainError(Exception):
    """A write refused by a business rule. Services raise it; API and views show its message.

    ``field`` names the input at fault (API body key), ``status_code`` the HTTP status (400 default,
    409 for a state conflict such as an invalid ticket transition).
    """

    status_code = 400

    def __init__(self, message: str, *, field: str | None = None, status_code: int | None = None):
        super().__init__(message)
        self.field = field
        if status_code is not None:
            self.status_code = status_code


class InvalidTransition(DomainError):
    status_code = 409


class NotFound(Http404):
    """The one not-found error of every ``access_*`` helper: the object does not exist, is another
    tenant's, or its id is malformed. It is an ``Http404``, so pages answer the 404 page and the API
    (DRF maps ``Http404``) answers ``{"detail": "Not found."}`` with 404: never a 403 across tenants."""
