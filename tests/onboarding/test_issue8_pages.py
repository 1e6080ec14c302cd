"""Issue 8: open redirect on the task status form; viewers are never offered or handed work; completing
onboarding is not going live (go-live is its own milestone and the only thing "operational by week 8" counts)."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse

from accounts import services as account_services
from accounts.forms import TaskForm
from accounts.models import Account, Task
from base.errors import DomainError
from onboarding import selectors, services
from onboarding.models import OnboardingPlan, PlanTask
from tenancy.context import tenant_context
from tenancy.models import Role
from tests.factories.accounts import AccountFactory, TaskFactory

from .conftest import START
from .test_services import at

pytestmark = pytest.mark.django_db
PLANS = "/api/v1/onboarding-plans/"
TASKS = "/api/v1/onboarding-tasks/"


def task(plan, title) -> PlanTask:
    return PlanTask.all_tenants.get(plan=plan, title=title)


# --------------------------------------------------------------------------- open redirect


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "https:evil.example"])
def test_task_status_never_redirects_off_site(client, plan, people, target):
    client.force_login(people["csm"])
    response = client.post(
        reverse("onboarding:task_status", args=[task(plan, "First value").pk]),
        {"status": "done", "view": "my", "next": target},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("onboarding:my_tasks")


def test_task_status_follows_a_local_next(client, plan, people):
    client.force_login(people["csm"])
    response = client.post(
        reverse("onboarding:task_status", args=[task(plan, "First value").pk]),
        {"status": "done", "view": "my", "next": "/accounts/my-tasks/?status=open"},
    )
    assert response["Location"] == "/accounts/my-tasks/?status=open"


# --------------------------------------------------------------------------- viewers


def test_viewer_is_not_offered_done_on_account_tasks(client, tenant, member, people):
    viewer = member(Role.VIEWER)
    account = AccountFactory(tenant=tenant, csm=people["csm"])
    TaskFactory(tenant=tenant, account=account, title="Call the sponsor", owner=people["csm"])
    client.force_login(viewer)
    html = client.get(reverse("accounts:detail", args=[account.pk]), {"tab": "tasks"}).content.decode()
    assert "Call the sponsor" in html and "✓ Done" not in html and "Add a task" not in html
    client.force_login(people["csm"])
    html = client.get(reverse("accounts:detail", args=[account.pk]), {"tab": "tasks"}).content.decode()
    assert "✓ Done" in html


def test_viewers_are_not_in_owner_lists(tenant, member, people):
    viewer = member(Role.VIEWER)
    with tenant_context(tenant):
        owners = list(TaskForm().fields["owner"].queryset)
    assert people["csm"] in owners and viewer not in owners


def test_template_editor_offers_no_viewer_role(alice_client):
    html = alice_client.get(reverse("onboarding:template_create")).content.decode()
    assert 'value="csm"' in html and 'value="viewer"' not in html


def test_services_refuse_work_for_a_viewer(plan, member, people, tenant):
    viewer = member(Role.VIEWER)
    with tenant_context(tenant):
        with pytest.raises(DomainError, match="cannot own"):
            services.plan_task_update(task=task(plan, "First value"), owner=viewer)
        with pytest.raises(DomainError, match="cannot own"):
            services.plan_update(plan=OnboardingPlan.objects.get(pk=plan.pk), owner=viewer)
        account = Account.objects.get(pk=plan.account_id)
        with pytest.raises(DomainError, match="cannot own"):
            account_services.task_create(account=account, title="Chase renewal", owner=viewer)
        assert not Task.objects.filter(title="Chase renewal").exists()
        assert task(plan, "First value").owner == people["csm"]
        services.plan_task_update(task=task(plan, "First value"), owner=people["engineer"])
        assert task(plan, "First value").owner == people["engineer"]


def test_api_refuses_a_viewer_as_task_owner(api, plan, member):
    viewer = member(Role.VIEWER, email="val.viewer@acme.example")
    target = task(plan, "First value")
    response = api.patch(f"{TASKS}{target.pk}/", {"owner": viewer.email}, format="json")
    assert response.status_code == 400 and "owner" in response.json()
    assert task(plan, "First value").owner_id != viewer.pk


# --------------------------------------------------------------------------- complete is not go-live


@time_machine.travel(at(START + timedelta(days=3)), tick=False)
def test_completing_early_does_not_go_live(alice_client, plan, tenant):
    services_plan = OnboardingPlan.all_tenants.get(pk=plan.pk)
    assert services_plan.progress < 20
    assert alice_client.post(reverse("onboarding:plan_complete", args=[plan.pk])).status_code == 302
    plan.refresh_from_db()
    assert plan.status == "completed" and plan.go_live_date is None
    with tenant_context(tenant):
        assert not Task.objects.filter(dedupe_key__startswith=f"onboarding-checkin:{plan.pk}:").exists()
        metric = selectors.board_metrics()["operational_by_week_8"]
    assert metric["operational"] == 0


def test_completed_without_go_live_is_not_operational(tenant, plan):
    with time_machine.travel(at(START + timedelta(days=10)), tick=False), tenant_context(tenant):
        services.plan_complete(plan=OnboardingPlan.objects.select_related("account").get(pk=plan.pk))
        assert selectors.board_metrics()["operational_by_week_8"] == {"operational": 0, "eligible": 0, "share": None}
    with time_machine.travel(at(START + timedelta(days=60)), tick=False), tenant_context(tenant):
        assert selectors.board_metrics()["operational_by_week_8"] == {"operational": 0, "eligible": 1, "share": 0.0}


@time_machine.travel(at(START + timedelta(days=20)), tick=False)
def test_record_go_live_from_the_plan_page(alice_client, plan, tenant):
    html = alice_client.get(reverse("onboarding:plan", args=[plan.pk])).content.decode()
    assert "Record go-live" in html
    day = START + timedelta(days=18)
    response = alice_client.post(reverse("onboarding:plan_go_live", args=[plan.pk]), {"date": day.isoformat()})
    assert response.status_code == 302
    plan.refresh_from_db()
    assert plan.go_live_date == day and task(plan, "Go live").status == "done"
    with tenant_context(tenant):
        assert Task.objects.filter(dedupe_key__startswith=f"onboarding-checkin:{plan.pk}:").count() == 3
        assert selectors.board_metrics()["operational_by_week_8"]["operational"] == 1
    assert "Record go-live" not in alice_client.get(reverse("onboarding:plan", args=[plan.pk])).content.decode()


@time_machine.travel(at(START + timedelta(days=20)), tick=False)
def test_go_live_after_completion_and_bad_dates(api, plan, tenant):
    api.patch(f"{PLANS}{plan.pk}/", {"status": "completed"}, format="json")
    future = (START + timedelta(days=25)).isoformat()
    assert api.post(f"{PLANS}{plan.pk}/go-live/", {"date": future}, format="json").status_code == 400
    before = (START - timedelta(days=1)).isoformat()
    assert api.post(f"{PLANS}{plan.pk}/go-live/", {"date": before}, format="json").status_code == 400
    response = api.post(f"{PLANS}{plan.pk}/go-live/", {"date": "2026-03-19"}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["go_live_date"] == "2026-03-19" and len(response.json()["check_ins"]) == 3


def test_viewer_sees_no_go_live_or_complete(client, plan, member):
    client.force_login(member(Role.VIEWER))
    html = client.get(reverse("onboarding:plan", args=[plan.pk])).content.decode()
    assert "Record go-live" not in html and "Complete onboarding" not in html
    assert client.post(reverse("onboarding:plan_go_live", args=[plan.pk])).status_code == 403
