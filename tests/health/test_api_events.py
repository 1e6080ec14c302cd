"""Product events in (Segment-compatible): mappings, distinct-messageId counting, identify/group, and the
usage push refused for an event-owned metric."""

from __future__ import annotations

import base64
import threading
from datetime import UTC, datetime

import pytest
import time_machine
from django.db import connection

from accounts.models import Contact
from health.models import EventMapping, ProductUser, SeenEvent, UsageRecord
from tests.conftest import make_api_key
from tests.factories.accounts import AccountFactory, ContactFactory
from tests.transactional_support import autocommit, committed  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def mapped(tenant):
    EventMapping.all_tenants.create(tenant=tenant, event="Report Exported", metric="feature:export")
    EventMapping.all_tenants.create(tenant=tenant, event="Dashboard Viewed", metric="feature:dashboards")
    return AccountFactory(tenant=tenant, external_id="acct-1")


def track(message_id: str, event: str = "Report Exported", group: str = "acct-1", stamp: str = "2026-03-01T10:00:00Z"):
    return {"type": "track", "event": event, "messageId": message_id, "userId": "u1", "timestamp": stamp,
            "context": {"groupId": group}, "properties": {"format": "csv"}}


def usage() -> dict:
    return {(u.account_id, u.metric, u.date.isoformat()): u.value for u in UsageRecord.all_tenants.all()}


def test_a_tracked_event_counts_once_per_distinct_message_id_across_retries_and_batches(api, mapped, frozen):
    r = api.post("/api/v1/events/track", track("m1"), format="json")
    assert r.status_code == 200, r.content
    assert r.json() == {"accepted": 1, "results": [{"index": 0, "type": "track", "status": "counted"}]}
    assert api.post("/api/v1/events/track", track("m1"), format="json").json()["results"][0]["status"] == "duplicate"
    batch = {"batch": [track("m1"), track("m2"), track("m2"), track("m3", event="Dashboard Viewed"),
                       track("m4", stamp="2026-02-28T23:00:00Z"), track("m5", event="Unmapped"),
                       track("m6", group="nobody"), {"type": "track", "event": "Report Exported", "messageId": "m7"}]}
    r = api.post("/api/v1/events/batch", batch, format="json")
    assert r.status_code == 200, r.content
    assert [item["status"] for item in r.json()["results"]] == [
        "duplicate", "counted", "duplicate", "counted", "counted", "unmapped", "unknown_account", "no_account"]
    assert usage() == {(mapped.pk, "feature:export", "2026-03-01"): 2.0,  # m1, m2
                       (mapped.pk, "feature:dashboards", "2026-03-01"): 1.0,
                       (mapped.pk, "feature:export", "2026-02-28"): 1.0}
    # the same batch again changes nothing
    assert api.post("/api/v1/events/batch", batch, format="json").status_code == 200
    assert usage()[(mapped.pk, "feature:export", "2026-03-01")] == 2.0
    assert SeenEvent.all_tenants.count() == 4


def test_malformed_messages_reject_the_call_naming_each_index(api, mapped, frozen):
    batch = {"batch": [track("ok"), {"type": "track", "event": "Report Exported"}, "nope",
                       track("x") | {"timestamp": "yesterday"}, {"type": "alias"}, {"type": "group"},
                       track("y") | {"context": "acct-1"}]}
    r = api.post("/api/v1/events/batch", batch, format="json")
    assert r.status_code == 400
    assert set(r.json()) == {"1", "2", "3", "4", "5", "6"}
    assert "messageId" in r.json()["1"][0]
    assert SeenEvent.all_tenants.count() == 0 and UsageRecord.all_tenants.count() == 0
    assert api.post("/api/v1/events/batch", [track("a")], format="json").status_code == 400
    assert api.post("/api/v1/events/track", {"type": "identify", "userId": "u"}, format="json").status_code == 400


def test_usage_rows_for_an_event_owned_metric_are_a_400_naming_it(api, mapped):
    rows = [{"account": mapped.pk, "date": "2026-03-01", "metric": "logins", "value": 1},
            {"account": mapped.pk, "date": "2026-03-01", "metric": "feature:export", "value": 5}]
    r = api.post("/api/v1/usage/", rows, format="json")
    assert r.status_code == 400
    assert list(r.json()) == ["1"] and "feature:export" in r.json()["1"][0] and "product events" in r.json()["1"][0]
    assert UsageRecord.all_tenants.count() == 0


def test_mappings_api(api, tenant, other_api, api_readonly):
    account = AccountFactory(tenant=tenant)
    UsageRecord.all_tenants.create(tenant=tenant, account=account, metric="logins", date="2026-03-01", value=3)
    r = api.post("/api/v1/event-mappings/", {"event": "Signed In", "metric": "feature:signin"}, format="json")
    assert r.status_code == 201, r.content
    pk = r.json()["id"]
    assert api.get("/api/v1/event-mappings/").json()["results"][0]["event"] == "Signed In"
    assert api.post("/api/v1/event-mappings/", {"event": "Signed In", "metric": "feature:x"},
                    format="json").status_code == 400
    pushed = api.post("/api/v1/event-mappings/", {"event": "Logged In", "metric": "logins"}, format="json")
    assert pushed.status_code == 400 and "metric" in pushed.json()
    assert api.post("/api/v1/event-mappings/", {"event": "X", "metric": "Bad Metric"}, format="json").status_code == 400
    assert api_readonly.post("/api/v1/event-mappings/", {"event": "Y", "metric": "feature:y"},
                             format="json").status_code == 403
    assert other_api.get(f"/api/v1/event-mappings/{pk}/").status_code == 404
    assert other_api.delete(f"/api/v1/event-mappings/{pk}/").status_code == 404
    assert other_api.get("/api/v1/event-mappings/").json()["count"] == 0
    assert api.delete(f"/api/v1/event-mappings/{pk}/").status_code == 204
    assert EventMapping.all_tenants.count() == 0


def test_another_tenants_account_is_unknown_and_never_written(api, other_api, mapped, other_tenant, frozen):
    AccountFactory(tenant=other_tenant, external_id="theirs")
    EventMapping.all_tenants.create(tenant=other_tenant, event="Report Exported", metric="feature:export")
    r = api.post("/api/v1/events/track", track("m1", group="theirs"), format="json")
    assert r.json()["results"][0]["status"] == "unknown_account"
    r = other_api.post("/api/v1/events/track", track("m1", group="acct-1"), format="json")
    assert r.json()["results"][0]["status"] == "unknown_account"
    assert UsageRecord.all_tenants.count() == 0 and SeenEvent.all_tenants.count() == 0


def test_identify_and_group_upsert_contacts_by_user_id_and_email(api, tenant, mapped):
    other = AccountFactory(tenant=tenant, external_id="acct-2")
    known = ContactFactory(account=mapped, email="kim@customer.example", name="Kim")
    r = api.post("/api/v1/events/identify", {"userId": "u-kim", "traits": {"email": "KIM@customer.example"},
                                             "context": {"groupId": "acct-1"}}, format="json")
    assert r.json()["results"][0]["status"] == "matched"
    assert ProductUser.all_tenants.get(user_id="u-kim").contact_id == known.pk
    r = api.post("/api/v1/events/identify", {"userId": 42, "traits": {"email": "lee@customer.example", "name": "Lee"},
                                             "context": {"groupId": "acct-1"}}, format="json")
    assert r.json()["results"][0]["status"] == "contact_created"
    lee = Contact.all_tenants.get(email="lee@customer.example")
    assert (lee.name, lee.account_id) == ("Lee", mapped.pk)
    r = api.post("/api/v1/events/group", {"userId": "42", "groupId": "acct-2", "traits": {"name": "Other"}},
                 format="json")
    assert r.json()["results"][0]["status"] == "linked"
    assert Contact.all_tenants.get(pk=lee.pk).account_id == other.pk
    statuses = [item["status"] for item in api.post("/api/v1/events/batch", {"batch": [
        {"type": "group", "groupId": "acct-1"},
        {"type": "group", "groupId": "missing", "userId": "u9"},
        {"type": "identify", "userId": "u-new"},
    ]}, format="json").json()["results"]]
    assert statuses == ["matched", "unknown_account", "no_account"]
    assert Contact.all_tenants.count() == 2


def test_segment_basic_auth_write_key(client, tenant, mapped, frozen):
    key = make_api_key(tenant)
    header = "Basic " + base64.b64encode(f"{key}:".encode()).decode()
    r = client.post("/api/v1/events/track", track("m1"), content_type="application/json", HTTP_AUTHORIZATION=header)
    assert r.status_code == 200, r.content
    bad = "Basic " + base64.b64encode(b"csp_nope_nope:").decode()
    assert client.post("/api/v1/events/track", track("m2"), content_type="application/json",
                       HTTP_AUTHORIZATION=bad).status_code == 401
    assert client.post("/api/v1/events/track", track("m2"), content_type="application/json",
                       HTTP_AUTHORIZATION="Basic %%%").status_code == 401


def test_queries_per_track_batch_do_not_grow_with_its_size(api, mapped, frozen, django_assert_max_num_queries):
    for size in (5, 2000):
        batch = {"batch": [track(f"{size}-{i}") for i in range(size)]}
        with django_assert_max_num_queries(12):
            assert api.post("/api/v1/events/batch", batch, format="json").status_code == 200
    assert usage()[(mapped.pk, "feature:export", "2026-03-01")] == 2005.0


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("autocommit")
def test_concurrent_batches_with_the_same_message_ids_count_each_once(tenant):
    from rest_framework.test import APIClient

    account = AccountFactory(tenant=tenant, external_id="acct-1")
    EventMapping.all_tenants.create(tenant=tenant, event="Report Exported", metric="feature:export")
    key = make_api_key(tenant)
    batches = [{"batch": [track(f"m{i}", stamp="2026-03-01T10:00:00Z") for i in range(start, start + 300)]}
               for start in (0, 100, 200, 0)]
    barrier = threading.Barrier(len(batches))
    codes = []

    def send(body):
        c = APIClient()
        c.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
        barrier.wait()
        try:
            codes.append(c.post("/api/v1/events/batch", body, format="json").status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(body,)) for body in batches]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert codes == [200] * 4
    assert committed(lambda: UsageRecord.all_tenants.get(account_id=account.pk, metric="feature:export").value) == 500
    assert committed(lambda: SeenEvent.all_tenants.count()) == 500


# --- the settings page ------------------------------------------------------------------------------


def test_event_mappings_page(alice_client, tenant, member, django_assert_max_num_queries):
    EventMapping.all_tenants.create(tenant=tenant, event="Report Exported", metric="feature:export")
    with django_assert_max_num_queries(12):
        r = alice_client.get("/health/events/")
    assert r.status_code == 200 and "Report Exported" in r.content.decode()
    r = alice_client.post("/health/events/", {"event": "Search Run", "metric": "feature:search"})
    assert r.status_code == 302
    r = alice_client.post("/health/events/", {"event": "Search Run", "metric": "feature:other"})
    assert r.status_code == 400 and "mapped already" in r.content.decode()
    assert alice_client.post("/health/events/", {"event": "X", "metric": "Not A Metric"}).status_code == 400
    mapping = EventMapping.all_tenants.get(event="Search Run")
    assert alice_client.post(f"/health/events/{mapping.pk}/delete/").status_code == 302
    assert set(EventMapping.all_tenants.values_list("event", flat=True)) == {"Report Exported"}
    from django.test import Client

    csm = Client()
    csm.force_login(member())
    assert csm.get("/health/events/").status_code == 403
