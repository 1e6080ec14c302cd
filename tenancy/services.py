"""Writes on tenants, people and keys."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from core.errors import DomainError
from tenancy.context import tenant_context
from tenancy.models import (
    DEFAULT_SEGMENT_THRESHOLDS,
    ApiKey,
    ApiKeyReveal,
    Membership,
    Role,
    Tenant,
    User,
    validate_timezone,
)

VALID_SCOPES = ("read", "write")
SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")


@transaction.atomic
def tenant_create(
    *,
    slug: str,
    name: str,
    admin_email: str,
    admin_password: str | None,
    timezone_name: str = "UTC",
    currency: str = "USD",
    segment_thresholds: list[dict] | None = None,
    settings: dict | None = None,
    admin_name: str = "",
) -> Tenant:
    if not SLUG_RE.match(slug):
        raise DomainError("Slug must be lowercase letters, digits and hyphens.", field="slug")
    if Tenant.objects.filter(slug=slug).exists():
        raise DomainError(f"A tenant with slug {slug!r} already exists.", field="slug")
    try:
        validate_timezone(timezone_name)
    except ValidationError as exc:
        raise DomainError(exc.messages[0], field="timezone") from exc
    if not re.fullmatch(r"[A-Z]{3}", currency or ""):
        raise DomainError("Currency must be a three-letter ISO 4217 code, e.g. USD.", field="currency")
    tenant = Tenant.objects.create(
        slug=slug,
        name=name,
        timezone=timezone_name,
        currency=currency,
        segment_thresholds=segment_thresholds or DEFAULT_SEGMENT_THRESHOLDS,
        settings=settings or {},
    )
    with tenant_context(tenant):
        member_add(tenant=tenant, email=admin_email, role=Role.ADMIN, password=admin_password, full_name=admin_name)
    return tenant


def user_get_or_create(*, email: str, password: str | None = None, full_name: str = "") -> User:
    """The user with this email, or a new one with ``password`` (unusable when None).

    An existing user's password is never touched: whoever calls this does not own that account.
    """
    email = email.strip().lower()
    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        user = User.objects.create_user(email=email, password=password, full_name=full_name)
    return user


@transaction.atomic
def member_add(*, tenant: Tenant, email: str, role: str, password: str | None = None, full_name: str = "") -> Membership:
    if role not in Role.values:
        raise DomainError(f"Unknown role {role!r}.", field="role")
    user = user_get_or_create(email=email, password=password, full_name=full_name)
    membership, created = Membership.all_tenants.get_or_create(tenant=tenant, user=user, defaults={"role": role})
    if not created and membership.role != role:
        membership.role = role
        membership.save(update_fields=["role"])
    return membership


def membership_mark_used(*, membership: Membership) -> None:
    """Remember that the user acts in this tenant now (where they land when they next sign in)."""
    when = timezone.now()
    Membership.all_tenants.filter(pk=membership.pk).update(last_used_at=when)
    membership.last_used_at = when


@transaction.atomic
def member_set_role(*, membership: Membership, role: str) -> Membership:
    if role not in Role.values:
        raise DomainError(f"Unknown role {role!r}.", field="role")
    if membership.role == Role.ADMIN and role != Role.ADMIN:
        _ensure_another_admin(membership)
    membership.role = role
    membership.save(update_fields=["role"])
    return membership


@transaction.atomic
def member_remove(*, membership: Membership) -> None:
    if membership.role == Role.ADMIN:
        _ensure_another_admin(membership)
    membership.delete()


def _ensure_another_admin(membership: Membership) -> None:
    others = Membership.all_tenants.filter(tenant_id=membership.tenant_id, role=Role.ADMIN).exclude(pk=membership.pk)
    if not others.exists():
        raise DomainError("A tenant needs at least one admin.", field="role")


def api_key_create(*, tenant: Tenant, name: str, scopes: list[str], created_by: User | None = None) -> tuple[ApiKey, str]:
    """Create a key and return it with its raw value, which is shown once and never stored."""
    scopes = sorted({s.strip() for s in scopes if s.strip()})
    unknown = [s for s in scopes if s not in VALID_SCOPES]
    if unknown or not scopes:
        raise DomainError(f"Scopes must be among {', '.join(VALID_SCOPES)}.", field="scopes")
    if "write" in scopes and "read" not in scopes:
        scopes = ["read", "write"]
    prefix, raw = ApiKey.generate()
    key = ApiKey.all_tenants.create(
        tenant=tenant,
        name=name or "API key",
        prefix=prefix,
        key_hash=ApiKey.hash_secret(raw),
        scopes=scopes,
        created_by=created_by,
    )
    return key, raw


def _keystream(token: str, length: int) -> bytes:
    return hashlib.shake_256(b"csp-api-key-reveal:" + token.encode()).digest(length)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def api_key_reveal_create(*, key: ApiKey, raw: str, user: User) -> str:
    """Hold ``raw`` for one showing to ``user``; return the token (for the URL) that unseals it.

    Expired reveals of any tenant are swept here, so none outlives its minutes by much.
    """
    ApiKeyReveal.all_tenants.filter(expires_at__lte=timezone.now()).delete()
    token = secrets.token_urlsafe(32)
    data = raw.encode()
    ApiKeyReveal.all_tenants.create(
        tenant_id=key.tenant_id,
        key=key,
        user=user,
        token_hash=_token_hash(token),
        sealed=bytes(a ^ b for a, b in zip(data, _keystream(token, len(data)), strict=True)),
        expires_at=timezone.now() + timedelta(seconds=ApiKeyReveal.TTL_SECONDS),
    )
    return token


@transaction.atomic
def api_key_reveal_take(*, token: str, user: User) -> tuple[ApiKey, str] | None:
    """The key and its raw value, once: the row is deleted as it is read. None when unknown, expired,
    another member's or another tenant's (the current tenant's manager scopes the lookup)."""
    reveal = (
        ApiKeyReveal.objects.select_for_update().select_related("key")
        .filter(token_hash=_token_hash(token), user=user).first()
    )
    if reveal is None:
        return None
    reveal.delete()
    if reveal.expires_at <= timezone.now():
        return None
    sealed = bytes(reveal.sealed)
    raw = bytes(a ^ b for a, b in zip(sealed, _keystream(token, len(sealed)), strict=True)).decode()
    return reveal.key, raw


def api_key_revoke(*, key: ApiKey) -> ApiKey:
    ApiKey.all_tenants.filter(pk=key.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    key.refresh_from_db()
    return key


@transaction.atomic
def tenant_update_settings(*, tenant: Tenant, changes: dict) -> Tenant:
    """Merge ``changes`` into the tenant's settings dict (e.g. risk thresholds)."""
    locked = Tenant.objects.select_for_update().get(pk=tenant.pk)
    locked.settings = {**(locked.settings or {}), **changes}
    locked.save(update_fields=["settings"])
    tenant.settings = locked.settings
    return tenant
