"""Writes on tenants, people and keys."""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Callable
from datetime import timedelta

from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from base.errors import DomainError
from tenancy.context import tenant_context
from tenancy.models import (
    DEFAULT_SEGMENT_THRESHOLDS,
    ApiKey,
    ApiKeyReveal,
    Invitation,
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


# --- invitations: membership only on the invited person's acceptance ------------------------------

INVITATION_TTL = timedelta(days=7)
INVITATION_SALT = "tenancy.invitation"


@transaction.atomic
def invitation_create(
    *, tenant: Tenant, email: str, role: str, actor: User | None, full_name: str = ""
) -> tuple[Invitation, str]:
    """Invite ``email`` with ``role``; return the invitation and its signed link token (emailed, never stored).

    A pending invitation of the same person to the same tenant is replaced (its link stops working).
    """
    email = email.strip().lower()
    if role not in Role.values:
        raise DomainError(f"Unknown role {role!r}.", field="role")
    if Membership.all_tenants.filter(tenant=tenant, user__email__iexact=email).exists():
        raise DomainError(f"{email} is already a member; change their role below.", field="email")
    when = timezone.now()
    Invitation.all_tenants.filter(tenant=tenant, email=email, accepted_at__isnull=True, revoked_at__isnull=True).update(
        revoked_at=when
    )
    token = secrets.token_urlsafe(32)
    invitation = Invitation.all_tenants.create(
        tenant=tenant, email=email, role=role, full_name=full_name.strip(), invited_by=actor,
        token_hash=_token_hash(token), created_at=when, expires_at=when + INVITATION_TTL,
    )
    return invitation, signing.dumps(token, salt=INVITATION_SALT)


def invitation_from_link(link_token: str) -> Invitation | None:
    """The pending invitation a link names, or None (bad signature, expired, revoked, accepted, replaced)."""
    try:
        token = signing.loads(link_token, salt=INVITATION_SALT, max_age=INVITATION_TTL)
    except signing.BadSignature:
        return None
    if not isinstance(token, str):
        return None
    invitation = (
        Invitation.all_tenants.select_related("tenant", "invited_by").filter(token_hash=_token_hash(token)).first()
    )
    return invitation if invitation is not None and invitation.is_pending else None


@transaction.atomic
def invitation_accept(*, invitation: Invitation, user: User) -> Membership:
    """The invited person (signed in as the invited email) joins the tenant with the invited role."""
    locked = Invitation.all_tenants.select_for_update().select_related("tenant").get(pk=invitation.pk)
    if not locked.is_pending:
        raise DomainError("This invitation is no longer valid: ask for a new one.")
    if user.email.lower() != locked.email:
        raise DomainError(f"This invitation is for {locked.email}; you are signed in as {user.email}.")
    with tenant_context(locked.tenant):  # the invitee may be acting in another of their tenants
        membership, _ = Membership.all_tenants.get_or_create(
            tenant=locked.tenant, user=user, defaults={"role": locked.role}
        )
        locked.accepted_at = timezone.now()
        locked.save(update_fields=["accepted_at"])
    membership_mark_used(membership=membership)
    return membership


@transaction.atomic
def invitation_accept_as_new_user(*, invitation: Invitation, password: str, full_name: str = "") -> Membership:
    """A person without a usable password yet accepts by choosing one (the link reached their inbox)."""
    user = User.objects.select_for_update().filter(email__iexact=invitation.email).first()
    if user is not None and user.has_usable_password():
        raise DomainError("You already have an account: sign in to accept.")
    if user is None:
        user = User.objects.create_user(email=invitation.email, password=password,
                                        full_name=full_name.strip() or invitation.full_name)
    else:
        user.set_password(password)
        user.full_name = full_name.strip() or user.full_name or invitation.full_name
        user.save(update_fields=["password", "full_name"])
    return invitation_accept(invitation=invitation, user=user)


def invitation_revoke(*, invitation: Invitation) -> None:
    Invitation.all_tenants.filter(pk=invitation.pk, accepted_at__isnull=True, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )


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
    """Refuse to remove or demote the last admin. Locks the tenant's admin rows (FOR UPDATE; callers are
    atomic), so two admins demoting or removing each other at once cannot both pass the check."""
    admins = Membership.all_tenants.select_for_update().filter(tenant_id=membership.tenant_id, role=Role.ADMIN)
    if not [pk for pk in admins.values_list("pk", flat=True) if pk != membership.pk]:
        raise DomainError("A tenant needs at least one admin.", field="role")


def api_key_create(*, tenant: Tenant, name: str, scopes: list[str], actor: User | None = None) -> tuple[ApiKey, str]:
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
        created_by=actor,
    )
    return key, raw


def _keystream(token: str, length: int) -> bytes:
    return hashlib.shake_256(b"csp-api-key-reveal:" + token.encode()).digest(length)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def api_key_reveal_create(*, key: ApiKey, raw: str, actor: User) -> str:
    """Hold ``raw`` for one showing to ``actor`` (who created the key); return the token (for the URL) that unseals it.

    Expired reveals of any tenant are swept here, so none outlives its minutes by much.
    """
    ApiKeyReveal.all_tenants.filter(expires_at__lte=timezone.now()).delete()
    token = secrets.token_urlsafe(32)
    data = raw.encode()
    ApiKeyReveal.all_tenants.create(
        tenant_id=key.tenant_id,
        key=key,
        user=actor,
        token_hash=_token_hash(token),
        sealed=bytes(a ^ b for a, b in zip(data, _keystream(token, len(data)), strict=True)),
        expires_at=timezone.now() + timedelta(seconds=ApiKeyReveal.TTL_SECONDS),
    )
    return token


@transaction.atomic
def api_key_reveal_take(*, token: str, actor: User) -> tuple[ApiKey, str] | None:
    """The key and its raw value, once: the row is deleted as it is read. None when unknown, expired,
    another member's or another tenant's (the current tenant's manager scopes the lookup)."""
    reveal = (
        ApiKeyReveal.objects.select_for_update().select_related("key")
        .filter(token_hash=_token_hash(token), user=actor).first()
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
