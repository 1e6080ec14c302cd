"""Onboarding pages: board, plan page (HTMX ticking), my tasks, templates editor, account panel.
Bob (globex) gets 404 for every acme object; pages run a bounded number of queries."""

from datetime import timedelta

import pytest
import time_machine
from django.test import RequestFactory
from django.urls import reverse

from accounts.models import Account
from onboarding.models import OnboardingPlan, OnboardingTemplate, PlanTask, SuccessCriterion, TemplateTask
from onboarding.selectors import my_task_section
from onboarding.views import account_panel_context
from tenancy.context import tenant_context
from tenancy.models import Role
from tests.factories.accounts import AccountFactory
from tests.factories.onboarding import make_plan

from .conftest import START
from .test_services import at

pytestmark = pytest.mark.django_db


def task(plan, title) -> PlanTask:
    return PlanTask.all_tenants.get(plan=plan, title=title)


# --------------------------------------------------------------------------- board


@time_machine.travel(at(START + timedelta(days=11)), tick=False)
def test_board_lists_plans_with_timeline_and_metrics(alice_client, plan, other_plan):
    response = alice_client.get(reverse("onboarding:board"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Initech" in html and "Globex customer" not in html
    assert "onb-bar late" in html  # the kickoff phase is past due
    assert "onb-today" in html
    assert "Operational by week 8" in html and "Time to first value" in html
    assert 'class="badge red">Late' in html


def test_board_filters_by_owner_and_segment(alice_client, tenant, template, people):
    mine = make_plan(AccountFactory(tenant=tenant, name="Mine Co", arr=200000), owner=people["csm"])
    make_plan(AccountFactory(tenant=tenant, name="Theirs Co", arr=5000), owner=people["vp"])
    url = reverse("onboarding:board")
    html = alice_client.get(url, {"owner": str(people["csm"].pk)}).content.decode()
    assert "Mine Co" in html and "Theirs Co" not in html
    html = alice_client.get(url, {"segment": "smb"}).content.decode()
    assert "Theirs Co" in html and "Mine Co" not in html
    partial = alice_client.get(url, {"segment": "enterprise"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="board-results")
    assert "<html" not in partial.content.decode() and "Mine Co" in partial.content.decode()
    assert mine.pk


def test_board_query_count_does_not_grow(alice_client, tenant, template, people, django_assert_max_num_queries):
    for _ in range(8):
        make_plan(AccountFactory(tenant=tenant, csm=people["csm"]))
    with django_assert_max_num_queries(14):
        assert alice_client.get(reverse("onboarding:board")).status_code == 200


# --------------------------------------------------------------------------- plan page


def test_plan_page(alice_client, plan):
    response = alice_client.get(reverse("onboarding:plan", args=[plan.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    for text in ("Kickoff meeting", "Sales handoff", "Success criteria", "Notes", "Post-launch check-ins", "SSO"):
        assert text in html


def test_plan_page_query_count(alice_client, plan, django_assert_max_num_queries):
    with django_assert_max_num_queries(14):
        assert alice_client.get(reverse("onboarding:plan", args=[plan.pk])).status_code == 200


@time_machine.travel(at(START + timedelta(days=2)), tick=False)
def test_tick_task_inline_returns_plan_body(alice_client, plan):
    url = reverse("onboarding:task_status", args=[task(plan, "Kickoff meeting").pk])
    response = alice_client.post(url, {"status": "done"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="plan-body">') and "16%" in html
    assert task(plan, "Kickoff meeting").status == "done"
    assert alice_client.post(url, {"status": "finished"}).status_code == 400


def test_tick_without_htmx_redirects(alice_client, plan):
    url = reverse("onboarding:task_status", args=[task(plan, "Go live").pk])
    response = alice_client.post(url, {"status": "in_progress"})
    assert response.status_code == 302 and response.url == reverse("onboarding:plan", args=[plan.pk])


def test_task_owner_may_tick_without_capability_others_may_not(client, plan, people, member):
    own = task(plan, "Configure integrations")  # owned by the support engineer (no onboarding.write)
    client.force_login(people["engineer"])
    assert client.post(reverse("onboarding:task_status", args=[own.pk]), {"status": "done"}).status_code == 302
    other = task(plan, "Go live")
    assert client.post(reverse("onboarding:task_status", args=[other.pk]), {"status": "done"}).status_code == 403
    assert task(plan, "Go live").status == "not_started"


def test_checklist_item_toggle(alice_client, plan):
    configure = task(plan, "Configure integrations")
    url = reverse("onboarding:task_checklist", args=[configure.pk, 0])
    response = alice_client.post(url, {"done": "1"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "☑ SSO" in response.content.decode()
    assert task(plan, "Configure integrations").checklist[0]["done"] is True
    assert alice_client.post(reverse("onboarding:task_checklist", args=[configure.pk, 9]), {"done": "1"}).status_code == 400


def test_handoff_notes_and_criteria(alice_client, plan):
    url = reverse("onboarding:plan_handoff", args=[plan.pk])
    response = alice_client.post(url, {"use_case": "Contract search", "data_volume": "2 TB"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "Contract search" in response.content.decode()
    response = alice_client.post(reverse("onboarding:plan_notes", args=[plan.pk]), {"notes": "Kickoff moved."})
    assert response.status_code == 302
    response = alice_client.post(reverse("onboarding:criterion_add", args=[plan.pk]), {"text": "Go live by May"},
                                 HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "Go live by May" in response.content.decode()
    criterion = SuccessCriterion.all_tenants.get(plan=plan)
    response = alice_client.post(reverse("onboarding:criterion_update", args=[criterion.pk]),
                                 {"text": "Go live by May", "status": "met"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    plan.refresh_from_db()
    criterion.refresh_from_db()
    assert plan.handoff == {"use_case": "Contract search", "data_volume": "2 TB"}
    assert plan.notes == "Kickoff moved." and criterion.status == "met"


@time_machine.travel(at(START + timedelta(days=8)), tick=False)
def test_first_value_and_complete_buttons(alice_client, plan):
    assert alice_client.post(reverse("onboarding:plan_first_value", args=[plan.pk])).status_code == 302
    assert alice_client.post(reverse("onboarding:plan_complete", args=[plan.pk])).status_code == 302
    plan.refresh_from_db()
    assert plan.time_to_value_days == 8 and plan.status == "completed"
    assert Account.all_tenants.get(pk=plan.account_id).lifecycle_stage == "adoption"


def test_viewer_sees_plan_but_cannot_write(client, plan, member):
    client.force_login(member(Role.VIEWER))
    html = client.get(reverse("onboarding:plan", args=[plan.pk])).content.decode()
    assert "Kickoff meeting" in html and "Mark Kickoff meeting done" not in html
    assert client.post(reverse("onboarding:plan_notes", args=[plan.pk]), {"notes": "x"}).status_code == 403


def test_every_plan_page_of_another_tenant_is_404(bob_client, bob, plan):
    criterion = SuccessCriterion.all_tenants.create(tenant=plan.tenant, plan=plan, text="x")
    any_task = task(plan, "Configure integrations")
    pages = [
        ("get", reverse("onboarding:plan", args=[plan.pk]), {}),
        ("post", reverse("onboarding:task_status", args=[any_task.pk]), {"status": "done"}),
        ("post", reverse("onboarding:task_checklist", args=[any_task.pk, 0]), {"done": "1"}),
        ("post", reverse("onboarding:plan_handoff", args=[plan.pk]), {"use_case": "x"}),
        ("post", reverse("onboarding:plan_notes", args=[plan.pk]), {"notes": "x"}),
        ("post", reverse("onboarding:criterion_add", args=[plan.pk]), {"text": "x"}),
        ("post", reverse("onboarding:criterion_update", args=[criterion.pk]), {"text": "y", "status": "met"}),
        ("post", reverse("onboarding:plan_first_value", args=[plan.pk]), {}),
        ("post", reverse("onboarding:plan_complete", args=[plan.pk]), {}),
        ("get", reverse("onboarding:plan_start") + f"?account={plan.account_id}", {}),
        ("post", reverse("onboarding:plan_start"), {"account": plan.account_id, "template": plan.template_id,
                                                      "start_date": "2026-03-02"}),
        ("post", reverse("onboarding:template_edit", args=[plan.template_id]), {"name": "Mine now"}),
        ("get", reverse("onboarding:template_edit", args=[plan.template_id]), {}),
        ("post", reverse("onboarding:template_default", args=[plan.template_id]), {}),
        ("post", reverse("onboarding:template_delete", args=[plan.template_id]), {}),
    ]
    for method, url, data in pages:
        assert getattr(bob_client, method)(url, data).status_code == 404, url
    plan.refresh_from_db()
    assert plan.status == "active" and plan.notes == "" and task(plan, "Configure integrations").status == "not_started"
    assert OnboardingTemplate.all_tenants.filter(pk=plan.template_id).exists()
    html = bob_client.get(reverse("onboarding:board")).content.decode()
    assert "Initech" not in html
    assert "Standard onboarding" not in bob_client.get(reverse("onboarding:templates")).content.decode()


# --------------------------------------------------------------------------- starting a plan from the account page


def test_account_panel_offers_start_then_shows_progress(alice_client, account, template):
    detail = reverse("accounts:detail", args=[account.pk])
    html = alice_client.get(detail).content.decode()
    assert "Start onboarding" in html and 'id="onboarding-panel"' in html
    response = alice_client.post(reverse("onboarding:plan_start"), {
        "account": account.pk, "template": template.pk, "start_date": "2026-03-02"})
    plan = OnboardingPlan.all_tenants.get(account=account)
    assert response.status_code == 302 and response.url == reverse("onboarding:plan", args=[plan.pk])
    html = alice_client.get(detail).content.decode()
    assert "0%" in html and "Standard onboarding" in html and "Start onboarding" not in html


def test_start_form_errors_write_nothing(alice_client, account, template, other_tenant):
    from tests.factories.onboarding import make_template

    theirs = make_template(other_tenant, name="Theirs")
    response = alice_client.post(reverse("onboarding:plan_start"), {
        "account": account.pk, "template": theirs.pk, "start_date": "2026-03-02"})
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    response = alice_client.post(reverse("onboarding:plan_start"), {
        "account": account.pk, "template": template.pk, "start_date": "someday"})
    assert response.status_code == 200
    assert not OnboardingPlan.all_tenants.exists()


def test_account_panel_query_count(tenant, plan, alice, django_assert_max_num_queries):
    request = RequestFactory().get("/")
    request.user, request.tenant = alice, tenant
    with tenant_context(tenant):
        request.membership = alice.memberships.get()
        with django_assert_max_num_queries(2):
            context = account_panel_context(request, plan.account)
    assert context["plan"].pk == plan.pk and context["plan"].task_total == 6


# --------------------------------------------------------------------------- my tasks


def test_my_task_section_on_accounts_my_tasks(client, plan, people):
    client.force_login(people["specialist"])
    html = client.get(reverse("accounts:my_tasks")).content.decode()
    assert "My onboarding tasks" in html and "Kickoff meeting" in html and "Go live" in html
    assert "Hypercare review" not in html  # the VP's


def test_my_task_section_shape_and_none(plan, people, tenant, member):
    with tenant_context(tenant):
        section = my_task_section(user=people["csm"])
        assert section["template"] == "onboarding/_my_tasks_section.html"
        assert [t.title for t in section["tasks"]] == ["Document success criteria", "First value"]
        assert my_task_section(user=member(Role.VIEWER)) is None


def test_tick_from_my_tasks_returns_row(client, plan, people):
    client.force_login(people["csm"])
    target = task(plan, "First value")
    response = client.post(reverse("onboarding:task_status", args=[target.pk]), {"status": "done", "view": "my"},
                           HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith(f'<tr id="onb-task-{target.pk}"') and "Done" in html


def test_my_onboarding_tasks_page_query_count(client, tenant, template, people, django_assert_max_num_queries):
    for _ in range(5):
        make_plan(AccountFactory(tenant=tenant, csm=people["csm"]))
    client.force_login(people["csm"])
    with django_assert_max_num_queries(8):
        response = client.get(reverse("onboarding:my_tasks"))
    assert response.content.decode().count("<strong>Document success criteria</strong>") == 5


# --------------------------------------------------------------------------- template settings


def test_templates_page_and_settings_card(alice_client, template):
    html = alice_client.get(reverse("onboarding:templates")).content.decode()
    assert "Standard onboarding" in html and "Default" in html
    assert reverse("onboarding:templates") in alice_client.get(reverse("settings")).content.decode()


def editor_post(**overrides):
    data = {
        "name": "Pilot", "description": "", "success_criteria": "Goal?\nMetric?", "check_in_days": "30, 60",
        "phase-TOTAL_FORMS": "2", "phase-INITIAL_FORMS": "0",
        "phase-0-name": "Setup", "phase-0-start_day": "0", "phase-0-end_day": "6",
        "phase-0-task-TOTAL_FORMS": "3", "phase-0-task-INITIAL_FORMS": "0",
        "phase-0-task-0-title": "Kickoff", "phase-0-task-0-due_day": "1", "phase-0-task-0-owner_role": "csm",
        "phase-0-task-0-milestone": "kickoff", "phase-0-task-0-checklist": "Agenda\nAttendees",
        "phase-0-task-1-title": "Go live", "phase-0-task-1-due_day": "6",
        "phase-0-task-1-owner_role": "onboarding_specialist", "phase-0-task-1-milestone": "go_live",
        "phase-0-task-2-title": "", "phase-0-task-2-due_day": "", "phase-0-task-2-owner_role": "csm",
        "phase-1-name": "", "phase-1-start_day": "", "phase-1-end_day": "",
        "phase-1-task-TOTAL_FORMS": "0", "phase-1-task-INITIAL_FORMS": "0",
    }
    return data | overrides


def test_template_editor_creates_and_edits(alice_client, template):
    assert alice_client.get(reverse("onboarding:template_create")).status_code == 200
    response = alice_client.post(reverse("onboarding:template_create"), editor_post())
    assert response.status_code == 302
    pilot = OnboardingTemplate.all_tenants.get(name="Pilot")
    assert pilot.success_criteria == ["Goal?", "Metric?"] and pilot.check_in_days == [30, 60]
    tasks = list(TemplateTask.all_tenants.filter(phase__template=pilot).order_by("position"))
    assert [(t.title, t.due_day, t.milestone, t.checklist) for t in tasks] == [
        ("Kickoff", 1, "kickoff", ["Agenda", "Attendees"]), ("Go live", 6, "go_live", [])]
    edit = reverse("onboarding:template_edit", args=[pilot.pk])
    html = alice_client.get(edit).content.decode()
    assert 'value="Kickoff"' in html and "Agenda\nAttendees" in html
    response = alice_client.post(edit, editor_post(**{"phase-0-task-1-DELETE": "on"}))
    assert response.status_code == 302
    assert TemplateTask.all_tenants.filter(phase__template=pilot).count() == 1


def test_template_editor_bad_input_writes_nothing(alice_client, template):
    response = alice_client.post(reverse("onboarding:template_create"), editor_post(**{"phase-0-task-0-due_day": "12"}))
    assert response.status_code == 400
    assert "outside its phase" in response.content.decode()
    assert 'value="Pilot"' in response.content.decode()  # the typed values come back
    assert not OnboardingTemplate.all_tenants.filter(name="Pilot").exists()
    response = alice_client.post(reverse("onboarding:template_create"), editor_post(check_in_days="soon"))
    assert response.status_code == 400


def test_template_editor_needs_configure(client, template, member):
    client.force_login(member(Role.CSM))
    assert client.get(reverse("onboarding:template_create")).status_code == 403
    assert client.post(reverse("onboarding:template_create"), editor_post()).status_code == 403
    assert client.get(reverse("onboarding:templates")).status_code == 200  # reading is fine


def test_make_default_and_delete(alice_client, tenant, template):
    from tests.factories.onboarding import make_template

    second = make_template(tenant, name="Second")
    assert alice_client.post(reverse("onboarding:template_default", args=[second.pk])).status_code == 302
    assert alice_client.post(reverse("onboarding:template_delete", args=[template.pk])).status_code == 302
    assert list(OnboardingTemplate.all_tenants.values_list("name", "is_default")) == [("Second", True)]


def test_templates_page_query_count(alice_client, tenant, django_assert_max_num_queries):
    from tests.factories.onboarding import make_template

    for i in range(5):
        make_template(tenant, name=f"T{i}")
    with django_assert_max_num_queries(8):
        assert alice_client.get(reverse("onboarding:templates")).status_code == 200
