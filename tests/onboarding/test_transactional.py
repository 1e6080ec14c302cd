"""Onboarding's writes as production runs them: autocommit, real commits, the plan row locked.

One file of the transactional test layer (described in tests/transactional_support.py): templates,
plans made from a template, task status (it locks the plan ``FOR UPDATE``), checklists (they lock the
task), milestones and check-ins, handoff, success criteria, completion and the daily overdue job,
through the services and through the pages and API that call them.
"""

from datetime import UTC, datetime

import pytest
import time_machine
from django.urls import reverse

from accounts import services as account_services
from accounts.models import Account, Task, TaskSource, TaskStatus
from onboarding import selectors, services, tasks
from onboarding.models import (
    OnboardingPlan,
    OnboardingTemplate,
    PlanPhase,
    PlanStatus,
    PlanTask,
    SuccessCriterion,
    TemplatePhase,
    WorkStatus,
)
from onboarding.services import milestones as milestone_services
from onboarding.services import plans as plan_services
from onboarding.services import templates as template_services
from tests.factories.onboarding import STANDARD_PHASES, make_template
from tests.transactional_support import Boom, autocommit, boom, committed  # noqa: F401 (fixture)

from .conftest import START
from .test_pages import editor_post

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("autocommit")]

PLANS = "/api/v1/onboarding-plans/"


@pytest.fixture(autouse=True)
def frozen():
    """Noon UTC on the plans' fourth day."""
    with time_machine.travel(datetime(2026, 3, 5, 12, 0, tzinfo=UTC), tick=False):
        yield


def plan_row(plan) -> dict:
    return OnboardingPlan.all_tenants.values("status", "progress", "go_live_date", "first_value_at", "handoff",
                                             "notes").get(pk=plan.pk)


def task_of(plan, title) -> PlanTask:
    return PlanTask.all_tenants.get(plan=plan, title=title)


# --- templates ------------------------------------------------------------------------------------


def test_template_create_and_update_commit(in_tenant):
    template = services.template_create(name="Pilot", phases=STANDARD_PHASES)
    assert committed(lambda: TemplatePhase.all_tenants.filter(template_id=template.pk).count()) == 3
    assert committed(lambda: OnboardingTemplate.all_tenants.get(pk=template.pk).is_default) is True
    services.template_update(template=template, name="Pilot 2", phases=STANDARD_PHASES[:1])
    assert committed(lambda: (OnboardingTemplate.all_tenants.get(pk=template.pk).name,
                              TemplatePhase.all_tenants.filter(template_id=template.pk).count())) == ("Pilot 2", 1)


def test_template_create_failing_midway_writes_nothing(in_tenant, monkeypatch):
    monkeypatch.setattr(template_services, "_make_default", boom)  # after the template, phases and tasks
    with pytest.raises(Boom):
        services.template_create(name="Pilot", phases=STANDARD_PHASES)
    assert committed(lambda: (OnboardingTemplate.all_tenants.count(), TemplatePhase.all_tenants.count())) == (0, 0)


def test_template_update_failing_midway_keeps_the_old_structure(in_tenant, template, monkeypatch):
    monkeypatch.setattr(template_services, "_save_structure", boom)  # after the old phases were deleted
    with pytest.raises(Boom):
        services.template_update(template=template, name="Renamed", phases=STANDARD_PHASES[:1])
    assert committed(lambda: (OnboardingTemplate.all_tenants.get(pk=template.pk).name,
                              TemplatePhase.all_tenants.filter(template_id=template.pk).count())) == (
        "Standard onboarding", 3)


def test_template_default_and_delete_commit(in_tenant, template):
    second = make_template(template.tenant, name="Second")
    services.template_set_default(template=second)
    assert committed(lambda: OnboardingTemplate.all_tenants.get(is_default=True).pk) == second.pk
    services.template_delete(template=second)
    assert committed(lambda: OnboardingTemplate.all_tenants.get(is_default=True).pk) == template.pk


def test_template_pages_and_api_commit(alice_client, api, template):
    assert alice_client.post(reverse("onboarding:template_create"), editor_post()).status_code == 302
    pilot = committed(lambda: OnboardingTemplate.all_tenants.get(name="Pilot"))
    response = alice_client.post(reverse("onboarding:template_edit", args=[pilot.pk]), editor_post(name="Pilot B"))
    assert response.status_code == 302
    assert alice_client.post(reverse("onboarding:template_default", args=[pilot.pk])).status_code == 302
    assert committed(lambda: OnboardingTemplate.all_tenants.get(pk=pilot.pk).is_default) is True
    response = api.post("/api/v1/onboarding-templates/", {"name": "API", "phases": STANDARD_PHASES}, format="json")
    assert response.status_code == 201, response.content
    created = response.json()["id"]
    response = api.patch(f"/api/v1/onboarding-templates/{created}/", {"name": "API 2"}, format="json")
    assert response.status_code == 200
    assert committed(lambda: OnboardingTemplate.all_tenants.get(pk=created).name) == "API 2"
    assert alice_client.post(reverse("onboarding:template_delete", args=[created])).status_code == 302
    assert committed(lambda: OnboardingTemplate.all_tenants.filter(pk=created).exists()) is False


# --- plans ----------------------------------------------------------------------------------------


def test_plan_create_from_template_commits_plan_phases_tasks_and_timeline(in_tenant, account, template, alice):
    plan = services.plan_create(account=account, template=template, start_date=START, actor=alice)
    counts = committed(lambda: (PlanPhase.all_tenants.filter(plan_id=plan.pk).count(),
                                PlanTask.all_tenants.filter(plan_id=plan.pk).count()))
    assert counts == (3, 6)
    assert committed(lambda: plan_row(plan)["status"]) == PlanStatus.ACTIVE


def test_plan_create_failing_midway_writes_nothing(in_tenant, account, template, alice, monkeypatch):
    monkeypatch.setattr(plan_services, "plan_event_record", boom)  # after the plan, phases and tasks were inserted
    with pytest.raises(Boom):
        services.plan_create(account=account, template=template, start_date=START, actor=alice)
    assert committed(lambda: (OnboardingPlan.all_tenants.count(), PlanTask.all_tenants.count())) == (0, 0)


def test_plans_save_built_is_all_or_nothing(in_tenant, account, template, monkeypatch):
    """The bulk save (seeding and plan_create use it) writes every table of a plan, or none."""
    built = services.plan_build(account=account, template=selectors.template_get(pk=template.pk), start_date=START,
                                directory=selectors.role_directory())
    monkeypatch.setattr(SuccessCriterion.objects, "bulk_create", boom)  # the last of its four inserts
    with pytest.raises(Boom):
        services.plans_save_built([built])
    assert committed(lambda: (OnboardingPlan.all_tenants.count(), PlanTask.all_tenants.count())) == (0, 0)


def test_plan_api_create_with_bad_criteria_commits_nothing(api, account, template):
    payload = {"account": account.pk, "start_date": "2026-03-02", "success_criteria": [{"text": "ok"}, {"text": " "}]}
    assert api.post(PLANS, payload, format="json").status_code == 400
    assert committed(lambda: (OnboardingPlan.all_tenants.count(), PlanTask.all_tenants.count())) == (0, 0)


def test_plan_page_and_api_create_commit(alice_client, api, account, template, tenant):
    response = alice_client.post(reverse("onboarding:plan_start"), {
        "account": account.pk, "template": template.pk, "start_date": "2026-03-02"})
    assert response.status_code == 302
    assert committed(lambda: PlanTask.all_tenants.filter(plan__account_id=account.pk).count()) == 6
    from tests.factories import AccountFactory

    other = AccountFactory(tenant=tenant, name="Hooli")
    response = api.post(PLANS, {"account": other.pk, "start_date": "2026-03-02", "template": template.pk,
                                "success_criteria": [{"text": "Live by May"}]}, format="json")
    assert response.status_code == 201, response.content
    assert committed(lambda: SuccessCriterion.all_tenants.filter(plan__account_id=other.pk).count()) == 1


# --- task status (locks the plan), milestones, check-ins --------------------------------------------


def test_task_status_locks_the_plan_and_commits_the_roll_up(in_tenant, plan, alice):
    services.plan_task_set_status(task=task_of(plan, "Kickoff meeting"), status=WorkStatus.DONE, actor=alice)
    assert committed(lambda: task_of(plan, "Kickoff meeting").status) == WorkStatus.DONE
    assert committed(lambda: plan_row(plan)["progress"]) > 0
    assert committed(lambda: OnboardingPlan.all_tenants.get(pk=plan.pk).kickoff_date) is not None


def test_task_status_failing_midway_changes_nothing(in_tenant, plan, alice, monkeypatch):
    monkeypatch.setattr(milestone_services, "_reach_milestone", boom)  # after the task, phase and progress writes
    with pytest.raises(Boom):
        services.plan_task_set_status(task=task_of(plan, "Kickoff meeting"), status=WorkStatus.DONE, actor=alice)
    assert committed(lambda: task_of(plan, "Kickoff meeting").status) == WorkStatus.NOT_STARTED
    assert committed(lambda: plan_row(plan)["progress"]) == 0


def test_go_live_milestone_commits_the_check_in_ctas(in_tenant, plan, alice):
    services.plan_task_set_status(task=task_of(plan, "Go live"), status=WorkStatus.DONE, actor=alice)
    assert committed(lambda: plan_row(plan)["go_live_date"]) is not None
    check_ins = committed(lambda: Task.all_tenants.filter(source=TaskSource.ONBOARDING,
                                                          dedupe_key__startswith="onboarding-checkin:").count())
    assert check_ins == len(plan.check_in_days)


def test_go_live_failing_while_scheduling_check_ins_changes_nothing(in_tenant, plan, alice, monkeypatch):
    monkeypatch.setattr(account_services, "task_create", boom)
    with pytest.raises(Boom):
        services.plan_task_set_status(task=task_of(plan, "Go live"), status=WorkStatus.DONE, actor=alice)
    assert committed(lambda: (plan_row(plan)["go_live_date"], task_of(plan, "Go live").status)) == (
        None, WorkStatus.NOT_STARTED)


def test_checklist_locks_the_task_and_commits(in_tenant, plan, alice):
    services.plan_task_check_item(task=task_of(plan, "Configure integrations"), index=0, done=True, actor=alice)
    task = committed(lambda: task_of(plan, "Configure integrations"))
    assert task.checklist[0]["done"] is True and task.status == WorkStatus.IN_PROGRESS


def test_first_value_locks_and_commits_on_plan_and_account(in_tenant, plan, alice):
    services.plan_record_first_value(plan=plan, at=datetime(2026, 3, 4, 9, 0, tzinfo=UTC), actor=alice)
    assert committed(lambda: plan_row(plan)["first_value_at"]) is not None
    assert committed(lambda: Account.all_tenants.get(pk=plan.account_id).time_to_value_days) == 2
    assert committed(lambda: task_of(plan, "First value").status) == WorkStatus.DONE


def test_plan_complete_failing_midway_leaves_the_plan_active(in_tenant, plan, alice, monkeypatch):
    monkeypatch.setattr(account_services, "account_update", boom)  # the last step: onboarding -> adoption
    with pytest.raises(Boom):
        services.plan_complete(plan=plan, actor=alice)
    assert committed(lambda: plan_row(plan)["status"]) == PlanStatus.ACTIVE
    assert committed(lambda: Task.all_tenants.filter(source=TaskSource.ONBOARDING).count()) == 0


def test_plan_pages_commit(alice_client, plan):
    url = reverse("onboarding:task_status", args=[task_of(plan, "Kickoff meeting").pk])
    assert alice_client.post(url, {"status": "done"}).status_code == 302
    url = reverse("onboarding:task_checklist", args=[task_of(plan, "Configure integrations").pk, 1])
    assert alice_client.post(url, {"done": "1"}).status_code in (200, 302)
    url = reverse("onboarding:plan_handoff", args=[plan.pk])
    assert alice_client.post(url, {"use_case": "Contract search"}).status_code in (200, 302)
    url = reverse("onboarding:plan_notes", args=[plan.pk])
    assert alice_client.post(url, {"notes": "Moved."}).status_code in (200, 302)
    url = reverse("onboarding:criterion_add", args=[plan.pk])
    assert alice_client.post(url, {"text": "Live by May"}).status_code in (200, 302)
    criterion = committed(lambda: SuccessCriterion.all_tenants.get(plan_id=plan.pk, text="Live by May"))
    url = reverse("onboarding:criterion_update", args=[criterion.pk])
    assert alice_client.post(url, {"text": "Live by May", "status": "met"}).status_code in (200, 302)
    assert alice_client.post(reverse("onboarding:plan_first_value", args=[plan.pk])).status_code == 302
    row = committed(lambda: plan_row(plan))
    assert row["handoff"] == {"use_case": "Contract search"} and row["notes"] == "Moved."
    assert row["first_value_at"] is not None
    assert committed(lambda: SuccessCriterion.all_tenants.get(pk=criterion.pk).status) == "met"
    assert committed(lambda: task_of(plan, "Kickoff meeting").status) == WorkStatus.DONE
    assert committed(lambda: task_of(plan, "Configure integrations").checklist[1]["done"]) is True
    assert alice_client.post(reverse("onboarding:plan_complete", args=[plan.pk])).status_code == 302
    assert committed(lambda: plan_row(plan)["status"]) == PlanStatus.COMPLETED


def test_plan_and_task_api_commit(api, plan):
    task = task_of(plan, "Kickoff meeting")
    response = api.patch(f"/api/v1/onboarding-tasks/{task.pk}/", {"status": "done"}, format="json")
    assert response.status_code == 200, response.content
    response = api.patch(f"{PLANS}{plan.pk}/", {"notes": "API notes", "handoff": {"use_case": "Search"},
                                                "success_criteria": [{"text": "Live by May"}]}, format="json")
    assert response.status_code == 200, response.content
    response = api.post(f"{PLANS}{plan.pk}/first-value/", {"at": "2026-03-04T10:00:00+00:00"}, format="json")
    assert response.status_code == 200, response.content
    row = committed(lambda: plan_row(plan))
    assert (row["notes"], row["handoff"], row["progress"] > 0, row["first_value_at"] is not None) == (
        "API notes", {"use_case": "Search"}, True, True)
    assert api.patch(f"{PLANS}{plan.pk}/", {"status": "completed"}, format="json").status_code == 200
    assert committed(lambda: plan_row(plan)["status"]) == PlanStatus.COMPLETED


def test_plan_api_update_with_bad_status_keeps_the_criteria(api, plan):
    assert api.patch(f"{PLANS}{plan.pk}/", {"success_criteria": [{"text": "Old"}]}, format="json").status_code == 200
    response = api.patch(f"{PLANS}{plan.pk}/", {"success_criteria": [{"text": "New"}], "status": "nonsense"},
                         format="json")
    assert response.status_code == 400
    assert committed(lambda: list(SuccessCriterion.all_tenants.filter(plan_id=plan.pk).values_list("text", flat=True))) == [
        "Old"]


# --- the daily overdue job ----------------------------------------------------------------------------


def test_overdue_job_commits_flags_and_the_late_cta(tenant, plan):
    with time_machine.travel(datetime(2026, 3, 20, 12, 0, tzinfo=UTC), tick=False):
        tasks.mark_overdue.delay(tenant.pk)
    assert committed(lambda: PlanTask.all_tenants.filter(plan_id=plan.pk, overdue=True).count()) > 0
    late = committed(lambda: Task.all_tenants.get(dedupe_key=f"onboarding-late:{plan.pk}"))
    assert late.status == TaskStatus.OPEN


def test_overdue_job_failing_midway_writes_nothing(tenant, plan, monkeypatch):
    monkeypatch.setattr(account_services, "activities_record_bulk", boom)  # the last write of the job
    with time_machine.travel(datetime(2026, 3, 20, 12, 0, tzinfo=UTC), tick=False), pytest.raises(Boom):
        tasks.mark_overdue.delay(tenant.pk)
    assert committed(lambda: PlanTask.all_tenants.filter(overdue=True).count()) == 0
    assert committed(lambda: Task.all_tenants.count()) == 0
