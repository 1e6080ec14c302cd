"""The one way onboarding pages and endpoints fetch a tenant object (see ``tenancy.access``).

Reads return the object ready for its page (prefetched, decorated); ``for_write=True`` checks the role's
capability and locks, so it belongs inside ``transaction.atomic()`` with the write. A plan is the unit of
locking: writing a plan task or criterion locks its plan, as the services do, so ticks roll up in turn.
Another tenant's object, a missing one or a malformed id is ``NotFound`` (404)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied

from accounts.models import Account
from onboarding import selectors
from onboarding.models import OnboardingPlan, OnboardingTemplate, PlanTask, SuccessCriterion
from tenancy.access import access_object
from tenancy.permissions import ONBOARDING_CONFIGURE, ONBOARDING_WRITE
from tenancy.principal import Principal


def access_plan(pk, *, principal: Principal | None, for_write: bool = False) -> OnboardingPlan:
    """Read: the plan with everything its page shows (phases, tasks, criteria, check-ins, schedule).
    Write (onboarding.write): the plan locked, with its account, CSM, owner and specialist."""
    if for_write:
        return access_object(
            selectors.plan_for_write_queryset(), pk, principal=principal, capability=ONBOARDING_WRITE, for_write=True
        )
    today = selectors.tenant_today()
    plan = access_object(selectors.plan_detail_queryset(today), pk, principal=principal)
    return selectors.decorate_plan(plan, today)


def access_plan_task(pk, *, principal: Principal | None, for_write: bool = False) -> PlanTask:
    """A plan task with its plan, account, phase and owner. Writing it (ticking it off, its checklist)
    needs onboarding.write, or to own the task; it locks the task's plan."""
    task = access_object(selectors.plan_task_queryset(), pk, principal=principal)
    if for_write:
        is_owner = principal is not None and principal.user is not None and task.owner_id == principal.user.pk
        if not (principal.can(ONBOARDING_WRITE) or is_owner):
            raise PermissionDenied("Your role may not change onboarding tasks.")
        access_object(OnboardingPlan, task.plan_id, principal=principal, for_write=True)
    return task


def access_criterion(pk, *, principal: Principal | None, for_write: bool = False) -> SuccessCriterion:
    """A plan's success criterion with its plan and account; writing needs onboarding.write and locks
    the plan, then the criterion."""
    criterion = access_object(selectors.criterion_queryset(), pk, principal=principal)
    if not for_write:
        return criterion
    plan = access_plan(criterion.plan_id, principal=principal, for_write=True)
    criterion = access_object(SuccessCriterion, pk, principal=principal, for_write=True)
    criterion.plan = plan
    return criterion


def access_template(pk, *, principal: Principal | None, for_write: bool = False) -> OnboardingTemplate:
    """A template with its phases and tasks; writing needs onboarding.configure and locks it."""
    return access_object(
        selectors.template_with_structure(), pk, principal=principal,
        capability=ONBOARDING_CONFIGURE if for_write else None, for_write=for_write,
    )


def access_account_to_onboard(pk, *, principal: Principal | None) -> Account:
    """The account a new plan is for, with its CSM (who owns the plan's "csm" tasks)."""
    return access_object(selectors.account_to_onboard_queryset(), pk, principal=principal)
