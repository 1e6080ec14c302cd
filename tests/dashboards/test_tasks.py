"""The periodic refresh (beat -> one task per tenant) and the on-demand refresh as a job."""

from __future__ import annotations

import pytest
from django.conf import settings

from core.models import Job
from dashboards import services, tasks
from dashboards.models import DashboardRefresh
from tenancy.context import tenant_context

pytestmark = pytest.mark.django_db


def test_beat_refreshes_every_five_minutes():
    entry = settings.CELERY_BEAT_SCHEDULE["dashboards-refresh-all-tenants"]
    assert entry["task"] == tasks.refresh_all_tenants.name
    assert entry["schedule"] == 300.0 and entry["options"]["expires"] < 300


def test_fan_out_refreshes_each_tenant(tenant, other_tenant, support_history):
    assert tasks.refresh_all_tenants.apply().get() == 2  # eager: each tenant's task ran inline
    for each in (tenant, other_tenant):
        with tenant_context(each):
            assert DashboardRefresh.objects.filter(kind="support").count() == 1
    with tenant_context(other_tenant):
        assert DashboardRefresh.objects.get(kind="support").rows == 1


def test_refresh_task_of_a_deleted_tenant_returns_quietly():
    assert tasks.refresh_tenant.apply(args=[987654]).get() is None


def test_on_demand_refresh_is_a_job(tenant, support_history):
    outcome = services.request_refresh(tenant=tenant)
    assert outcome["status"] == "done" and outcome["support"]["rows"] == 4
    with tenant_context(tenant):
        job = Job.objects.get(pk=outcome["job_id"])
    assert job.status == "succeeded" and job.kind == "dashboards.refresh"
    assert job.result["support"]["rows"] == 4


def test_on_demand_refresh_with_a_broker_queues_through_the_outbox(tenant, settings):
    from config.celery import app
    from core.models import OutboxMessage

    app.conf.task_always_eager = False
    settings.CELERY_TASK_ALWAYS_EAGER = False
    try:
        outcome = services.request_refresh(tenant=tenant)
    finally:
        app.conf.task_always_eager = True
    assert outcome["status"] == "queued"
    message = OutboxMessage.objects.get(task_name="dashboards.refresh_tenant")
    assert message.args == [tenant.pk] and message.kwargs == {"job_id": outcome["job_id"]}
