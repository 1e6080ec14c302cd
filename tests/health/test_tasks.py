"""Celery tasks, debounced account recomputes, the events that request them, and a real worker."""

from __future__ import annotations

import os
import signal
import time
from datetime import timedelta
from unittest import mock

import pytest
from django.core.cache import cache
from django.utils import timezone

from accounts.services import activity_record, contact_update
from health import services, tasks
from health.models import HealthSnapshot
from tenancy.context import tenant_context
from tests.celery_support import (
    BROKER_KEYS,
    TEST_REDIS_URL,
    UNREACHABLE_REDIS,
    celery_app_using,
    redis_client,
    require_test_redis,
    start_worker,
    stop_worker,
    wait_for_worker,
)
from tests.factories.accounts import AccountFactory, ContactFactory
from tests.factories.health import usage_series

pytestmark = pytest.mark.django_db


def test_recompute_all_tenants_fans_out_one_task_per_tenant(tenant, other_tenant):
    mine, theirs = AccountFactory(tenant=tenant), AccountFactory(tenant=other_tenant)
    with mock.patch.object(tasks.recompute_tenant, "apply_async", wraps=tasks.recompute_tenant.apply_async) as fan:
        assert tasks.recompute_all_tenants.delay().get() >= 2
    assert {call.kwargs["args"][0] for call in fan.call_args_list} >= {tenant.pk, other_tenant.pk}
    assert HealthSnapshot.all_tenants.filter(account__in=[mine, theirs]).count() == 2


def test_tasks_are_thin_and_safe_on_missing_tenants():
    assert tasks.recompute_tenant.delay(987654).get() == {"accounts": 0}
    assert tasks.recompute_accounts.delay(987654, [1]).get() == {"accounts": 0}
    for task in (tasks.recompute_tenant, tasks.recompute_accounts, tasks.recompute_all_tenants):
        assert task.acks_late is True and task.name.startswith("health.")


def test_eager_mode_recomputes_small_changes_inline_and_leaves_big_ones(tenant, django_capture_on_commit_callbacks):
    account = AccountFactory(tenant=tenant)
    with django_capture_on_commit_callbacks(execute=True), tenant_context(tenant):
        services.request_account_recompute([account.pk])
    assert HealthSnapshot.all_tenants.filter(account=account).count() == 1
    with mock.patch.object(tasks.recompute_accounts, "apply") as apply:
        with django_capture_on_commit_callbacks(execute=True), tenant_context(tenant):
            services.request_account_recompute(range(1000, 1000 + services.scheduling.EAGER_INLINE_LIMIT + 1))
    apply.assert_not_called()


def test_with_a_broker_requests_are_debounced(tenant, django_capture_on_commit_callbacks):
    from config.celery import app

    cache.clear()
    app.conf.task_always_eager = False
    try:
        with mock.patch.object(tasks.recompute_accounts, "apply_async") as queued, \
                mock.patch.object(tasks.recompute_tenant, "apply_async") as queued_tenant, \
                mock.patch.object(services.scheduling, "TENANT_WIDE_THRESHOLD", 100):
            for ids in ([1, 2], [2, 3], [1, 2, 3]):
                with django_capture_on_commit_callbacks(execute=True), tenant_context(tenant):
                    services.request_account_recompute(ids)
            many = range(10_000, 10_150)
            for _ in range(2):
                with django_capture_on_commit_callbacks(execute=True), tenant_context(tenant):
                    services.request_account_recompute(many)
    finally:
        app.conf.task_always_eager = True
        cache.clear()
    assert [c.kwargs["args"] for c in queued.call_args_list] == [[tenant.pk, [1, 2]], [tenant.pk, [3]]]
    assert all(c.kwargs["countdown"] == services.scheduling.DEBOUNCE_SECONDS for c in queued.call_args_list)
    queued_tenant.assert_called_once()
    assert queued_tenant.call_args.kwargs["args"] == [tenant.pk]
    assert queued_tenant.call_args.kwargs["countdown"] == services.scheduling.DEBOUNCE_SECONDS


def test_events_that_move_health_request_a_recompute(tenant, django_capture_on_commit_callbacks):
    with mock.patch("health.services.scheduling._enqueue_accounts") as enqueue, tenant_context(tenant):
        with django_capture_on_commit_callbacks(execute=True):
            account = AccountFactory(tenant=tenant)
            champion = ContactFactory(account=account, is_champion=True)
        enqueue.reset_mock()
        with django_capture_on_commit_callbacks(execute=True):
            contact_update(contact=champion, left_company=True)
        with django_capture_on_commit_callbacks(execute=True):
            activity_record(account=account, kind="call", subject="Check-in")
        with django_capture_on_commit_callbacks(execute=True):
            activity_record(account=account, kind="system", subject="Task done: x")  # not a touch
    assert [c.args[1] for c in enqueue.call_args_list] == [[account.pk], [account.pk]]


def test_billing_and_status_changes_request_a_recompute(tenant, django_capture_on_commit_callbacks):
    from accounts.services import account_update

    with mock.patch("health.services.scheduling._enqueue_accounts") as enqueue, tenant_context(tenant):
        account = AccountFactory(tenant=tenant)
        with django_capture_on_commit_callbacks(execute=True):
            account_update(account=account, payment_overdue=True)
        with django_capture_on_commit_callbacks(execute=True):
            account_update(account=account, name="Renamed Co")  # does not move health
    assert [c.args[1] for c in enqueue.call_args_list] == [[account.pk]]


def test_usage_ingest_requests_a_recompute_of_the_accounts_it_touched(api, tenant, django_capture_on_commit_callbacks):
    account = AccountFactory(tenant=tenant)
    day = (timezone.localdate() - timedelta(days=1)).isoformat()
    with django_capture_on_commit_callbacks(execute=True):
        api.post("/api/v1/usage/", [{"account": account.pk, "date": day, "metric": "active_users", "value": 3}],
                 format="json")
    assert HealthSnapshot.all_tenants.filter(account=account).count() == 1


# --- A real worker against Redis --------------------------------------------------------------
# The broker is TEST_REDIS_URL (CELERY_TEST_REDIS_URL, else this checkout's REDIS_URL database), never a
# database another process may share; the app's configuration and pools are restored afterwards.


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_real_worker_recomputes_end_to_end(tenant, tmp_path):
    require_test_redis()
    redis_client().delete(*BROKER_KEYS)  # a stale queue from an earlier run
    account = AccountFactory(tenant=tenant)
    usage_series(account, "active_users", [8] * 30)
    usage_series(account, "licensed_seats", [10] * 30)
    log = tmp_path / "worker.log"
    worker = start_worker(log, hostname="health-test")
    try:
        with celery_app_using(TEST_REDIS_URL) as app:
            deadline = time.monotonic() + 60
            wait_for_worker(app, worker, "health-test", log, deadline)
            result = tasks.recompute_tenant.delay(tenant.pk)
            while not HealthSnapshot.all_tenants.filter(account=account).exists():
                assert worker.poll() is None and time.monotonic() < deadline, log.read_text()
                time.sleep(0.2)
        assert result.id
        account.refresh_from_db()
        assert account.health_score is not None and account.health_status is not None
    finally:
        stop_worker(worker)
        redis_client().delete(*BROKER_KEYS)


def test_the_broker_test_helper_restores_the_app():
    from config.celery import app

    before = (app.conf.broker_url, app.conf.task_always_eager, app._pool, app.amqp._producer_pool)
    with celery_app_using(UNREACHABLE_REDIS):
        assert app.conf.broker_url == UNREACHABLE_REDIS and app.conf.task_always_eager is False
    assert (app.conf.broker_url, app.conf.task_always_eager, app._pool, app.amqp._producer_pool) == before
    app.conf.task_always_eager = False  # nothing left behind shadows a later change
    try:
        assert app.conf.task_always_eager is False
    finally:
        app.conf.task_always_eager = True


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_a_recompute_survives_kill_9_of_the_whole_worker(api, tenant, tmp_path):
    """POST /health/recompute/ -> the worker starts the job -> kill -9 of its process group mid-task -> a new
    worker with a short visibility timeout gets the message back from `unacked` -> the job ends succeeded."""
    import psycopg2
    from django.db import connection

    from core import outbox
    from core.models import Job

    require_test_redis()
    broker = redis_client()
    broker.delete(*BROKER_KEYS)
    account = AccountFactory(tenant=tenant)
    usage_series(account, "active_users", [8] * 30)
    first, second = tmp_path / "first.log", tmp_path / "second.log"
    worker = start_worker(first, hostname="doomed", pool="prefork")
    replacement = None
    try:
        with celery_app_using(TEST_REDIS_URL) as app:
            outbox.reset_breaker()
            deadline = time.monotonic() + 120
            wait_for_worker(app, worker, "doomed", first, deadline)
            # Another session holds the tenant's recompute lock (recompute_health takes it): the task stops mid-run.
            holder = psycopg2.connect(**connection.get_connection_params())
            try:
                with holder.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_lock(%s, %s)", [0x4EA1, tenant.pk])
                response = api.post("/api/v1/health/recompute/")
                assert response.status_code == 202, response.content
                job_id = response.json()["job_id"]
                while Job.all_tenants.get(pk=job_id).status != "running":
                    assert worker.poll() is None and time.monotonic() < deadline, first.read_text()
                    time.sleep(0.1)
                os.killpg(worker.pid, signal.SIGKILL)
                worker.wait()
            finally:
                holder.close()
            assert broker.hlen("unacked") == 1  # kombu's default would keep it there for an hour
            replacement = start_worker(second, hostname="rescuer", pool="prefork", CELERY_VISIBILITY_TIMEOUT="3")
            while (job := Job.all_tenants.get(pk=job_id)).status not in ("succeeded", "failed"):
                assert replacement.poll() is None and time.monotonic() < deadline, second.read_text()
                time.sleep(0.3)
        assert job.status == "succeeded" and job.attempts == 2 and job.finished_at is not None, job.error
        assert api.get(f"/api/v1/jobs/{job_id}/").json()["status"] == "succeeded"
        assert HealthSnapshot.all_tenants.filter(account=account).count() == 1
    finally:
        stop_worker(worker)
        if replacement is not None:
            stop_worker(replacement)
        broker.delete(*BROKER_KEYS)
