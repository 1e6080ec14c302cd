"""Every onboarding write, one module per job:

- ``templates``: templates and their structure (validated by ``onboarding.structure``), the default;
- ``plans``: plans built from a template, edited, their success criteria;
- ``milestones``: ticking tasks, the milestones they reach (kickoff, first value, go-live and its
  check-ins), completing or cancelling a plan;
- ``overdue``: the daily job flagging late work and opening/closing the late-plan CTAs;
- ``common``: the plan's timeline entry, who may own work, the plan lock.

Plan events go on the account timeline (source "onboarding"); the late-plan alert is a CTA opened once
per plan (dedupe key ``onboarding-late:<plan_id>``); 30/60/90-day check-ins are CTAs for the CSM.
Account fields (time to value, lifecycle stage) change only through ``accounts.services``.
The public functions are re-exported here, so callers write ``services.plan_create(...)``.
"""

from onboarding.services.common import SOURCE
from onboarding.services.milestones import (
    CHECK_IN_DESCRIPTION,
    plan_cancel,
    plan_complete,
    plan_record_first_value,
    plan_record_go_live,
    plan_task_check_item,
    plan_task_set_status,
    plan_task_update,
)
from onboarding.services.overdue import LATE_KEY_PREFIX, plans_mark_overdue
from onboarding.services.plans import (
    BuiltPlan,
    criterion_add,
    criterion_update,
    plan_build,
    plan_create,
    plan_set_success_criteria,
    plan_update,
    plans_save_built,
)
from onboarding.services.templates import (
    template_create,
    template_create_default,
    template_delete,
    template_set_default,
    template_update,
)

__all__ = [
    "CHECK_IN_DESCRIPTION", "LATE_KEY_PREFIX", "SOURCE", "BuiltPlan", "criterion_add", "criterion_update",
    "plan_build", "plan_cancel", "plan_complete", "plan_create", "plan_record_first_value", "plan_record_go_live",
    "plan_set_success_criteria", "plan_task_check_item", "plan_task_set_status", "plan_task_update", "plan_update",
    "plans_mark_overdue", "plans_save_built", "template_create", "template_create_default", "template_delete",
    "template_set_default", "template_update",
]
