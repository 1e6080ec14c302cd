"""The transactional outbox: follow-up work is written with the change, survives a broker outage, and is
sent exactly once when the broker is back. Also: the whole app keeps working with broker and cache down."""

from __future__ import annotations

import http.cookiejar
import json
import urllib.error
import urllib.request
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone
from kombu.utils.json import loads as kombu_loads

from core import outbox
from core.models import Job, OutboxMessage
from tenancy.models import Role
from tests.celery_support import (
    QUEUES,
    TEST_REDIS_URL,
    UNREACHABLE_REDIS,
    celery_app_using,
    redis_client,
    require_test_redis,
)
from tests.factories import MembershipFactory, UserFactory, make_api_key
from tests.factories.accounts import AccountFactory, ContactFactory


@pytest.fixture(autouse=True)
def _fresh_breaker():
    outbox.reset_breaker()
    yield
    outbox.reset_breaker()


def _queued_task_ids(client) -> list[str]:
    return [kombu_loads(raw)["headers"]["id"] for queue in QUEUES for raw in client.lrange(queue, 0, -1)]


@pytest.mark.django_db(transaction=True)
def test_a_row_is_written_with_the_change_and_only_with_it():
    with celery_app_using(UNREACHABLE_REDIS):
        with pytest.raises(RuntimeError), transaction.atomic():
            outbox.enqueue("tickets.send_email", args=[1, ["a@example.com"], "s", "b"])
            raise RuntimeError("the change fails")
        assert not OutboxMessage.objects.exists()
        with transaction.atomic():
            outbox.enqueue("tickets.send_email", args=[1, ["a@example.com"], "s", "b"], tenant_id=1)
    row = OutboxMessage.objects.get()
    # The broker refused on commit: the row waits with the error, not the request.
    assert row.sent_at is None and row.attempts == 1 and "OperationalError" in row.last_error
    assert row.available_at > row.created_at


@pytest.mark.django_db(transaction=True)
def test_after_a_failure_requests_stop_trying_the_broker_for_a_while():
    with celery_app_using(UNREACHABLE_REDIS):
        for _ in range(3):
            with transaction.atomic():
                outbox.enqueue("tickets.send_email", args=[1, ["a@example.com"], "s", "b"])
    assert sorted(OutboxMessage.objects.values_list("attempts", flat=True)) == [0, 0, 1]


@pytest.mark.django_db(transaction=True)
def test_the_drain_sends_each_message_once_when_the_broker_is_back():
    require_test_redis()
    broker = redis_client()
    broker.delete(*QUEUES)
    with celery_app_using(UNREACHABLE_REDIS):
        for n in range(3):
            with transaction.atomic():
                outbox.enqueue("tickets.send_email", args=[1, ["a@example.com"], f"s{n}", "b"])
        assert outbox.drain() == {"sent": 0, "pending": 3, "deleted": 0}  # still down: kept, not lost
    OutboxMessage.objects.update(available_at=timezone.now())  # past the backoff
    try:
        with celery_app_using(TEST_REDIS_URL):
            assert outbox.drain()["sent"] == 3
            assert outbox.drain() == {"sent": 0, "pending": 0, "deleted": 0}
        ids = [str(pk) for pk in OutboxMessage.objects.order_by("created_at").values_list("pk", flat=True)]
        assert _queued_task_ids(broker) [::-1] == ids  # oldest first (LPUSH), each once, the row id as task id
    finally:
        broker.delete(*QUEUES)


@pytest.mark.django_db(transaction=True)
def test_the_drain_keeps_a_countdown_and_forgets_old_sent_rows():
    require_test_redis()
    broker = redis_client()
    broker.delete(*QUEUES)
    with celery_app_using(UNREACHABLE_REDIS), transaction.atomic():
        outbox.enqueue("health.recompute_accounts", args=[1, [2]], countdown=600)
    OutboxMessage.objects.update(available_at=timezone.now())
    old = OutboxMessage.objects.create(task_name="x", available_at=timezone.now(), sent_at=timezone.now() - timedelta(days=8))
    try:
        with celery_app_using(TEST_REDIS_URL):
            assert outbox.drain() == {"sent": 1, "pending": 0, "deleted": 1}
        message = kombu_loads(broker.lindex("health", 0))
        assert message["headers"]["eta"] is not None  # still runs about 10 minutes after the change
        assert not OutboxMessage.objects.filter(pk=old.pk).exists()
    finally:
        broker.delete(*QUEUES)


@pytest.mark.django_db
def test_without_a_broker_the_task_runs_inline_on_commit_and_no_row_is_kept(django_capture_on_commit_callbacks, tenant):
    from django.core import mail

    with django_capture_on_commit_callbacks(execute=True):
        assert outbox.enqueue("tickets.send_email", args=[tenant.pk, ["a@example.com"], "Hello", "Body"]) is None
    assert [m.subject for m in mail.outbox] == ["Hello"] and not OutboxMessage.objects.exists()


def test_beat_drains_the_outbox(settings):
    from core import tasks

    entry = settings.CELERY_BEAT_SCHEDULE["core-drain-outbox"]
    assert entry["task"] == tasks.drain_outbox.name == "core.drain_outbox" and entry["schedule"] <= 60


# --- The whole app with the broker and the cache down -------------------------------------------------


class _Http:
    """A plain HTTP client against the live server, with a 5 s timeout (nothing may hang on the broker)."""

    def __init__(self, base: str, *, bearer: str | None = None):
        self.base, self.bearer = base, bearer
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar),
                                                  _NoRedirect())

    def request(self, method: str, path: str, *, json_body=None, form=None, headers=None):
        headers = dict(headers or {})
        data = None
        if self.bearer:
            headers["Authorization"] = f"Bearer {self.bearer}"
        if json_body is not None:
            data, headers["Content-Type"] = json.dumps(json_body).encode(), "application/json"
        if form is not None:
            from urllib.parse import urlencode

            data, headers["Content-Type"] = urlencode(form).encode(), "application/x-www-form-urlencoded"
        req = urllib.request.Request(self.base + path, data=data, method=method, headers=headers)
        try:
            with self.opener.open(req, timeout=5) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@pytest.mark.django_db(transaction=True)
def test_with_broker_and_cache_down_reads_and_writes_work_and_the_follow_up_waits(live_server, tenant, settings):
    require_test_redis()
    from django.contrib.sessions.backends.db import SessionStore
    from django.middleware.csrf import _get_new_csrf_string

    from tickets.models import Ticket

    account = AccountFactory(tenant=tenant, name="Initech")
    contact = ContactFactory(account=account, email="peter@initech.example")
    user = UserFactory(email="agent@acme.example")
    MembershipFactory(tenant=tenant, user=user, role=Role.ADMIN)
    key = make_api_key(tenant)

    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": UNREACHABLE_REDIS}}
    settings.CELERY_BROKER_URL = UNREACHABLE_REDIS
    api = _Http(live_server.url, bearer=key)
    with celery_app_using(UNREACHABLE_REDIS):
        status, body = api.request("GET", "/api/v1/accounts/")
        assert status == 200, body
        status, body = api.request("POST", "/api/v1/tickets/", json_body={
            "account": account.pk, "contact": contact.pk, "subject": "Printer on fire", "severity": 2})
        assert status == 201, body
        status, body = api.request("POST", "/api/v1/usage/", json_body=[
            {"account": account.pk, "date": (timezone.localdate() - timedelta(days=1)).isoformat(),
             "metric": "active_users", "value": 4}])
        assert status == 200, body
        status, body = api.request("POST", "/api/v1/health/recompute/")
        assert status == 202, body
        job_id = json.loads(body)["job_id"]
        status, body = api.request("GET", f"/api/v1/jobs/{job_id}/")
        assert status == 200 and json.loads(body)["status"] == "queued"

        # A page write, signed in, with the CSRF token a browser would send.
        session = SessionStore()
        session["_auth_user_id"], session["_auth_user_backend"] = str(user.pk), "django.contrib.auth.backends.ModelBackend"
        session["_auth_user_hash"] = user.get_session_auth_hash()
        session.create()
        token = _get_new_csrf_string()
        page = _Http(live_server.url)
        cookies = f"sessionid={session.session_key}; csrftoken={token}"
        status, body = page.request("POST", "/tickets/new/", headers={"Cookie": cookies}, form={
            "csrfmiddlewaretoken": token, "account": account.pk, "contact_email": contact.email,
            "subject": "Cannot sign in", "severity": 3, "channel": "portal", "support_level": 1, "acknowledge": "on"})
        assert status == 302, body[:2000]

        status, body = api.request("GET", "/healthz")
        assert status == 200 and json.loads(body)["status"] == "degraded"

    assert Ticket.all_tenants.filter(tenant=tenant).count() == 2  # one each, no duplicate from a retry
    pending = list(OutboxMessage.objects.filter(sent_at__isnull=True).order_by("created_at"))
    names = [row.task_name for row in pending]
    assert "tickets.send_email" in names  # the acknowledgement of the page-created ticket
    assert "health.recompute_accounts" in names and "health.recompute_tenant" in names
    assert Job.all_tenants.get(pk=job_id).status == "queued"

    # The broker is back: the drain sends every kept message, exactly once.
    broker = redis_client()
    broker.delete(*QUEUES)
    OutboxMessage.objects.update(available_at=timezone.now())
    outbox.reset_breaker()
    try:
        with celery_app_using(TEST_REDIS_URL):
            assert outbox.drain()["sent"] == len(pending)
            assert outbox.drain()["sent"] == 0
        assert sorted(_queued_task_ids(broker)) == sorted(str(row.pk) for row in pending)
    finally:
        broker.delete(*QUEUES)
