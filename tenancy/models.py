from __future__ import annotations

import hashlib
import secrets
import zoneinfo

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.timezone import now

from tenancy.context import current_tenant_or_none
from tenancy.managers import TenantManager

DEFAULT_SEGMENT_THRESHOLDS = [
    {"key": "enterprise", "label": "Enterprise", "min_arr": "100000"},
    {"key": "mid_market", "label": "Mid-Market", "min_arr": "25000"},
    {"key": "smb", "label": "SMB", "min_arr": "0"},
]


def validate_timezone(value: str) -> None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationError(f"Unknown time zone {value!r}.") from exc


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create(self, email, password, **extra):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create(email, password, **extra)

    def create_superuser(self, email, password=None, **extra):
        extra.update(is_staff=True, is_superuser=True)
        return self._create(email, password, **extra)


class User(AbstractUser):
    """A person who signs in. Users are global; what they may see is their memberships."""

    username = None
    email = models.EmailField(unique=True)
    full_name = models.CharField(max_length=200, blank=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []
    objects = UserManager()

    def __str__(self) -> str:
        return self.full_name or self.email

    @property
    def display_name(self) -> str:
        return self.full_name or self.email.split("@")[0]


class Tenant(models.Model):
    """A company using the platform. Its configuration (not code) is what differs between tenants."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=63, unique=True)
    timezone = models.CharField(max_length=64, default="UTC", validators=[validate_timezone])
    currency = models.CharField(max_length=3, default="USD")
    segment_thresholds = models.JSONField(default=list, blank=True)
    settings = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_segment_thresholds(self) -> list[dict]:
        return self.segment_thresholds or DEFAULT_SEGMENT_THRESHOLDS

    def segment_labels(self) -> dict[str, str]:
        """``{key: label}`` of the tenant's segments (the key where a segment has no label), in their order."""
        return {row["key"]: row.get("label") or row["key"] for row in self.get_segment_thresholds()}

    def setting(self, key: str, default=None):
        return (self.settings or {}).get(key, default)

    @property
    def tzinfo(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)


class TenantModel(models.Model):
    """Base of every tenant-owned model.

    ``objects`` is scoped to the tenant in context and raises when there is none;
    ``all_tenants`` is the explicit escape hatch for platform code that must cross tenants.
    """

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, db_index=True, related_name="+")

    objects = TenantManager()
    all_tenants = models.Manager()  # noqa: DJ012 (a manager, not a field)

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        current = current_tenant_or_none()
        if self.tenant_id is None:
            if current is None:
                raise ValidationError("A tenant-owned object needs a tenant: none given and none in context.")
            self.tenant = current
        elif current is not None and current.pk != self.tenant_id:
            raise ValidationError("Refusing to save another tenant's object in this tenant's context.")
        super().save(*args, **kwargs)


class Role(models.TextChoices):
    ADMIN = "admin", "Admin"
    VP = "vp", "VP of Customer Success"
    CSM = "csm", "Customer Success Manager"
    SUPPORT_ENGINEER = "support_engineer", "Support Engineer"
    ONBOARDING_SPECIALIST = "onboarding_specialist", "Onboarding Specialist"
    SUPPORT_MANAGER = "support_manager", "Support Operations Manager"
    VIEWER = "viewer", "Viewer"


class Membership(TenantModel):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=32, choices=Role.choices, default=Role.VIEWER)
    created_at = models.DateTimeField(default=now)
    # When the user last acted in this tenant (switched to it or signed in to it): where they land next time.
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "user"], name="membership_unique_user")]
        indexes = [models.Index(fields=["tenant", "role"], name="membership_role_idx")]

    def __str__(self) -> str:
        return f"{self.user} @ {self.tenant_id} ({self.role})"


class ApiKey(TenantModel):
    """An integration's key. Only its SHA-256 is stored; the prefix identifies it in lists and logs."""

    PREFIX_LEN = 8

    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, unique=True)
    key_hash = models.CharField(max_length=64)
    scopes = models.JSONField(default=list)
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def hash_secret(raw_key: str) -> str:
        return hashlib.sha256(raw_key.encode()).hexdigest()

    @staticmethod
    def generate() -> tuple[str, str]:
        """Return (prefix, raw_key). The raw key is shown once and never stored."""
        prefix = secrets.token_hex(ApiKey.PREFIX_LEN // 2)
        return prefix, f"csp_{prefix}_{secrets.token_urlsafe(32)}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    def can_write(self) -> bool:
        return "write" in (self.scopes or [])


class ApiKeyReveal(TenantModel):
    """A new key's raw value, waiting to be shown once to the member who created it.

    The raw key is sealed with a keystream derived from a random token that only the redirect URL
    carries (``token_hash`` finds the row, the sealed bytes alone reveal nothing). The row is deleted
    when read and is useless after ``expires_at``; nothing of the key ever goes into the session.
    """

    TTL_SECONDS = 10 * 60

    key = models.ForeignKey(ApiKey, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)
    sealed = models.BinaryField()
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"reveal of key {self.key_id} for user {self.user_id}"


class Invitation(TenantModel):
    """An admin's invitation to join the tenant with a role. Nobody becomes a member until the invited
    person opens the emailed, signed link and accepts (signing in, or choosing a password if new)."""

    email = models.EmailField()
    role = models.CharField(max_length=32, choices=Role.choices)
    full_name = models.CharField(max_length=200, blank=True)
    invited_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["tenant", "email"], name="invitation_email_idx")]

    def __str__(self) -> str:
        return f"invitation of {self.email} to {self.tenant_id} ({self.role})"

    @property
    def is_pending(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None and self.expires_at > now()
