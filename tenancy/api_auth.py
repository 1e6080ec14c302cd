"""DRF authentication: `Authorization: Bearer <key>` for integrations, the session for the browser."""

from __future__ import annotations

import base64
import binascii
import hmac
from datetime import timedelta

from django.utils import timezone
from rest_framework import authentication, exceptions

from tenancy.context import set_current_tenant
from tenancy.models import ApiKey
from tenancy.principal import Principal

LAST_USED_RESOLUTION = timedelta(minutes=1)


_RESULT_ATTR = "_api_key_authentication"


def api_key_of_request(request) -> ApiKey | None:
    """The API key named by ``Authorization: Bearer <key>`` of a Django request: None without the
    header, AuthenticationFailed for a bad one. Remembered on the request, so the idempotency
    middleware (which needs the key before the view runs) and DRF's authentication look it up once."""
    cached = request.__dict__.get(_RESULT_ATTR)
    if cached is None:
        try:
            cached = ("key", _look_up(request))
        except exceptions.AuthenticationFailed as exc:
            cached = ("failed", exc)
        request.__dict__[_RESULT_ATTR] = cached
    kind, value = cached
    if kind == "failed":
        raise value
    return value


def _look_up(request) -> ApiKey | None:
    header = authentication.get_authorization_header(request).decode("latin-1")
    if not header:
        return None
    parts = header.split()
    if len(parts) != 2 or parts[0].lower() != ApiKeyAuthentication.keyword.lower():  # case-insensitive (RFC 9110)
        raise exceptions.AuthenticationFailed("Use the header `Authorization: Bearer <key>`.")
    return key_for(parts[1])


def key_for(raw: str) -> ApiKey:
    """The live API key whose full text is ``raw`` (AuthenticationFailed otherwise); notes when it was used."""
    pieces = raw.split("_")
    if len(pieces) < 3 or pieces[0] != "csp":
        raise exceptions.AuthenticationFailed("Invalid API key.")
    key = ApiKey.all_tenants.select_related("tenant").filter(prefix=pieces[1], revoked_at__isnull=True).first()
    if key is None or not hmac.compare_digest(key.key_hash, ApiKey.hash_secret(raw)):
        raise exceptions.AuthenticationFailed("Invalid API key.")
    now = timezone.now()
    if key.last_used_at is None or now - key.last_used_at > LAST_USED_RESOLUTION:
        ApiKey.all_tenants.filter(pk=key.pk).update(last_used_at=now)
    return key


class ApiKeyAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        key = api_key_of_request(request._request)
        if key is None:
            return None
        return self.authenticated(request, key)

    def authenticate_key(self, request, raw: str):
        return self.authenticated(request, key_for(raw))

    @staticmethod
    def authenticated(request, key: ApiKey):
        set_current_tenant(key.tenant)
        request._request.tenant = key.tenant
        return Principal(tenant=key.tenant, api_key=key), key

    def authenticate_header(self, request):
        return self.keyword


class WriteKeyAuthentication(ApiKeyAuthentication):
    """Segment's form of the same key: `Authorization: Basic base64("<key>:")` (the key as the user name,
    no password), for the product-events endpoints; any other header is left to the Bearer scheme."""

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        parts = header.split()
        if len(parts) != 2 or parts[0].lower() != "basic":
            return None
        try:
            user, _, _ = base64.b64decode(parts[1], validate=True).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise exceptions.AuthenticationFailed("Use `Authorization: Basic base64(<key>:)`.") from exc
        return self.authenticate_key(request, user)


class TenantSessionAuthentication(authentication.SessionAuthentication):
    """Session auth for the browser's own calls; the tenant comes from the membership middleware."""

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is None:
            return None
        membership = getattr(request._request, "membership", None)
        if membership is None:
            raise exceptions.AuthenticationFailed("You are not a member of any tenant.")
        return Principal(tenant=membership.tenant, membership=membership), None
