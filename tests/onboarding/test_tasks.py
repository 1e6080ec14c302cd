"""The daily Celery job: fans out per tenant, idempotent."""

from datetime import timedelta
from unittest import mock

import pytest
import time_machine

from accounts.models import Task
from onboarding import tasks
from onboarding.models import PlanTask

from .conftest import START
from .test_services import at

pytestmark = pytest.mark.django_db


def test_beat_entry_is_the_fan_out_task():
    from django.conf import settings

    names = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "onboarding.mark_overdue_all_tenants" in names
    assert tasks.mark_overdue_all_tenants.name == "onboarding.mark_overdue_all_tenants"
    assert tasks.mark_overdue.name == "onboarding.mark_overdue"


def test_fan_out_one_task_per_tenant(tenant, other_tenant):
    with mock.patch.object(tasks.mark_overdue, "apply_async") as apply_async:
        assert tasks.mark_overdue_all_tenants() == 2
    assert sorted(call.kwargs["args"][0] for call in apply_async.call_args_list) == sorted([tenant.pk, other_tenant.pk])
    assert {call.kwargs["expires"] for call in apply_async.call_args_list} == {tasks.MARK_OVERDUE_EXPIRES}


@time_machine.travel(at(START + timedelta(days=11)), tick=False)
def test_job_runs_per_tenant_and_twice_changes_nothing(plan, other_plan):
    tasks.mark_overdue_all_tenants.delay()  # eager in tests: runs every tenant's task
    late_keys = set(Task.all_tenants.filter(dedupe_key__startswith="onboarding-late:").values_list("dedupe_key", flat=True))
    assert late_keys == {f"onboarding-late:{plan.pk}", f"onboarding-late:{other_plan.pk}"}
    marked = set(PlanTask.all_tenants.filter(overdue=True).values_list("pk", flat=True))
    assert tasks.mark_overdue(plan.tenant_id)["alerts_opened"] == 0
    assert set(PlanTask.all_tenants.filter(overdue=True).values_list("pk", flat=True)) == marked
    assert Task.all_tenants.filter(dedupe_key__startswith="onboarding-late:").count() == 2


def test_unknown_tenant_is_ignored():
    assert tasks.mark_overdue(987654) is None
