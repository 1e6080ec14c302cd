"""Idempotency-Key on every POST of the API (API.md "Idempotent writes"; core/idempotency.py)."""

from __future__ import annotations

import io
import json
import threading
from datetime import timedelta
from functools import partial

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, connections
from django.test.client import encode_multipart
from django.test.utils import CaptureQueriesContext
from django.urls import resolve, reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st
from rest_framework.test import APIClient

from accounts import services as account_services
from accounts.models import Account
from core import bench_idempotency, idempotency
from core.api.schema import document_idempotency_key
from core.models import IdempotencyRecord, IdempotencyState, Job
from core.tasks import purge_idempotency_records
from tenancy.models import ApiKey, Tenant
from tests.factories import AccountFactory, TenantFactory, TicketFactory, make_api_key
from tests.route_objects import BUILDERS, all_routes, fingerprint
from tests.schema_support import clean_schema
from tests.transactional_support import autocommit, committed  # noqa: F401 (fixture)
from tickets.models import TicketAttachment

ACCOUNTS = "/api/v1/accounts/"


def _client(raw_key: str, **kwargs) -> APIClient:
    c = APIClient(**kwargs)
    c.credentials(HTTP_AUTHORIZATION=f"Bearer {raw_key}")
    return c


def _post(client, url, body, key=None, **extra):
    if key is not None:
        extra["HTTP_IDEMPOTENCY_KEY"] = key
    return client.post(url, data=json.dumps(body), content_type="application/json", **extra)


def _accounts(tenant) -> int:
    return Account.all_tenants.filter(tenant=tenant).count()


# --------------------------------------------------------------------------- the contract


@pytest.mark.django_db
def test_same_key_and_body_answers_the_first_response_again_and_writes_nothing(api, tenant):
    first = _post(api, ACCOUNTS, {"name": "Initech", "arr": "1000"}, key="create-initech")
    assert first.status_code == 201 and "Idempotent-Replayed" not in first
    before = fingerprint(tenant)
    again = _post(api, ACCOUNTS, {"name": "Initech", "arr": "1000"}, key="create-initech")
    assert again.status_code == 201
    assert again.content == first.content  # byte for byte, the same id
    assert again["Content-Type"] == first["Content-Type"]
    assert again["Idempotent-Replayed"] == "true"
    assert fingerprint(tenant) == before  # nothing written, not even the record
    assert _accounts(tenant) == 1


@pytest.mark.django_db
def test_a_client_error_is_kept_and_replayed_too(api, tenant):
    first = _post(api, ACCOUNTS, {"arr": "-1"}, key="bad")
    assert first.status_code == 400
    again = _post(api, ACCOUNTS, {"arr": "-1"}, key="bad")
    assert (again.status_code, again.content, again["Idempotent-Replayed"]) == (400, first.content, "true")


@pytest.mark.django_db
def test_same_key_with_another_body_or_path_is_422_and_writes_nothing(api, tenant):
    assert _post(api, ACCOUNTS, {"name": "Initech"}, key="k1").status_code == 201
    before = fingerprint(tenant)
    other_body = _post(api, ACCOUNTS, {"name": "Initrode"}, key="k1")
    assert other_body.status_code == 422
    assert "different request" in other_body.json()["detail"]
    other_path = _post(api, "/api/v1/contacts/", {"name": "Initech"}, key="k1")
    assert other_path.status_code == 422
    other_query = _post(api, ACCOUNTS + "?x=1", {"name": "Initech"}, key="k1")
    assert other_query.status_code == 422
    assert fingerprint(tenant) == before


@pytest.mark.django_db
def test_without_a_key_every_post_runs(api, tenant):
    for _ in range(2):
        response = _post(api, ACCOUNTS, {"name": "Initech"})
        assert response.status_code == 201 and "Idempotent-Replayed" not in response
    assert _accounts(tenant) == 2
    assert not IdempotencyRecord.all_tenants.exists()


@pytest.mark.django_db
def test_keys_are_kept_per_api_key(api, tenant, other_tenant):
    same_tenant_other_key = _client(make_api_key(tenant, name="second"))
    other_tenants_key = _client(make_api_key(other_tenant))
    for client in (api, same_tenant_other_key, other_tenants_key):
        response = _post(client, ACCOUNTS, {"name": "Initech"}, key="shared-key")
        assert response.status_code == 201 and "Idempotent-Replayed" not in response
    assert _accounts(tenant) == 2 and _accounts(other_tenant) == 1
    # A different body under another API key is not a mismatch either.
    assert _post(_client(make_api_key(tenant, name="third")), ACCOUNTS, {"name": "X"}, key="shared-key").status_code == 201


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("key", "message"),
    [("", "Must not be empty."), ("k" * 256, "At most 255 characters (got 256)."),
     ("tab\there", "Only printable ASCII characters are allowed."),
     ("caf\u00e9", "Only printable ASCII characters are allowed.")],
)
def test_a_bad_key_is_400_naming_the_header_and_nothing_is_written(api, tenant, key, message):
    response = _post(api, ACCOUNTS, {"name": "Initech"}, key=key)
    assert response.status_code == 400
    assert response.json() == {"Idempotency-Key": [message]}
    assert _accounts(tenant) == 0 and not IdempotencyRecord.all_tenants.exists()


@given(st.text(max_size=300))
def test_a_key_is_valid_exactly_when_it_is_1_to_255_printable_ascii_characters(key):
    valid = 1 <= len(key) <= 255 and all(32 <= ord(ch) <= 126 for ch in key)
    assert (idempotency.key_error(key) is None) == valid


@pytest.mark.django_db
def test_a_key_of_255_printable_characters_is_accepted(api, tenant):
    key = ("a b~" * 64)[:255]
    assert _post(api, ACCOUNTS, {"name": "Initech"}, key=key).status_code == 201
    assert _post(api, ACCOUNTS, {"name": "Initech"}, key=key)["Idempotent-Replayed"] == "true"


@pytest.mark.django_db
def test_the_key_is_forgotten_after_24_hours(api, tenant):
    with time_machine.travel("2026-03-02 09:00Z", tick=False) as clock:
        assert _post(api, ACCOUNTS, {"name": "Initech"}, key="daily").status_code == 201
        clock.shift(timedelta(hours=24) - timedelta(seconds=1))
        assert _post(api, ACCOUNTS, {"name": "Initech"}, key="daily")["Idempotent-Replayed"] == "true"
        assert _post(api, ACCOUNTS, {"name": "Other"}, key="daily").status_code == 422
        clock.shift(timedelta(seconds=1))
        fresh = _post(api, ACCOUNTS, {"name": "Other"}, key="daily")  # a new request under the old key
        assert fresh.status_code == 201 and "Idempotent-Replayed" not in fresh
        assert _post(api, ACCOUNTS, {"name": "Other"}, key="daily")["Idempotent-Replayed"] == "true"
    assert _accounts(tenant) == 2


@pytest.mark.django_db
def test_the_beat_job_purges_expired_records_only(api, tenant):
    with time_machine.travel("2026-03-02 09:00Z", tick=False) as clock:
        _post(api, ACCOUNTS, {"name": "Old"}, key="old")
        clock.shift(timedelta(hours=12))
        _post(api, ACCOUNTS, {"name": "New"}, key="new")
        clock.shift(timedelta(hours=12))
        assert purge_idempotency_records() == {"deleted": 1}
        assert list(IdempotencyRecord.all_tenants.values_list("key", flat=True)) == ["new"]


@pytest.mark.django_db
def test_a_job_answer_replays_the_same_job_id(api, tenant):
    AccountFactory(tenant=tenant)
    first = _post(api, "/api/v1/health/recompute/", {}, key="recompute-1")
    assert first.status_code in (200, 202)
    jobs = Job.all_tenants.filter(tenant=tenant).count()
    again = _post(api, "/api/v1/health/recompute/", {}, key="recompute-1")
    assert again.content == first.content and again["Idempotent-Replayed"] == "true"
    assert Job.all_tenants.filter(tenant=tenant).count() == jobs
    if "id" in first.json():
        assert again.json()["id"] == first.json()["id"]


@pytest.mark.django_db
def test_a_multipart_upload_reaches_the_view_intact_and_is_stored_once(api, tenant, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1024  # the hashed body spools to disk, as a large upload would
    ticket = TicketFactory(account=AccountFactory(tenant=tenant))
    url = f"/api/v1/tickets/{ticket.pk}/attachments/"
    payload = b"%PDF-1.4 " + bytes(range(256)) * 40
    boundary = "BoUnDaRy"
    # The same encoded bytes twice (a client retrying sends what it sent).
    body = encode_multipart(boundary, {"file": SimpleUploadedFile("report.pdf", payload, "application/pdf")})
    kwargs = {"content_type": f"multipart/form-data; boundary={boundary}", "HTTP_IDEMPOTENCY_KEY": "upload-1"}
    first = api.generic("POST", url, body, **kwargs)
    assert first.status_code == 201, first.content
    attachment = TicketAttachment.all_tenants.get()
    with attachment.file.open("rb") as stored:
        assert stored.read() == payload
    again = api.generic("POST", url, body, **kwargs)
    assert again.content == first.content and again["Idempotent-Replayed"] == "true"
    assert TicketAttachment.all_tenants.count() == 1


@pytest.mark.django_db
def test_a_browser_session_post_is_not_covered(alice_client, tenant):
    for _ in range(2):
        response = alice_client.post(ACCOUNTS, data=json.dumps({"name": "Initech"}), content_type="application/json",
                                     HTTP_IDEMPOTENCY_KEY="session-key")
        assert response.status_code == 201 and "Idempotent-Replayed" not in response
    assert _accounts(tenant) == 2 and not IdempotencyRecord.all_tenants.exists()


@pytest.mark.django_db
def test_a_bad_api_key_is_401_whatever_the_idempotency_key(tenant):
    response = _post(_client("csp_nope_nope"), ACCOUNTS, {"name": "X"}, key="k")
    assert response.status_code == 401 and not IdempotencyRecord.all_tenants.exists()


@pytest.mark.django_db
def test_a_read_only_keys_403_is_kept(api_readonly, tenant):
    first = _post(api_readonly, ACCOUNTS, {"name": "X"}, key="ro")
    assert first.status_code == 403
    assert _post(api_readonly, ACCOUNTS, {"name": "X"}, key="ro")["Idempotent-Replayed"] == "true"


# --------------------------------------------------------------------------- failures release the key


@pytest.mark.django_db
def test_a_server_error_releases_the_key_so_a_retry_runs(tenant, monkeypatch):
    client = _client(make_api_key(tenant), raise_request_exception=False)
    real = account_services.account_create

    def broken(**kwargs):
        raise RuntimeError("database fell over")

    monkeypatch.setattr(account_services, "account_create", broken)
    assert _post(client, ACCOUNTS, {"name": "Initech"}, key="retry-me").status_code == 500
    assert not IdempotencyRecord.all_tenants.exists()
    monkeypatch.setattr(account_services, "account_create", real)
    retried = _post(client, ACCOUNTS, {"name": "Initech"}, key="retry-me")
    assert retried.status_code == 201 and "Idempotent-Replayed" not in retried
    assert _accounts(tenant) == 1


@pytest.mark.django_db
def test_when_the_answer_cannot_be_recorded_it_still_goes_out(api, tenant, monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(idempotency, "finish", broken)
    response = _post(api, ACCOUNTS, {"name": "Initech"}, key="k")
    assert response.status_code == 201 and _accounts(tenant) == 1
    assert "could not record the Idempotency-Key answer" in caplog.text
    # The claim stays in progress until its lease runs out (a retry meanwhile is 409, never a second write).
    assert _post(api, ACCOUNTS, {"name": "Initech"}, key="k").status_code == 409


@pytest.mark.django_db
def test_a_throttled_request_releases_the_key(api, tenant, monkeypatch):
    from core.api.throttling import PrincipalRateThrottle

    monkeypatch.setattr(PrincipalRateThrottle, "allow_request", lambda self, request, view: False)
    monkeypatch.setattr(PrincipalRateThrottle, "wait", lambda self: 1.0)
    assert _post(api, ACCOUNTS, {"name": "Initech"}, key="throttled").status_code == 429
    assert not IdempotencyRecord.all_tenants.exists()
    monkeypatch.undo()
    assert _post(api, ACCOUNTS, {"name": "Initech"}, key="throttled").status_code == 201


@pytest.mark.django_db
def test_a_claim_left_by_a_dead_process_is_taken_over_after_its_lease(api, tenant, settings):
    settings.IDEMPOTENCY_LEASE_SECONDS = 60
    body = {"name": "Initech"}
    with time_machine.travel("2026-03-02 09:00Z", tick=False) as clock:
        first = _post(api, ACCOUNTS, body, key="orphan")
        # As a process killed inside the endpoint leaves it: claimed, in progress, no answer.
        IdempotencyRecord.all_tenants.update(
            state=IdempotencyState.IN_PROGRESS, response_status=None, response_body=None,
            locked_until=timezone.now() + timedelta(seconds=60),
        )
        blocked = _post(api, ACCOUNTS, body, key="orphan")
        assert blocked.status_code == 409 and blocked["Retry-After"] == "1"
        clock.shift(timedelta(seconds=60))
        taken_over = _post(api, ACCOUNTS, body, key="orphan")
        assert taken_over.status_code == 201 and taken_over.content != first.content  # it ran again
        assert _post(api, ACCOUNTS, body, key="orphan")["Idempotent-Replayed"] == "true"
    assert IdempotencyRecord.all_tenants.get().state == IdempotencyState.DONE


@pytest.mark.django_db
def test_a_superseded_request_cannot_overwrite_or_release_its_successors_claim(tenant):
    make_api_key(tenant, name="k")
    api_key = ApiKey.all_tenants.get(name="k")
    claim = partial(idempotency.claim, tenant_id=tenant.pk, api_key_id=api_key.pk, key="x", fingerprint="f" * 64)
    old = claim()
    assert claim().outcome is idempotency.Outcome.IN_PROGRESS
    IdempotencyRecord.all_tenants.update(locked_until=timezone.now() - timedelta(seconds=1))  # its lease ran out
    new = claim()
    assert new.outcome is idempotency.Outcome.CLAIMED and new.claim_id != old.claim_id
    assert not idempotency.finish(old, idempotency.StoredResponse(status=201, body=b"old"))
    idempotency.release(old)
    assert IdempotencyRecord.all_tenants.get().state == IdempotencyState.IN_PROGRESS
    assert idempotency.finish(new, idempotency.StoredResponse(status=201, body=b"new"))
    assert bytes(IdempotencyRecord.all_tenants.get().response_body) == b"new"
    replay = claim()
    assert replay.outcome is idempotency.Outcome.REPLAY and replay.response.body == b"new"


# --------------------------------------------------------------------------- concurrency, committed


@pytest.mark.django_db(transaction=True)
def test_a_second_request_while_the_first_runs_is_409_then_replays(autocommit, tenant, monkeypatch):  # noqa: F811
    raw = make_api_key(tenant)
    entered, proceed = threading.Event(), threading.Event()
    real = account_services.account_create

    def held(**kwargs):
        entered.set()
        assert proceed.wait(timeout=20), "the test never let the first request go on"
        return real(**kwargs)

    monkeypatch.setattr(account_services, "account_create", held)
    body = {"name": "Initech"}
    outcome = {}

    def first_request():
        try:
            outcome["response"] = _post(_client(raw), ACCOUNTS, body, key="concurrent")
        finally:
            connections.close_all()

    thread = threading.Thread(target=first_request)
    thread.start()
    try:
        assert entered.wait(timeout=20), "the first request never reached the service"
        # The claim is committed before the view runs: another connection sees it, in progress.
        state = committed(lambda: list(IdempotencyRecord.all_tenants.values_list("state", flat=True)))
        assert state == [IdempotencyState.IN_PROGRESS]
        second = _post(_client(raw), ACCOUNTS, body, key="concurrent")
        assert second.status_code == 409 and second["Retry-After"] == "1"
        assert "still being processed" in second.json()["detail"]
        mismatch = _post(_client(raw), ACCOUNTS, {"name": "Other"}, key="concurrent")
        assert mismatch.status_code == 422
    finally:
        proceed.set()
        thread.join(timeout=30)
    assert not thread.is_alive()
    first = outcome["response"]
    assert first.status_code == 201
    replay = _post(_client(raw), ACCOUNTS, body, key="concurrent")
    assert replay.content == first.content and replay["Idempotent-Replayed"] == "true"
    assert committed(lambda: Account.all_tenants.count()) == 1


@pytest.mark.django_db(transaction=True)
def test_racing_requests_with_one_key_run_the_endpoint_once(autocommit, tenant):  # noqa: F811
    raw = make_api_key(tenant)
    barrier = threading.Barrier(4)
    statuses = []

    def race():
        try:
            barrier.wait(timeout=20)
            statuses.append(_post(_client(raw), ACCOUNTS, {"name": "Initech"}, key="race").status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=race) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(statuses) == 4 and 201 in statuses
    assert set(statuses) <= {201, 409}  # the first answer, replayed to those that came after it, or 409
    assert committed(lambda: Account.all_tenants.count()) == 1


@pytest.mark.django_db(transaction=True)
def test_a_server_error_releases_the_committed_claim(autocommit, tenant, monkeypatch):  # noqa: F811
    client = _client(make_api_key(tenant), raise_request_exception=False)
    monkeypatch.setattr(account_services, "account_create", lambda **kwargs: 1 / 0)
    assert _post(client, ACCOUNTS, {"name": "Initech"}, key="k").status_code == 500
    assert committed(lambda: IdempotencyRecord.all_tenants.count()) == 0


# --------------------------------------------------------------------------- cost


@pytest.mark.django_db
def test_the_key_costs_two_queries_and_a_replay_skips_the_endpoint(api, tenant):
    _post(api, ACCOUNTS, {"name": "warm-up"})  # the key's last_used_at is stamped once
    with CaptureQueriesContext(connection) as plain:
        assert _post(api, ACCOUNTS, {"name": "A"}).status_code == 201
    with CaptureQueriesContext(connection) as keyed:
        assert _post(api, ACCOUNTS, {"name": "B"}, key="cost").status_code == 201
    assert len(keyed) <= len(plain) + 2  # the claim (one INSERT ... ON CONFLICT) and the stored answer
    with CaptureQueriesContext(connection) as replay:
        assert _post(api, ACCOUNTS, {"name": "B"}, key="cost")["Idempotent-Replayed"] == "true"
    assert len(replay) <= 3  # the API key, the claim attempt, the stored record


# --------------------------------------------------------------------------- every POST of the API


def _post_routes():
    """Every route under /api/v1/ whose view answers POST (viewset actions, @action and APIViews alike)."""
    found = []
    for route in all_routes():
        if not route.pattern.replace("^", "").startswith("api/v1/") or route.key in ("api-schema",):
            continue
        found.append(route)
    return found


def _answers_post(func) -> bool:
    actions = getattr(func, "actions", None)
    if actions is not None:
        return "post" in actions
    cls = getattr(func, "cls", None) or getattr(func, "view_class", None)
    return cls is not None and hasattr(cls, "post") and "post" in cls.http_method_names


def _url(route, tenant):
    kwargs = {}
    if route.kwargs:
        kwargs = dict(BUILDERS[route.key](tenant))
        kwargs.pop("_data", None)
    return reverse(route.key, kwargs=kwargs)


@pytest.mark.django_db
def test_every_post_of_the_api_honours_the_idempotency_key(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    checked = []
    for route in _post_routes():
        owner = TenantFactory()  # each route's objects in a tenant of their own (builders may clash)
        AccountFactory(tenant=owner)
        url = _url(route, owner)
        if not _answers_post(resolve(url).func):
            continue
        client, key = _client(make_api_key(owner)), f"walk-{route.key}"
        first = _post(client, url, {"walk": 1}, key=key)
        assert first.status_code < 500 and first.status_code != 429, (url, first.status_code)
        before = fingerprint(owner)
        again = _post(client, url, {"walk": 1}, key=key)
        assert again.get("Idempotent-Replayed") == "true", url
        assert (again.status_code, again.content) == (first.status_code, first.content), url
        assert fingerprint(owner) == before, f"{url}: a replay wrote something"
        assert _post(client, url, {"walk": 2}, key=key).status_code == 422, url
        checked.append(route.pattern)
    schema_posts = [p for p, ops in clean_schema_of_all()["paths"].items() if "post" in ops]
    assert len(checked) == len(schema_posts) >= 30, (checked, schema_posts)


def clean_schema_of_all():
    from config.urls import api_v1

    return clean_schema(api_v1)


@pytest.mark.django_db
def test_the_schema_documents_the_header_and_its_answers_on_every_post():
    schema = clean_schema_of_all()
    posts = {path: ops["post"] for path, ops in schema["paths"].items() if "post" in ops}
    assert len(posts) >= 30
    for path, operation in posts.items():
        header = [p for p in operation["parameters"] if p["in"] == "header" and p["name"] == "Idempotency-Key"]
        assert len(header) == 1 and header[0]["required"] is False, path
        assert {"409", "422"} <= set(operation["responses"]), path
    for path, ops in schema["paths"].items():
        for method, operation in ops.items():
            if method != "post" and isinstance(operation, dict):
                assert not any(p.get("name") == "Idempotency-Key" for p in operation.get("parameters", [])), path
    # The hook is idempotent itself: running it twice adds nothing.
    twice = document_idempotency_key(json.loads(json.dumps(schema)), None, None, True)
    assert twice == schema


@pytest.mark.django_db
def test_the_bench_runs_at_a_tiny_size_and_cleans_up():
    out = io.StringIO()
    result = bench_idempotency.run({"requests": 3, "usage_rows": 30}, out)
    assert result["new_key"]["queries"] <= result["no_key"]["queries"] + 2
    assert result["replay"]["queries"] <= 3 and result["usage_batch"]["replay"]["queries"] <= 3
    assert not Tenant.objects.filter(slug=bench_idempotency.SLUG).exists()
