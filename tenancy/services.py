"""Writes on tenants, people and keys."""

from __future__ import annotations

import re
from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from core.errors import DomainError
from tenancy.context import tenant_context
from tenancy.models import (
    DEFAULT_SEGMENT_THRESHOLDS,
    ApiKey,
    Membership,
    Role,
    Tenant,
    User,
    validate_timezone,
)

VALID_SCOPES = ("read", "write")

# Called inside the new tenant's context (and transaction) by `tenant_create`, so apps give a new tenant
# its starting configuration (e.g. onboarding's default template) without tenancy importing them.
_tenant_created_hooks: list[Callable[..., object]] = []


def register_tenant_created(hook: Callable[..., object]) -> None:
    """Register ``hook(tenant=tenant)`` to run when `tenant_create` makes a tenant (from an AppConfig.ready())."""
    if hook not in _tenant_created_hooks:
        _tenant_created_hooks.append(hook)
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
        for hook in _tenant_created_hooks:
            hook(tenant=tenant)
    return tenant


def user_get_or_create(*, email: str, password: str | None = None, full_name: str = "") -> User:
    email = email.strip().lower()
    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        user = User.objects.create_user(email=email, password=password, full_name=full_name)
    elif password:
        user.set_password(password)
        user.save(update_fields=["password"])
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
    """Refuse to remove or demote the last admin. Locks the tenant's admin rows (FOR UPDATE; callers are
    atomic), so two admins demoting or removing each other at once cannot both pass the check."""
    admins = Membership.all_tenants.select_for_update().filter(tenant_id=membership.tenant_id, role=Role.ADMIN)
    if not [pk for pk in admins.values_list("pk", flat=True) if pk != membership.pk]:
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
