"""What every onboarding service shares: the plan's timeline entry, who may own work, the plan lock."""

from __future__ import annotations

from accounts import services as account_services
from accounts.models import Activity, ActivityKind
from base.errors import DomainError
from onboarding.models import OnboardingPlan
from tenancy.models import User
from tenancy.selectors import can_own_work

SOURCE = "onboarding"
TEXT_LIMIT = 5000


def plan_event_record(
    plan: OnboardingPlan, subject: str, *, body: str = "", actor: User | None = None, **metadata
) -> Activity:
    """A plan event on its account's timeline (source "onboarding", ref the plan)."""
    return account_services.activity_record(
        account=plan.account, kind=ActivityKind.SYSTEM, subject=subject, body=body, actor=actor, source=SOURCE,
        ref_type="onboarding_plan", ref_id=plan.pk, metadata=metadata,
    )


def assignable(user: User | None, field: str) -> User | None:
    """``user`` when they may own onboarding work; a viewer (or a non-member) is refused."""
    if user is not None and not can_own_work(user):
        raise DomainError(f"{user} cannot own onboarding work: their role only reads.", field=field)
    return user


def plan_lock(plan: OnboardingPlan) -> OnboardingPlan:
    """The plan re-read FOR UPDATE, so concurrent task ticks roll up one after another."""
    return (
        OnboardingPlan.objects.select_for_update(of=("self",))
        .select_related("account", "account__csm", "owner", "specialist")
        .get(pk=plan.pk)
    )
