from __future__ import annotations

from django.db.models import F, QuerySet
from django.utils import timezone

from tenancy.models import ApiKey, Invitation, Membership, Tenant, User
from tenancy.permissions import role_can_own_work, work_owner_roles


def memberships_for_request(*, user: User, tenant_id: int | None) -> tuple[Membership | None, list[Membership]]:
    """The membership a signed-in user acts through, and all of the user's memberships (one query).

    The one acted through is the session's tenant if still a member, else the one used last (switched to or
    signed in to), else the first by tenant name. The list, in tenant-name order, is the tenant switcher's
    (the page reuses it rather than asking again)."""
    memberships = list(
        Membership.all_tenants.select_related("tenant").filter(user=user)
        .order_by(F("last_used_at").desc(nulls_last=True), "tenant__name")
    )
    chosen = None
    if tenant_id is not None:
        chosen = next((m for m in memberships if m.tenant_id == tenant_id), None)
    if chosen is None:
        chosen = next(iter(memberships), None)
    return chosen, sorted(memberships, key=lambda m: (m.tenant.name, m.tenant_id))


def membership_for_request(*, user: User, tenant_id: int | None) -> Membership | None:
    """The membership a signed-in user acts through (see :func:`memberships_for_request`)."""
    return memberships_for_request(user=user, tenant_id=tenant_id)[0]


def user_memberships(*, user: User) -> QuerySet[Membership]:
    """All of a user's memberships, across tenants: the tenant switcher's list."""
    return Membership.all_tenants.select_related("tenant").filter(user=user).order_by("tenant__name")


def tenant_members() -> QuerySet[Membership]:
    return Membership.objects.select_related("user").order_by("user__full_name", "user__email")


def tenant_users(*, roles: list[str] | None = None) -> QuerySet[User]:
    memberships = Membership.objects.all()
    if roles:
        memberships = memberships.filter(role__in=roles)
    return User.objects.filter(pk__in=memberships.values("user_id")).order_by("full_name", "email")


def tenant_user_by_email(email: str) -> User | None:
    """A user of the current tenant by email (case-insensitive), or None."""
    return tenant_users().filter(email__iexact=email.strip()).first()


def pending_invitations() -> QuerySet[Invitation]:
    return Invitation.objects.select_related("invited_by").filter(
        accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
    ).order_by("-created_at")


def api_keys() -> QuerySet[ApiKey]:
    return ApiKey.objects.select_related("created_by").order_by("-created_at")


def active_tenants() -> QuerySet[Tenant]:
    return Tenant.objects.order_by("pk")


def work_owners() -> QuerySet[User]:
    """Members of the current tenant whose role may own work (tasks, CTAs): every picker of owners."""
    return tenant_users(roles=work_owner_roles())


def can_own_work(user: User) -> bool:
    """Whether ``user`` is a member of the current tenant whose role may own work (never a viewer)."""
    role = Membership.objects.filter(user=user).values_list("role", flat=True).first()
    return role is not None and role_can_own_work(role)


def user_by_email(*, email: str) -> User | None:
    """The user with this email (any case), or None: users are not tenant-owned."""
    return User.objects.filter(email__iexact=email).first()
