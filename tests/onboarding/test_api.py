"""The onboarding API (API.md "Onboarding"): templates, plans, tasks; cross-tenant 404s; 400 writes nothing."""

import copy
from datetime import timedelta

import pytest
import time_machine

from accounts.models import Account
from onboarding.models import OnboardingPlan, OnboardingTemplate, PlanTask, TemplatePhase
from tests.factories.accounts import AccountFactory
from tests.factories.onboarding import STANDARD_PHASES, make_plan, make_template

from .conftest import START
from .test_services import at

pytestmark = pytest.mark.django_db

TEMPLATES = "/api/v1/onboarding-templates/"
PLANS = "/api/v1/onboarding-plans/"
TASKS = "/api/v1/onboarding-tasks/"


def body(**kw):
    return {"name": "API template", "phases": copy.deepcopy(STANDARD_PHASES), **kw}


# --------------------------------------------------------------------------- templates


def test_create_template_nested(api):
    response = api.post(TEMPLATES, body(success_criteria=["What must work at go-live?"]), format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["name"] == "API template" and data["is_default"] is True and data["duration_days"] == 21
    assert [p["name"] for p in data["phases"]] == ["Kickoff", "Setup", "Go-live"]
    assert data["phases"][0]["tasks"][0] == {
        "id": data["phases"][0]["tasks"][0]["id"], "title": "Kickoff meeting", "due_day": 2,
        "owner_role": "onboarding_specialist", "milestone": "kickoff", "checklist": [],
    }
    assert data["success_criteria"] == ["What must work at go-live?"]


@pytest.mark.parametrize(
    "mutate, field",
    [
        (lambda b: b["phases"][1].update(start_day=13, end_day=7), "phases"),
        (lambda b: b["phases"][0]["tasks"][0].update(due_day=30), "phases"),
        (lambda b: b["phases"][0]["tasks"][0].update(owner_role="janitor"), "phases"),
        (lambda b: b["phases"][0].update(start_day=-3), "phases"),
        (lambda b: b["phases"][0]["tasks"][0].pop("title"), "phases"),
        (lambda b: b.update(phases=[]), "phases"),
        (lambda b: b.update(name=""), "name"),
        (lambda b: b.update(check_in_days=[0]), "check_in_days"),
    ],
)
def test_bad_template_is_400_and_writes_nothing(api, mutate, field):
    data = body()
    mutate(data)
    response = api.post(TEMPLATES, data, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not OnboardingTemplate.all_tenants.exists() and not TemplatePhase.all_tenants.exists()


def test_patch_template(api, tenant):
    template = make_template(tenant)
    url = f"{TEMPLATES}{template.pk}/"
    response = api.patch(url, {"name": "Renamed"}, format="json")
    assert response.status_code == 200 and response.json()["name"] == "Renamed"
    assert len(response.json()["phases"]) == 3  # untouched without "phases"
    response = api.patch(url, {"phases": STANDARD_PHASES[:1]}, format="json")
    assert response.status_code == 200 and len(response.json()["phases"]) == 1
    bad = copy.deepcopy(STANDARD_PHASES)
    bad[0]["end_day"] = 1
    response = api.patch(url, {"name": "Nope", "phases": bad}, format="json")
    assert response.status_code == 400
    template.refresh_from_db()
    assert template.name == "Renamed" and TemplatePhase.all_tenants.filter(template=template).count() == 1


def test_make_another_template_default(api, tenant):
    first = make_template(tenant)
    second = make_template(tenant, name="Second")
    response = api.patch(f"{TEMPLATES}{second.pk}/", {"is_default": True}, format="json")
    assert response.status_code == 200 and response.json()["is_default"] is True
    first.refresh_from_db()
    assert not first.is_default


def test_templates_of_another_tenant_are_404(api, other_tenant):
    theirs = make_template(other_tenant)
    assert api.get(f"{TEMPLATES}{theirs.pk}/").status_code == 404
    assert api.patch(f"{TEMPLATES}{theirs.pk}/", {"name": "x"}, format="json").status_code == 404
    assert api.delete(f"{TEMPLATES}{theirs.pk}/").status_code == 404
    assert api.get(TEMPLATES).json()["results"] == []


def test_template_writes_need_configure_capability(api_readonly, client, tenant, member):
    assert api_readonly.post(TEMPLATES, body(), format="json").status_code == 403
    client.force_login(member("csm"))  # CSMs run plans but do not configure templates
    assert client.post(TEMPLATES, body(), content_type="application/json").status_code == 403
    assert not OnboardingTemplate.all_tenants.exists()


def test_template_list_query_count(api, tenant, django_assert_max_num_queries):
    for i in range(4):
        make_template(tenant, name=f"T{i}")
    with django_assert_max_num_queries(8):
        response = api.get(TEMPLATES)
    assert response.json()["count"] == 4


# --------------------------------------------------------------------------- plans


@time_machine.travel(at(START), tick=False)
def test_create_plan_with_default_template(api, account, template, people):
    response = api.post(PLANS, {"account": account.pk, "start_date": "2026-03-02"}, format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["template"] == template.pk and data["progress"] == 0
    assert data["go_live_date"] is None and data["first_value_at"] is None
    assert data["target_go_live_date"] == "2026-03-16"
    assert [(p["name"], p["start_date"], p["due_date"], p["status"]) for p in data["phases"]] == [
        ("Kickoff", "2026-03-02", "2026-03-08", "not_started"),
        ("Setup", "2026-03-09", "2026-03-15", "not_started"),
        ("Go-live", "2026-03-16", "2026-03-22", "not_started"),
    ]
    first = data["phases"][0]["tasks"][0]
    assert (first["title"], first["due_date"], first["owner"], first["status"]) == (
        "Kickoff meeting", "2026-03-04", people["specialist"].email, "not_started")
    assert data["phases"][0]["tasks"][1]["owner"] == people["csm"].email
    assert data["owner"] == people["specialist"].email and data["schedule_status"] == "on_track"


def test_create_plan_with_named_template_and_handoff(api, account, template, tenant):
    quick = make_template(tenant, name="Quick", phases=STANDARD_PHASES[:1])
    response = api.post(PLANS, {
        "account": account.pk, "start_date": "2026-03-02", "template": quick.pk,
        "handoff": {"use_case": "Search contracts", "data_volume": "2 TB"},
        "success_criteria": [{"text": "90% of searches answered", "status": "pending"}],
    }, format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["template"] == quick.pk and len(data["phases"]) == 1
    assert data["handoff"] == {"use_case": "Search contracts", "data_volume": "2 TB"}
    assert [c["text"] for c in data["success_criteria"]] == ["90% of searches answered"]


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"start_date": "2026-03-02"}, "account"),
        ({"start_date": "not a date"}, "start_date"),
        ({}, "start_date"),
        ({"start_date": "2026-03-02", "template": 999999}, "template"),
        ({"start_date": "2026-03-02", "handoff": {"shoe_size": "42"}}, "handoff"),
    ],
)
def test_bad_plan_is_400_and_writes_nothing(api, account, template, payload, field):
    payload = {"account": account.pk, **payload} if field != "account" else payload
    response = api.post(PLANS, payload, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not OnboardingPlan.all_tenants.exists() and not PlanTask.all_tenants.exists()


def test_bad_success_criteria_on_create_write_no_plan(api, account, template):
    payload = {"account": account.pk, "start_date": "2026-03-02", "success_criteria": [{"text": " "}]}
    response = api.post(PLANS, payload, format="json")
    assert response.status_code == 400 and "success_criteria" in response.json()
    assert not OnboardingPlan.all_tenants.exists() and not PlanTask.all_tenants.exists()


def test_rejected_patch_leaves_criteria_and_fields_alone(api, plan):
    response = api.patch(f"{PLANS}{plan.pk}/", {"success_criteria": [{"text": "Live by May"}]}, format="json")
    assert response.status_code == 200
    response = api.patch(f"{PLANS}{plan.pk}/", {
        "success_criteria": [{"text": "Replaced"}], "notes": "changed", "handoff": {"shoe_size": "42"},
    }, format="json")
    assert response.status_code == 400 and "handoff" in response.json()
    assert [c["text"] for c in api.get(f"{PLANS}{plan.pk}/").json()["success_criteria"]] == ["Live by May"]
    assert OnboardingPlan.all_tenants.get(pk=plan.pk).notes == ""


def test_another_tenants_template_or_account_cannot_be_used(api, account, template, other_tenant):
    theirs = make_template(other_tenant)
    their_account = AccountFactory(tenant=other_tenant)
    response = api.post(PLANS, {"account": account.pk, "start_date": "2026-03-02", "template": theirs.pk}, format="json")
    assert response.status_code == 400 and "does not exist" in response.json()["template"][0]
    response = api.post(PLANS, {"account": their_account.pk, "start_date": "2026-03-02"}, format="json")
    assert response.status_code == 400 and "does not exist" in response.json()["account"][0]
    assert not OnboardingPlan.all_tenants.exists()


def test_no_default_template_is_400(api, tenant):
    account = AccountFactory(tenant=tenant)
    response = api.post(PLANS, {"account": account.pk, "start_date": "2026-03-02"}, format="json")
    assert response.status_code == 400 and "template" in response.json()


def test_second_active_plan_is_400(api, plan):
    response = api.post(PLANS, {"account": plan.account_id, "start_date": "2026-04-01"}, format="json")
    assert response.status_code == 400 and "account" in response.json()
    assert OnboardingPlan.all_tenants.count() == 1


def test_plans_of_another_tenant_are_404(api, other_api, plan, other_plan):
    assert api.get(f"{PLANS}{other_plan.pk}/").status_code == 404
    assert api.patch(f"{PLANS}{other_plan.pk}/", {"notes": "x"}, format="json").status_code == 404
    assert api.post(f"{PLANS}{other_plan.pk}/first-value/", {}, format="json").status_code == 404
    their_task = PlanTask.all_tenants.filter(plan=other_plan).first()
    assert api.get(f"{TASKS}{their_task.pk}/").status_code == 404
    assert api.patch(f"{TASKS}{their_task.pk}/", {"status": "done"}, format="json").status_code == 404
    assert [p["id"] for p in api.get(PLANS).json()["results"]] == [plan.pk]
    assert [p["id"] for p in other_api.get(PLANS).json()["results"]] == [other_plan.pk]
    assert PlanTask.all_tenants.get(pk=their_task.pk).status == "not_started"


def test_patch_plan(api, plan, people):
    response = api.patch(f"{PLANS}{plan.pk}/", {
        "notes": "Champion is on leave in April.", "owner": people["csm"].email,
        "handoff": {"key_contacts": "Ana (IT lead)"},
    }, format="json")
    assert response.status_code == 200, response.json()
    data = response.json()
    assert data["notes"] == "Champion is on leave in April." and data["owner"] == people["csm"].email
    assert data["handoff"] == {"key_contacts": "Ana (IT lead)"}
    response = api.patch(f"{PLANS}{plan.pk}/", {"start_date": "2026-05-01"}, format="json")
    assert response.status_code == 400
    response = api.patch(f"{PLANS}{plan.pk}/", {"owner": "stranger@nowhere.example"}, format="json")
    assert response.status_code == 400


@time_machine.travel(at(START + timedelta(days=3)), tick=False)
def test_complete_plan_by_status(api, plan):
    response = api.patch(f"{PLANS}{plan.pk}/", {"status": "completed"}, format="json")
    assert response.status_code == 200
    # Completing is not going live: no go-live date, no post-launch check-ins (issue 8).
    assert response.json()["status"] == "completed" and response.json()["go_live_date"] is None
    assert response.json()["check_ins"] == []
    assert Account.all_tenants.get(pk=plan.account_id).lifecycle_stage == "adoption"
    assert api.patch(f"{PLANS}{plan.pk}/", {"status": "cancelled"}, format="json").status_code == 409


@time_machine.travel(at(START + timedelta(days=10)), tick=False)
def test_first_value_endpoint(api, plan):
    response = api.post(f"{PLANS}{plan.pk}/first-value/", {"at": "2026-03-08T10:00:00+00:00"}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["first_value_at"] == "2026-03-08T10:00:00Z"
    assert response.json()["time_to_value_days"] == 6
    assert Account.all_tenants.get(pk=plan.account_id).time_to_value_days == 6
    response = api.post(f"{PLANS}{plan.pk}/first-value/", {"at": "yesterday"}, format="json")
    assert response.status_code == 400


def test_plan_list_and_detail_query_counts(api, tenant, template, people, django_assert_max_num_queries):
    for _ in range(5):
        make_plan(AccountFactory(tenant=tenant, csm=people["csm"]))
    with django_assert_max_num_queries(10):
        response = api.get(PLANS)
    assert response.json()["count"] == 5
    plan_id = response.json()["results"][0]["id"]
    with django_assert_max_num_queries(9):
        assert api.get(f"{PLANS}{plan_id}/").status_code == 200


# --------------------------------------------------------------------------- tasks


@time_machine.travel(at(START + timedelta(days=2)), tick=False)
def test_patch_task_status_updates_progress(api, plan, people):
    task = PlanTask.all_tenants.get(plan=plan, title="Kickoff meeting")
    response = api.patch(f"{TASKS}{task.pk}/", {"status": "done"}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "done" and response.json()["completed_at"]
    plan_data = api.get(f"{PLANS}{plan.pk}/").json()
    assert plan_data["progress"] == 16
    assert plan_data["phases"][0]["status"] == "in_progress"
    response = api.patch(f"{TASKS}{task.pk}/", {"status": "finished"}, format="json")
    assert response.status_code == 400 and "status" in response.json()
    response = api.patch(f"{TASKS}{task.pk}/", {"owner": people["vp"].email, "due_date": "2026-03-06"}, format="json")
    assert response.status_code == 200 and response.json()["owner"] == people["vp"].email


def test_task_list_filters_and_query_count(api, plan, people, django_assert_max_num_queries):
    with django_assert_max_num_queries(8):
        response = api.get(TASKS, {"plan": plan.pk, "owner": people["csm"].email})
    assert [t["title"] for t in response.json()["results"]] == ["Document success criteria", "First value"]


def test_read_only_key_cannot_write_plans(api_readonly, plan):
    task = PlanTask.all_tenants.filter(plan=plan).first()
    assert api_readonly.patch(f"{TASKS}{task.pk}/", {"status": "done"}, format="json").status_code == 403
    assert api_readonly.get(f"{PLANS}{plan.pk}/").status_code == 200


def test_schema_describes_onboarding(api):
    schema = api.get("/api/v1/schema/", HTTP_ACCEPT="application/json").json()
    for path in (TEMPLATES, PLANS, f"{PLANS}{{id}}/first-value/", TASKS, f"{TASKS}{{id}}/"):
        assert path in schema["paths"], path
