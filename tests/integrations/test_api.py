"""/api/v1/webhooks/: create with validation (SSRF refused with a 400), the secret never returned, the delivery
log, replay of one delivery and of everything since a time, test-send, pause and resume."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from integrations import delivery
from integrations.models import WebhookDelivery, WebhookEndpoint, WebhookEvent
from tests.integrations.conftest import SECRET, make_webhook, publish_now, ticket_created

pytestmark = pytest.mark.django_db


def _body(url, **extra):
    return {"url": url, "events": ["ticket.created"], "secret": SECRET, **extra}


def test_create_get_list_patch_never_return_the_secret(api, receiver):
    created = api.post("/api/v1/webhooks/", _body(receiver.url, description="CRM"), format="json")
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    answers = [created, api.get(f"/api/v1/webhooks/{pk}/"), api.get("/api/v1/webhooks/"),
               api.patch(f"/api/v1/webhooks/{pk}/", {"secret": "whsec_rotated_0123456789"}, format="json")]
    for answer in answers:
        assert answer.status_code in (200, 201)
        assert "secret" not in answer.content.decode() and SECRET not in answer.content.decode()
        assert "whsec_rotated" not in answer.content.decode()
    assert answers[0].json() | {"created_at": None, "updated_at": None} == {
        "id": pk, "url": receiver.url, "events": ["ticket.created"], "active": True, "description": "CRM",
        "max_in_flight": 8, "paused": False, "paused_at": None, "paused_reason": "", "consecutive_failures": 0,
        "created_at": None, "updated_at": None,
    }
    assert WebhookEndpoint.all_tenants.get().secret == "whsec_rotated_0123456789"


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:9/hook", "http://localhost/hook", "http://10.0.0.5/x", "http://169.254.169.254/latest",
    "http://[::1]/x", "ftp://example.com/x", "not a url",
])
def test_unsafe_or_bad_urls_are_refused_with_400_and_nothing_written(api, settings, url):
    settings.WEBHOOK_ALLOW_PRIVATE_HOSTS = False
    answer = api.post("/api/v1/webhooks/", _body(url), format="json")
    assert answer.status_code == 400 and "url" in answer.json(), answer.content
    assert not WebhookEndpoint.all_tenants.exists()


def test_a_private_host_is_allowed_when_the_setting_says_so(api, allow_private):
    assert api.post("/api/v1/webhooks/", _body("http://127.0.0.1:9/hook"), format="json").status_code == 201


@pytest.mark.parametrize(("body", "field"), [
    ({"events": ["ticket.deleted"]}, "events"), ({"events": []}, "events"), ({"secret": "short"}, "secret"),
    ({"secret": None}, "secret"), ({"max_in_flight": 0}, "max_in_flight"),
])
def test_bad_events_and_secrets_are_400(api, allow_private, body, field):
    payload = {k: v for k, v in (_body("http://127.0.0.1:9/h") | body).items() if v is not None}
    answer = api.post("/api/v1/webhooks/", payload, format="json")
    assert answer.status_code == 400 and field in answer.json(), answer.content
    assert not WebhookEndpoint.all_tenants.exists()


def test_a_patch_to_an_unsafe_url_changes_nothing(api, tenant, receiver, settings):
    endpoint = make_webhook(tenant, receiver.url)
    settings.WEBHOOK_ALLOW_PRIVATE_HOSTS = False
    answer = api.patch(f"/api/v1/webhooks/{endpoint.pk}/", {"url": "http://10.1.1.1/x", "events": ["account.created"]},
                       format="json")
    assert answer.status_code == 400 and "url" in answer.json()
    endpoint.refresh_from_db()
    assert endpoint.url == receiver.url and endpoint.events == ["ticket.created"]


def test_a_read_only_key_may_not_see_webhooks(api_readonly):
    assert api_readonly.get("/api/v1/webhooks/").status_code == 403


def test_deliveries_list_with_outcome_and_bounded_queries(api, tenant, receiver, django_assert_max_num_queries):
    endpoint = make_webhook(tenant, receiver.url, max_in_flight=64)
    receiver.respond = lambda n, event_id, path: 200 if n % 2 else 502
    publish_now("ticket.created", tenant, payloads=[ticket_created(i) for i in range(30)])
    delivery.deliver_due()
    with django_assert_max_num_queries(8):
        answer = api.get(f"/api/v1/webhooks/{endpoint.pk}/deliveries/?page_size=100")
    rows = answer.json()["results"]
    assert answer.status_code == 200 and len(rows) == 30
    assert {r["status"] for r in rows} == {"succeeded", "pending"}
    failed = next(r for r in rows if r["status"] == "pending")
    assert failed["status_code"] == 502 and failed["response"] == "try again later" and failed["attempts"] == 1
    assert failed["latency_ms"] is not None and failed["event"] == "ticket.created"
    pending = api.get(f"/api/v1/webhooks/{endpoint.pk}/deliveries/?status=pending").json()
    assert pending["count"] == 15
    assert api.get(f"/api/v1/webhooks/{endpoint.pk}/deliveries/?status=nope").status_code == 400


def test_replay_one_delivery_sends_the_same_event_id_again(api, tenant, receiver):
    endpoint = make_webhook(tenant, receiver.url)
    publish_now("ticket.created", tenant, ticket_created(1))
    delivery.deliver_due()
    row = WebhookDelivery.all_tenants.get()
    answer = api.post(f"/api/v1/webhooks/{endpoint.pk}/deliveries/{row.pk}/replay/")
    assert answer.status_code == 202 and answer.json()["status"] == "pending"
    delivery.deliver_due()
    assert receiver.event_ids == [str(row.event_id)] * 2
    row.refresh_from_db()
    assert row.status == "succeeded" and row.attempts == 2


def test_replay_of_a_delivery_being_sent_is_409(api, tenant, receiver):
    endpoint = make_webhook(tenant, receiver.url)
    publish_now("ticket.created", tenant, ticket_created(1))
    delivery.claim(now=timezone.now(), batch=5)
    row = WebhookDelivery.all_tenants.get()
    assert api.post(f"/api/v1/webhooks/{endpoint.pk}/deliveries/{row.pk}/replay/").status_code == 409


def test_replay_since_a_time_sends_those_events_again_and_only_those(api, tenant, receiver):
    endpoint = make_webhook(tenant, receiver.url)
    publish_now("ticket.created", tenant, ticket_created(1))
    cut = timezone.now()
    publish_now("ticket.created", tenant, payloads=[ticket_created(2), ticket_created(3)])
    delivery.deliver_due()
    old = WebhookEvent.all_tenants.get(data__ticket_id=1)
    # An event recorded for another endpoint (the same type) that this one never had a delivery for.
    other = make_webhook(tenant, receiver.url.replace("/hook", "/other"))
    publish_now("ticket.created", tenant, ticket_created(4))
    WebhookDelivery.all_tenants.filter(endpoint=endpoint, event__data__ticket_id=4).delete()
    delivery.deliver_due()
    receiver.event_ids.clear()

    answer = api.post(f"/api/v1/webhooks/{endpoint.pk}/replay/", {"since": cut.isoformat()}, format="json")
    assert answer.status_code == 202 and answer.json() == {"replayed": 3}
    delivery.deliver_due()
    replayed = WebhookEvent.all_tenants.filter(pk__in=receiver.event_ids).values_list("data__ticket_id", flat=True)
    assert sorted(replayed) == [2, 3, 4] and str(old.pk) not in receiver.event_ids
    assert WebhookDelivery.all_tenants.filter(endpoint=other).count() == 1
    assert api.post(f"/api/v1/webhooks/{endpoint.pk}/replay/", {"since": "yesterday"}, format="json").status_code == 400


def test_replay_since_reaches_events_from_before_the_webhook_subscribed(api, tenant, receiver):
    """Events are recorded once the tenant has any endpoint: a webhook subscribed later is sent them on replay."""
    make_webhook(tenant, receiver.url.replace("/hook", "/accounts"), events=["account.created"])
    cut = timezone.now()
    publish_now("ticket.created", tenant, payloads=[ticket_created(1), ticket_created(2)])
    late = make_webhook(tenant, receiver.url)  # ticket.created: nobody wanted those two when they happened
    assert not WebhookDelivery.all_tenants.exists()

    answer = api.post(f"/api/v1/webhooks/{late.pk}/replay/", {"since": cut.isoformat()}, format="json")
    assert answer.status_code == 202 and answer.json() == {"replayed": 2}
    delivery.deliver_due()
    replayed = WebhookEvent.all_tenants.filter(pk__in=receiver.event_ids).values_list("data__ticket_id", flat=True)
    assert sorted(replayed) == [1, 2]


def test_replay_since_reaches_back_to_the_retention_horizon_only(api, tenant, receiver, settings):
    settings.WEBHOOK_RETENTION_DAYS = 30
    endpoint = make_webhook(tenant, receiver.url)
    start = timezone.now()
    with time_machine.travel(start - timedelta(days=31), tick=False):
        publish_now("ticket.created", tenant, ticket_created(1))
    with time_machine.travel(start - timedelta(days=29), tick=False):
        publish_now("ticket.created", tenant, ticket_created(2))
    delivery.deliver_due()
    receiver.event_ids.clear()

    since = (start - timedelta(days=60)).isoformat()
    answer = api.post(f"/api/v1/webhooks/{endpoint.pk}/replay/", {"since": since}, format="json")
    assert answer.status_code == 202 and answer.json() == {"replayed": 1}
    delivery.deliver_due()
    replayed = WebhookEvent.all_tenants.filter(pk__in=receiver.event_ids).values_list("data__ticket_id", flat=True)
    assert list(replayed) == [2]


def test_test_send_signs_and_resumes_a_paused_webhook(api, tenant, receiver):
    endpoint = make_webhook(tenant, receiver.url)
    publish_now("ticket.created", tenant, ticket_created(1))
    WebhookEndpoint.all_tenants.filter(pk=endpoint.pk).update(paused_at=timezone.now(), consecutive_failures=15,
                                                              paused_reason="Paused after 15 failed deliveries")
    WebhookDelivery.all_tenants.update(next_attempt_at=timezone.now() + timedelta(hours=1))
    answer = api.post(f"/api/v1/webhooks/{endpoint.pk}/test/")
    assert answer.status_code == 200 and answer.json()["ok"] is True and answer.json()["status_code"] == 200
    [request] = receiver.requests
    from integrations.signing import verify

    assert verify(SECRET, request["body"], request["headers"]["X-Signature"])
    assert b'"event":"webhook.test"' in request["body"]
    endpoint.refresh_from_db()
    assert not endpoint.is_paused and endpoint.consecutive_failures == 0
    assert WebhookDelivery.all_tenants.get().next_attempt_at <= timezone.now()  # due again now


def test_a_failed_test_send_keeps_the_pause(api, tenant, receiver):
    receiver.respond = lambda n, event_id, path: 500
    endpoint = make_webhook(tenant, receiver.url)
    api.post(f"/api/v1/webhooks/{endpoint.pk}/pause/")
    answer = api.post(f"/api/v1/webhooks/{endpoint.pk}/test/").json()
    assert answer["ok"] is False and answer["status_code"] == 500
    assert api.get(f"/api/v1/webhooks/{endpoint.pk}/").json()["paused"] is True
    resumed = api.post(f"/api/v1/webhooks/{endpoint.pk}/resume/").json()
    assert resumed["paused"] is False and resumed["paused_reason"] == ""


def test_delete(api, tenant, receiver):
    endpoint = make_webhook(tenant, receiver.url)
    publish_now("ticket.created", tenant, ticket_created(1))
    assert api.delete(f"/api/v1/webhooks/{endpoint.pk}/").status_code == 204
    assert not WebhookEndpoint.all_tenants.exists() and not WebhookDelivery.all_tenants.exists()


def test_another_tenants_webhook_is_404(api, other_tenant, receiver):
    theirs = make_webhook(other_tenant, receiver.url)
    assert api.get(f"/api/v1/webhooks/{theirs.pk}/").status_code == 404
    assert api.get(f"/api/v1/webhooks/{theirs.pk}/deliveries/").status_code == 404
    assert api.post(f"/api/v1/webhooks/{theirs.pk}/test/").status_code == 404
    assert receiver.requests == []


def test_the_schema_documents_the_webhooks():
    from integrations.urls import api_urlpatterns
    from tests.schema_support import clean_schema

    schema = clean_schema(api_urlpatterns)  # no drf-spectacular warning, valid OpenAPI 3
    paths = schema["paths"]
    for path in ("/api/v1/webhooks/", "/api/v1/webhooks/{id}/", "/api/v1/webhooks/{id}/deliveries/",
                 "/api/v1/webhooks/{id}/replay/", "/api/v1/webhooks/{id}/test/",
                 "/api/v1/webhooks/{id}/deliveries/{delivery_id}/replay/"):
        assert path in paths, path
    components = schema["components"]["schemas"]
    assert "secret" not in components["Webhook"]["properties"]  # the answer never has it
    assert "secret" in components["WebhookRequest"]["properties"]  # the request may
