"""seed_demo ends by refreshing the dashboards' aggregates, so the support operations page has figures on first
run (beat refreshes them every 5 minutes afterwards)."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from dashboards.models import DashboardRefresh, PortfolioDay, SupportDay
from tenancy.context import tenant_context
from tenancy.models import Membership, Role, Tenant

pytestmark = pytest.mark.django_db


def test_seeded_tenant_has_fresh_dashboards(client):
    call_command("seed_demo", "--only", "techcorp", stdout=io.StringIO())
    tenant = Tenant.objects.get(slug="techcorp")
    with tenant_context(tenant):
        assert set(DashboardRefresh.objects.values_list("kind", flat=True)) >= {"portfolio", "support"}
        assert PortfolioDay.objects.exists() and SupportDay.objects.exists()
        lead = Membership.objects.filter(role=Role.SUPPORT_MANAGER).first() or Membership.objects.filter(
            role=Role.ADMIN).first()
    client.force_login(lead.user)
    page = client.get("/dashboards/support/", secure=True)
    assert page.status_code == 200 and b"Updated" in page.content
