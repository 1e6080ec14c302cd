"""Onboarding services: template validation, instantiation, owners, progress, milestones, time to value,
check-ins, lifecycle, the overdue job."""

import copy
import re
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine

from accounts.models import Account, Activity, Task, TaskStatus
from base.errors import DomainError
from onboarding import services
from onboarding.models import (
    OnboardingPlan,
    OnboardingTemplate,
    PlanPhase,
    PlanTask,
    TemplatePhase,
    TemplateTask,
)
from tests.factories.accounts import AccountFactory
from tests.factories.onboarding import STANDARD_PHASES, make_plan, make_template

from .conftest import START

pytestmark = pytest.mark.django_db


def at(day: date, hour: int = 12) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def tasks_of(plan) -> dict[str, PlanTask]:
    return {t.title: t for t in PlanTask.all_tenants.filter(plan=plan).select_related("owner", "plan__account")}


def tick(plan, title, status="done", actor=None):
    task = tasks_of(plan)[title]
    services.plan_task_set_status(task=task, status=status, actor=actor)
    plan.refresh_from_db()
    return task


# --------------------------------------------------------------------------- templates


def test_template_structure_saved_in_order(tenant, in_tenant):
    template = make_template(tenant)
    phases = list(TemplatePhase.objects.filter(template=template).order_by("position"))
    assert [(p.name, p.start_day, p.end_day) for p in phases] == [("Kickoff", 0, 6), ("Setup", 7, 13), ("Go-live", 14, 20)]
    assert TemplateTask.objects.filter(phase__template=template).count() == 6
    assert template.is_default  # the tenant's first template becomes the default
    assert template.check_in_days == [30, 60, 90]


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda p: p[0].update(start_day=-1), "between 0"),
        (lambda p: p[1].update(start_day=13, end_day=7), "end_day (7) is before start_day (13)"),
        (lambda p: p[0]["tasks"][0].update(due_day=9), "outside its phase"),
        (lambda p: p[0]["tasks"][0].update(owner_role="janitor"), "owner_role"),
        (lambda p: p[0]["tasks"][1].update(milestone="kickoff"), "appears twice"),
        (lambda p: p[0]["tasks"][0].update(title=" "), "needs a title"),
        (lambda p: p[2].update(tasks=[]), "at least one task"),
        (lambda p: p[0].update(start_day="soon"), "whole number"),
        (lambda p: p.clear(), "at least one phase"),
    ],
)
def test_bad_structure_is_refused_and_writes_nothing(tenant, in_tenant, mutate, message):
    phases = copy.deepcopy(STANDARD_PHASES)
    mutate(phases)
    with pytest.raises(DomainError, match=re.escape(message)) as caught:
        services.template_create(name="Broken", phases=phases)
    assert caught.value.field == "phases"
    assert not OnboardingTemplate.objects.exists()
    assert not TemplatePhase.objects.exists()


def test_update_replaces_structure_atomically(tenant, in_tenant, template):
    bad = copy.deepcopy(STANDARD_PHASES)
    bad[0]["tasks"][0]["due_day"] = 99
    with pytest.raises(DomainError):
        services.template_update(template=template, name="Renamed", phases=bad)
    template.refresh_from_db()
    assert template.name == "Standard onboarding"
    assert TemplateTask.objects.filter(phase__template=template).count() == 6
    services.template_update(template=template, phases=STANDARD_PHASES[:1])
    assert TemplateTask.objects.filter(phase__template=template).count() == 2


def test_one_default_per_tenant(tenant, in_tenant, template):
    second = make_template(tenant, name="Quick start", is_default=True)
    template.refresh_from_db()
    assert second.is_default and not template.is_default
    services.template_set_default(template=template)
    assert list(OnboardingTemplate.objects.filter(is_default=True)) == [template]
    with pytest.raises(DomainError, match="already named"):
        make_template(tenant, name="quick START")


def test_first_template_is_default_and_deleting_the_default_promotes_another(tenant, in_tenant):
    first = services.template_create(name="Zeta plan", phases=copy.deepcopy(STANDARD_PHASES), is_default=False)
    assert first.is_default  # the editor's unticked box cannot leave a tenant without a default
    second = services.template_create(name="Alpha plan", phases=copy.deepcopy(STANDARD_PHASES), is_default=False)
    assert not second.is_default
    services.template_delete(template=first)
    assert list(OnboardingTemplate.objects.filter(is_default=True)) == [second]
    services.template_delete(template=second)
    assert not OnboardingTemplate.objects.exists()


# --------------------------------------------------------------------------- plans


def test_instantiation_dates_follow_offsets(plan, in_tenant):
    phases = list(PlanPhase.objects.filter(plan=plan).order_by("position"))
    assert [(p.name, p.start_date, p.due_date) for p in phases] == [
        ("Kickoff", START, START + timedelta(days=6)),
        ("Setup", START + timedelta(days=7), START + timedelta(days=13)),
        ("Go-live", START + timedelta(days=14), START + timedelta(days=20)),
    ]
    due = {t.title: t.due_date for t in tasks_of(plan).values()}
    assert due["Kickoff meeting"] == date(2026, 3, 4)  # day 2
    assert due["Go live"] == date(2026, 3, 16)  # day 14
    assert plan.target_go_live_date == date(2026, 3, 16)
    assert plan.progress == 0 and plan.status == "active"
    assert {p.status for p in phases} == {"not_started"}
    configure = tasks_of(plan)["Configure integrations"]
    assert configure.checklist == [{"text": "SSO", "done": False}, {"text": "API", "done": False}]


def test_owners_resolve_from_roles(plan, people, in_tenant):
    owners = {title: t.owner for title, t in tasks_of(plan).items()}
    assert owners["Kickoff meeting"] == people["specialist"]
    assert owners["Document success criteria"] == people["csm"]  # the account's CSM
    assert owners["Configure integrations"] == people["engineer"]
    assert owners["Hypercare review"] == people["vp"]
    assert plan.owner == people["specialist"] and plan.specialist == people["specialist"]


def test_owners_without_csm_or_role_fall_back_to_plan_owner(tenant, template, member, in_tenant):
    specialist = member("onboarding_specialist")
    account = AccountFactory(tenant=tenant, csm=None)
    plan = make_plan(account)
    owners = {title: t.owner for title, t in tasks_of(plan).items()}
    assert owners["Document success criteria"] == specialist  # no CSM on the account
    assert owners["Configure integrations"] == specialist  # nobody with the support_engineer role


def test_explicit_specialist_and_owner(account, template, people, member, in_tenant):
    other = member("onboarding_specialist")
    plan = make_plan(account, specialist=other, owner=people["vp"])
    assert plan.owner == people["vp"]
    assert tasks_of(plan)["Kickoff meeting"].owner == other


def test_plan_uses_default_or_named_template(tenant, account, template, in_tenant):
    quick = make_template(tenant, name="Quick", phases=[
        {"name": "Only", "start_day": 0, "end_day": 2, "tasks": [{"title": "Call", "due_day": 1, "owner_role": "csm"}]}])
    plan = make_plan(account, template=quick)
    assert plan.template == quick and plan.name == "Quick"
    assert plan.target_go_live_date == START + timedelta(days=2)  # no go-live milestone: the last day


def test_plan_refused_without_default_or_when_one_is_active(tenant, people, in_tenant):
    account = AccountFactory(tenant=tenant)
    with pytest.raises(DomainError, match="no default") as caught:
        make_plan(account)
    assert caught.value.field == "template"
    make_template(tenant)
    make_plan(account)
    with pytest.raises(DomainError, match="already has an active") as caught:
        make_plan(account)
    assert caught.value.field == "account"
    assert OnboardingPlan.objects.count() == 1


def test_plan_create_records_timeline(plan, in_tenant):
    entry = Activity.objects.get(account=plan.account, source="onboarding")
    assert entry.subject.startswith("Onboarding started") and entry.ref_id == plan.pk


def test_plan_create_query_count_does_not_grow_with_template(tenant, people, in_tenant, django_assert_max_num_queries):
    big = [
        {"name": f"Phase {i}", "start_day": i * 7, "end_day": i * 7 + 6,
         "tasks": [{"title": f"Task {i}.{j}", "due_day": i * 7 + j, "owner_role": "csm"} for j in range(6)]}
        for i in range(10)
    ]
    template = make_template(tenant, name="Big", phases=big)
    account = AccountFactory(tenant=tenant)
    with django_assert_max_num_queries(16):
        services.plan_create(account=account, start_date=START, template=template)
    assert PlanTask.objects.filter(plan__account=account).count() == 60


@pytest.mark.parametrize("handoff", [{"favourite_colour": "blue"}, {"use_case": 42}, "text"])
def test_bad_handoff_writes_nothing(account, template, in_tenant, handoff):
    with pytest.raises(DomainError) as caught:
        make_plan(account, handoff=handoff)
    assert caught.value.field == "handoff"
    assert not OnboardingPlan.objects.exists()


# --------------------------------------------------------------------------- progress, milestones, completion


@time_machine.travel(at(START + timedelta(days=3)), tick=False)
def test_progress_and_phase_rollup(plan, people, in_tenant):
    tick(plan, "Kickoff meeting", actor=people["specialist"])
    assert plan.progress == 16  # 1 of 6, rounded down
    phases = {p.name: p.status for p in PlanPhase.objects.filter(plan=plan)}
    assert phases == {"Kickoff": "in_progress", "Setup": "not_started", "Go-live": "not_started"}
    tick(plan, "Document success criteria")
    assert plan.progress == 33
    assert PlanPhase.objects.get(plan=plan, name="Kickoff").status == "done"
    tick(plan, "Configure integrations", status="blocked")
    assert PlanPhase.objects.get(plan=plan, name="Setup").status == "blocked"
    assert plan.progress == 33
    tick(plan, "Kickoff meeting", status="not_started")  # reopen
    assert plan.progress == 16
    assert plan.kickoff_date == START + timedelta(days=3)  # milestones stay recorded


@time_machine.travel(at(START + timedelta(days=3)), tick=False)
def test_kickoff_milestone_and_task_timeline(plan, people, in_tenant):
    tick(plan, "Kickoff meeting", actor=people["specialist"])
    assert plan.kickoff_date == START + timedelta(days=3)
    subjects = set(Activity.objects.filter(account=plan.account, source="onboarding").values_list("subject", flat=True))
    assert {"Onboarding task done: Kickoff meeting", "Onboarding milestone: kickoff held"} <= subjects


@time_machine.travel(at(START + timedelta(days=12), hour=18), tick=False)
def test_first_value_records_time_to_value_on_plan_and_account(plan, in_tenant):
    tick(plan, "First value")
    account = Account.objects.get(pk=plan.account_id)
    assert plan.time_to_value_days == 12
    assert account.time_to_value_days == 12
    assert account.first_value_at == at(START + timedelta(days=12), hour=18)
    tick(plan, "First value", status="not_started")
    tick(plan, "First value")
    assert Activity.objects.filter(subject__startswith="First value reached").count() == 1


@time_machine.travel(at(START + timedelta(days=20)), tick=False)
def test_record_first_value_explicitly_ticks_the_milestone(plan, in_tenant):
    services.plan_record_first_value(plan=plan, at=at(START + timedelta(days=9)))
    plan.refresh_from_db()
    assert plan.time_to_value_days == 9
    assert tasks_of(plan)["First value"].status == "done"
    assert Account.objects.get(pk=plan.account_id).time_to_value_days == 9
    services.plan_record_first_value(plan=plan, at=at(START + timedelta(days=15)))  # again: nothing changes
    plan.refresh_from_db()
    assert plan.time_to_value_days == 9
    with pytest.raises(DomainError):
        services.plan_record_first_value(plan=plan, at=at(START + timedelta(days=40)))  # future


@time_machine.travel(at(START + timedelta(days=15)), tick=False)
def test_go_live_schedules_30_60_90_check_ins_once(plan, people, in_tenant):
    tick(plan, "Go live")
    go_live = START + timedelta(days=15)
    assert plan.go_live_date == go_live
    check_ins = list(Task.objects.filter(account=plan.account, source="onboarding").order_by("due_date"))
    assert [(t.title, t.due_date, t.owner) for t in check_ins] == [
        ("30-day onboarding check-in", go_live + timedelta(days=30), people["csm"]),
        ("60-day onboarding check-in", go_live + timedelta(days=60), people["csm"]),
        ("90-day onboarding check-in", go_live + timedelta(days=90), people["csm"]),
    ]
    assert {t.dedupe_key for t in check_ins} == {f"onboarding-checkin:{plan.pk}:{d}" for d in (30, 60, 90)}
    tick(plan, "Go live", status="in_progress")
    tick(plan, "Go live")
    assert Task.objects.filter(account=plan.account, source="onboarding").count() == 3


@time_machine.travel(at(START + timedelta(days=18)), tick=False)
def test_last_task_completes_plan_and_moves_account_to_adoption(plan, in_tenant):
    for title in tasks_of(plan):
        tick(plan, title)
    assert plan.status == "completed" and plan.progress == 100
    assert plan.completed_at == at(START + timedelta(days=18))
    account = Account.objects.get(pk=plan.account_id)
    assert account.lifecycle_stage == "adoption"
    assert Activity.objects.filter(account=account, source="accounts", subject="Account updated").exists()
    assert Activity.objects.filter(account=account, source="onboarding", subject__startswith="Onboarding completed").exists()
    with pytest.raises(DomainError) as caught:
        tick(plan, "Go live", status="not_started")
    assert caught.value.status_code == 409


@time_machine.travel(at(START + timedelta(days=5)), tick=False)
def test_complete_early_is_not_go_live_and_leaves_later_stages_alone(tenant, template, people, in_tenant):
    account = AccountFactory(tenant=tenant, csm=people["csm"], lifecycle_stage="expansion")
    plan = make_plan(account)
    services.plan_complete(plan=OnboardingPlan.objects.select_related("account").get(pk=plan.pk))
    plan.refresh_from_db()
    assert plan.status == "completed" and plan.go_live_date is None  # go-live is its own milestone
    assert Task.objects.filter(account=account, source="onboarding").count() == 0  # no check-ins before go-live
    assert Account.objects.get(pk=account.pk).lifecycle_stage == "expansion"  # not moved backwards


@time_machine.travel(at(START + timedelta(days=9)), tick=False)
def test_completing_without_first_value_records_time_to_value(plan, in_tenant):
    services.plan_complete(plan=OnboardingPlan.objects.select_related("account").get(pk=plan.pk))
    plan.refresh_from_db()
    account = Account.objects.get(pk=plan.account_id)
    assert plan.time_to_value_days == 9 and plan.first_value_at == at(START + timedelta(days=9))
    assert (account.time_to_value_days, account.first_value_at) == (9, plan.first_value_at)
    assert account.lifecycle_stage == "adoption"


def test_checklist_items_start_the_task(plan, in_tenant):
    task = tasks_of(plan)["Configure integrations"]
    services.plan_task_check_item(task=task, index=1, done=True)
    task.refresh_from_db()
    assert task.checklist == [{"text": "SSO", "done": False}, {"text": "API", "done": True}]
    assert task.status == "in_progress"
    with pytest.raises(DomainError):
        services.plan_task_check_item(task=task, index=5, done=True)


def test_unknown_status_refused(plan, in_tenant):
    with pytest.raises(DomainError) as caught:
        tick(plan, "Go live", status="finished")
    assert caught.value.field == "status"


# --------------------------------------------------------------------------- the overdue job


def test_overdue_job_marks_alerts_once_and_is_idempotent(plan, people, in_tenant):
    today = START + timedelta(days=11)  # tasks due on days 2, 6 and 10 are late
    with time_machine.travel(at(today), tick=False):
        first = services.plans_mark_overdue()
        assert first == {"tasks_marked": 3, "phases_marked": 1, "late_plans": 1, "alerts_opened": 1, "alerts_closed": 0}
        assert set(PlanTask.objects.filter(overdue=True).values_list("title", flat=True)) == {
            "Kickoff meeting", "Document success criteria", "Configure integrations"}
        assert list(PlanPhase.objects.filter(overdue=True).values_list("name", flat=True)) == ["Kickoff"]
        alert = Task.objects.get(dedupe_key=f"onboarding-late:{plan.pk}")
        assert alert.owner == people["specialist"] and alert.source == "onboarding" and alert.status == "open"
        assert "Kickoff meeting (due 2026-03-04)" in alert.description
        activities = Activity.objects.count()
        second = services.plans_mark_overdue()
        assert second == {"tasks_marked": 0, "phases_marked": 0, "late_plans": 1, "alerts_opened": 0, "alerts_closed": 0}
        assert Activity.objects.count() == activities
        assert Task.objects.filter(dedupe_key__startswith="onboarding-late:").count() == 1
        assert Activity.objects.filter(source="onboarding", subject="3 onboarding tasks overdue").count() == 1
        # catching up closes the alert right away
        for title in ("Kickoff meeting", "Document success criteria", "Configure integrations"):
            tick(plan, title)
        alert.refresh_from_db()
        assert alert.status == TaskStatus.DONE
        assert not PlanTask.objects.filter(overdue=True).exists()
        third = services.plans_mark_overdue()
        assert third["late_plans"] == 0 and third["alerts_opened"] == 0
        assert not PlanPhase.objects.filter(overdue=True).exists()


def test_overdue_job_closes_alert_of_plan_no_longer_late(plan, in_tenant):
    with time_machine.travel(at(START + timedelta(days=3)), tick=False):
        services.plans_mark_overdue()
        key = f"onboarding-late:{plan.pk}"
        assert Task.objects.filter(dedupe_key=key, status="open").exists()
        PlanTask.objects.filter(plan=plan, title="Kickoff meeting").update(due_date=START + timedelta(days=5))
        assert services.plans_mark_overdue()["alerts_closed"] == 1
        assert not Task.objects.filter(dedupe_key=key, status="open").exists()


def test_overdue_job_sees_missed_go_live(tenant, people, in_tenant):
    quick = make_template(tenant, name="Quick", phases=[
        {"name": "Only", "start_day": 0, "end_day": 2, "tasks": [{"title": "Call", "due_day": 1, "owner_role": "csm"}]}])
    plan = make_plan(AccountFactory(tenant=tenant, csm=people["csm"]), template=quick)
    services.plan_task_update(task=PlanTask.objects.get(plan=plan), due_date=START + timedelta(days=30))
    with time_machine.travel(at(START + timedelta(days=5)), tick=False):
        assert services.plans_mark_overdue()["late_plans"] == 1  # target go-live (day 2) passed


def test_overdue_job_query_count_is_bounded(tenant, template, people, in_tenant, django_assert_max_num_queries):
    for _ in range(6):
        make_plan(AccountFactory(tenant=tenant, csm=people["csm"]))
    with time_machine.travel(at(START + timedelta(days=11)), tick=False):
        services.plans_mark_overdue()
        with django_assert_max_num_queries(10):
            services.plans_mark_overdue()
