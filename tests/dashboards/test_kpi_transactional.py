"""KPI target writes as production runs them (tests/transactional_support.py): autocommit, real commits, a 400
leaves nothing, and the handbook seeding committed once however often it runs."""

import random
from datetime import date

import pytest
from django.urls import reverse

from core.seeding import SeedContext
from dashboards import seed
from dashboards.models import KpiTarget
from ops.demo.handbooks import HANDBOOKS
from tenancy.context import tenant_context
from tests.factories import TenantFactory
from tests.transactional_support import autocommit, committed  # noqa: F401 (fixture)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("autocommit")]
URL = "/api/v1/kpi-targets/"
FORM = {"metric": "nrr", "comparator": "at_least", "target": "115", "note": "Handbook"}


def targets():
    return committed(lambda: sorted((m, str(t)) for m, t in KpiTarget.all_tenants.values_list("metric", "target")))


def test_settings_pages_commit_add_edit_remove(alice_client, tenant):
    assert alice_client.post(reverse("dashboards:kpi_target_create"), FORM).status_code == 302
    assert targets() == [("nrr", "115.00")]
    pk = KpiTarget.all_tenants.get().pk
    edit = reverse("dashboards:kpi_target_edit", args=[pk])
    assert alice_client.post(edit, {**FORM, "target": "118"}).status_code == 302
    assert alice_client.post(edit, {**FORM, "target": "abc"}).status_code == 400
    assert targets() == [("nrr", "118.00")]
    assert alice_client.post(reverse("dashboards:kpi_target_delete", args=[pk])).status_code == 302
    assert targets() == []


def test_api_commits_create_patch_delete_and_a_400_leaves_nothing(api, tenant):
    created = api.post(URL, {"metric": "grr", "target": "95"}, format="json")
    assert created.status_code == 201
    detail = f"{URL}{created.json()['id']}/"
    assert api.patch(detail, {"target": "94"}, format="json").status_code == 200
    assert api.patch(detail, {"target": "94", "metric": "unknown"}, format="json").status_code == 400
    assert targets() == [("grr", "94.00")]
    assert api.delete(detail).status_code == 204
    assert targets() == []


def test_handbook_seeding_commits_once():
    tenant = TenantFactory(slug="modular-cs")
    ctx = SeedContext(tenant=tenant, slug="modular-cs", profile=HANDBOOKS["modular-cs"], accounts=[], users={},
                      rng=random.Random(1), today=date(2026, 3, 10), progress=lambda msg: None)
    for _ in range(2):
        with tenant_context(tenant):
            seed.seed_tenant(ctx)
        assert len(targets()) == 6
