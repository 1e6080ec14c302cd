"""Issue 8 item 3: every new tenant has a generic default onboarding template, so a plan can be created
without naming one; existing tenants get one from a data migration; a task without owner_role is the CSM's."""

import copy
import importlib
from datetime import date

import pytest
from django.apps import apps as django_apps
from rest_framework.test import APIClient

from base.errors import DomainError
from onboarding import services
from onboarding.defaults import DEFAULT_TEMPLATE
from onboarding.models import OnboardingTemplate, PlanTask
from tenancy.context import tenant_context
from tenancy.models import Role
from tenancy.services import member_add, tenant_create
from tests.factories import TenantFactory, make_api_key
from tests.factories.accounts import AccountFactory
from tests.factories.onboarding import STANDARD_PHASES

pytestmark = pytest.mark.django_db


def test_create_tenant_gives_a_default_template_and_a_plan_needs_no_template():
    tenant = tenant_create(slug="newco", name="NewCo", admin_email="admin@newco.example", admin_password="pw-123456789")
    with tenant_context(tenant):
        template = OnboardingTemplate.objects.get()
        assert template.is_default and template.name == DEFAULT_TEMPLATE["name"]
        phases = list(template.phases.order_by("position"))
        assert len(phases) >= 3 and all(p.start_day <= p.end_day for p in phases)
        milestones = {t.milestone for p in phases for t in p.tasks.all() if t.milestone}
        assert milestones == {"kickoff", "first_value", "go_live"}
        csm = member_add(tenant=tenant, email="csm@newco.example", role=Role.CSM).user
        account = AccountFactory(tenant=tenant, csm=csm)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {make_api_key(tenant)}")
    response = api.post("/api/v1/onboarding-plans/", {"account": account.pk, "start_date": "2026-03-02"}, format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["template"] == template.pk and data["phases"] and data["go_live_date"] is None


def test_task_without_owner_role_goes_to_the_accounts_csm(tenant, member):
    csm = member(Role.CSM)
    member(Role.ONBOARDING_SPECIALIST)
    phases = copy.deepcopy(STANDARD_PHASES)
    phases[0]["tasks"].append({"title": "Welcome call", "due_day": 1})
    with tenant_context(tenant):
        template = services.template_create(name="No role", phases=phases)
        task = template.phases.get(position=0).tasks.get(title="Welcome call")
        assert task.owner_role == Role.CSM
        account = AccountFactory(tenant=tenant, csm=csm)
        plan = services.plan_create(account=account, start_date=date(2026, 3, 2), template=template)
        assert PlanTask.objects.get(plan=plan, title="Welcome call").owner == csm


def test_api_template_task_without_owner_role_is_the_csm(api):
    phases = copy.deepcopy(STANDARD_PHASES)
    phases[0]["tasks"][0].pop("owner_role")
    response = api.post("/api/v1/onboarding-templates/", {"name": "T", "phases": phases}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["phases"][0]["tasks"][0]["owner_role"] == "csm"


def test_viewer_is_not_an_owner_role(tenant):
    phases = copy.deepcopy(STANDARD_PHASES)
    phases[0]["tasks"][0]["owner_role"] = Role.VIEWER
    with tenant_context(tenant), pytest.raises(DomainError, match="owner_role"):
        services.template_create(name="Viewer work", phases=phases)


def test_data_migration_gives_existing_tenants_without_templates_one():
    bare = TenantFactory(slug="bare")
    kept = TenantFactory(slug="kept")
    with tenant_context(kept):
        services.template_create(name="Own", phases=copy.deepcopy(STANDARD_PHASES))
    migration = importlib.import_module("onboarding.migrations.0002_default_template")
    migration.add_default_templates(django_apps, None)
    migration.add_default_templates(django_apps, None)  # twice changes nothing
    rows = OnboardingTemplate.all_tenants.filter(tenant__in=[bare, kept])
    assert sorted((r.tenant.slug, r.name, r.is_default) for r in rows) == [
        ("bare", DEFAULT_TEMPLATE["name"], True), ("kept", "Own", True)
    ]
    with tenant_context(bare):
        template = OnboardingTemplate.objects.get()
        tasks = [t for p in template.phases.all() for t in p.tasks.all()]
        assert len(tasks) == sum(len(p["tasks"]) for p in DEFAULT_TEMPLATE["phases"])
        assert {t.owner_role for t in tasks} == {"onboarding_specialist", "csm"}
