"""Issue 9 shape: one validator of template JSON for the API and the editor page (its nested formsets
only collect), the access helpers every onboarding page goes through, late-plan CTAs opened in bulk."""

from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.urls import reverse

from accounts.models import Activity, Task
from base.errors import DomainError, NotFound
from onboarding import services
from onboarding.access import access_criterion, access_plan, access_plan_task, access_template
from onboarding.models import OnboardingTemplate, PlanTask, TemplatePhase, TemplateTask
from onboarding.structure import clean_structure
from tenancy.context import tenant_context
from tenancy.models import Membership
from tenancy.principal import Principal
from tests.factories.onboarding import STANDARD_PHASES

from .conftest import START
from .test_api import TEMPLATES, body
from .test_pages import editor_post
from .test_services import at

pytestmark = pytest.mark.django_db


def principal_of(user, tenant) -> Principal:
    return Principal(tenant=tenant, membership=Membership.all_tenants.get(user=user, tenant=tenant))


# --------------------------------------------------------------------------- one validator


def test_api_and_editor_page_report_the_same_rule_in_the_same_words(alice_client, api, tenant):
    bad = body()
    bad["phases"][0]["tasks"][0]["due_day"] = 12
    with tenant_context(tenant), pytest.raises(DomainError) as caught:
        clean_structure(bad["phases"])
    message = str(caught.value)
    assert api.post(TEMPLATES, bad, format="json").json() == {"phases": [message]}
    page = alice_client.post(reverse("onboarding:template_create"), editor_post(**{"phase-0-task-0-due_day": "12"}))
    assert page.status_code == 400
    assert "Phase 1 (Setup), task 1 (Kickoff): due_day 12 is outside its phase (days 0-6)." in page.content.decode()


def test_api_leaves_checking_to_the_validator(api):
    """The API passes the body through: a type its serializer once refused gets the validator's message."""
    data = body()
    data["phases"][0]["tasks"][0]["checklist"] = "not a list"
    response = api.post(TEMPLATES, data, format="json")
    assert response.status_code == 400
    assert response.json() == {"phases": ["Phase 1 (Kickoff), task 1 (Kickoff meeting): checklist must be a list of items."]}
    assert not OnboardingTemplate.all_tenants.exists()


# --------------------------------------------------------------------------- the editor's formsets


def test_editor_removes_a_phase_and_keeps_what_is_typed(alice_client, tenant, template):
    edit = reverse("onboarding:template_edit", args=[template.pk])
    html = alice_client.get(edit).content.decode()
    assert 'name="phase-TOTAL_FORMS" value="4"' in html  # three phases and one blank
    post = {
        "name": "Standard onboarding", "check_in_days": "30, 60, 90", "success_criteria": "", "description": "",
        "is_default": "on", "phase-TOTAL_FORMS": "2", "phase-INITIAL_FORMS": "2",
    }
    for i, phase in enumerate(STANDARD_PHASES[:2]):
        post |= {f"phase-{i}-name": phase["name"], f"phase-{i}-start_day": str(phase["start_day"]),
                 f"phase-{i}-end_day": str(phase["end_day"]), f"phase-{i}-task-TOTAL_FORMS": str(len(phase["tasks"])),
                 f"phase-{i}-task-INITIAL_FORMS": str(len(phase["tasks"]))}
        for j, t in enumerate(phase["tasks"]):
            post |= {f"phase-{i}-task-{j}-title": t["title"], f"phase-{i}-task-{j}-due_day": str(t["due_day"]),
                     f"phase-{i}-task-{j}-owner_role": t["owner_role"],
                     f"phase-{i}-task-{j}-milestone": t.get("milestone", ""),
                     f"phase-{i}-task-{j}-checklist": "\n".join(t.get("checklist", []))}
    post["phase-0-DELETE"] = "on"
    response = alice_client.post(edit, post)
    assert response.status_code == 302
    assert list(TemplatePhase.all_tenants.filter(template=template).values_list("name", flat=True)) == ["Setup"]
    configure = TemplateTask.all_tenants.get(phase__template=template, title="Configure integrations")
    assert configure.checklist == ["SSO", "API"]


def test_editor_without_its_management_forms_is_400_and_writes_nothing(alice_client, template):
    data = {key: value for key, value in editor_post().items() if "TOTAL_FORMS" not in key and "INITIAL" not in key}
    response = alice_client.post(reverse("onboarding:template_create"), data)
    assert response.status_code == 400
    assert not OnboardingTemplate.all_tenants.filter(name="Pilot").exists()


# --------------------------------------------------------------------------- access helpers


def test_access_helpers_are_404_for_another_tenant_and_malformed_ids(tenant, alice, plan, other_plan):
    me = principal_of(alice, tenant)
    theirs = PlanTask.all_tenants.filter(plan=other_plan).first()
    with tenant_context(tenant):
        assert access_plan(plan.pk, principal=me).pk == plan.pk
        for fetch, pk in [(access_plan, other_plan.pk), (access_plan, "x"), (access_plan_task, theirs.pk),
                          (access_template, other_plan.template_id), (access_criterion, 10**9)]:
            with pytest.raises(NotFound):
                fetch(pk, principal=me)
        with pytest.raises(NotFound):
            access_plan(plan.pk, principal=None)


def test_writing_a_task_needs_the_capability_or_to_own_it(tenant, plan, people):
    engineer = principal_of(people["engineer"], tenant)  # no onboarding.write
    with tenant_context(tenant), transaction.atomic():
        own = PlanTask.objects.get(plan=plan, title="Configure integrations")
        assert access_plan_task(own.pk, principal=engineer, for_write=True).pk == own.pk
        other = PlanTask.objects.get(plan=plan, title="Go live")
        with pytest.raises(PermissionDenied):
            access_plan_task(other.pk, principal=engineer, for_write=True)
        with pytest.raises(PermissionDenied):
            access_plan(plan.pk, principal=engineer, for_write=True)


# --------------------------------------------------------------------------- overdue CTAs


def test_late_plan_cta_is_opened_in_bulk_with_its_timeline_row(plan, other_plan, in_tenant):
    with time_machine.travel(at(START + timedelta(days=11)), tick=False):
        result = services.plans_mark_overdue()
        assert result["alerts_opened"] == 1  # this tenant's plan only
        alert = Task.objects.get(dedupe_key=f"onboarding-late:{plan.pk}")
        assert alert.title == "Onboarding late: Initech" and alert.priority == "high" and alert.due_date == START + timedelta(days=11)
        opened = Activity.objects.filter(ref_type="task", ref_id=alert.pk, subject="Alert opened: Onboarding late: Initech")
        assert opened.count() == 1 and opened.get().source == "onboarding"
        services.plans_mark_overdue()
        assert opened.count() == 1
