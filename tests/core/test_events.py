"""The domain-event seam (core.registries.events): subscribers are Celery task names, publishing enqueues
each through the transactional outbox in the caller's transaction (only if it commits), payloads are
checked for JSON at publish time."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import transaction

from core.models import OutboxMessage
from core.registries import events
from tests.celery_support import UNREACHABLE_REDIS, celery_app_using


@pytest.fixture
def isolated(monkeypatch):
    monkeypatch.setattr(events, "_SUBSCRIBERS", {})
    monkeypatch.setattr(events, "_RECORDERS", [])


def test_subscribe_is_once_per_task_and_names_are_checked(isolated):
    events.subscribe("thing.happened", "a.task")
    events.subscribe("thing.happened", "a.task")
    events.subscribe("thing.happened", "b.task")
    assert events.subscribers("thing.happened") == ["a.task", "b.task"]
    events.unsubscribe("thing.happened", "a.task")
    assert events.subscribers("thing.happened") == ["b.task"]
    for bad in ("Thing.Happened", "thing", "thing..x", ""):
        with pytest.raises(ValueError):
            events.subscribe(bad, "a.task")


def test_the_builtin_subscriptions():
    assert "advocacy.on_ticket_resolved" in events.subscribers("ticket.resolved")
    assert "advocacy.on_went_live" in events.subscribers("onboarding.went_live")


def test_a_payload_that_json_cannot_carry_fails_the_publisher(isolated):
    events.subscribe("thing.happened", "core.drain_outbox")
    with pytest.raises(TypeError):
        events.publish("thing.happened", tenant_id=1, payload={"on": date(2026, 1, 1)})


def test_nobody_subscribed_enqueues_nothing(isolated, db):
    assert events.publish("thing.happened", tenant_id=1, payload={}) == 0


@pytest.mark.django_db(transaction=True)
def test_publish_writes_an_outbox_row_per_subscriber_with_the_change_only(isolated):
    events.subscribe("thing.happened", "core.drain_outbox")
    with celery_app_using(UNREACHABLE_REDIS):
        with pytest.raises(RuntimeError), transaction.atomic():
            events.publish("thing.happened", tenant_id=7, payload={"x": 1})
            raise RuntimeError("the change fails")
        assert not OutboxMessage.objects.exists()
        with transaction.atomic():
            assert events.publish("thing.happened", tenant_id=7, payload={"x": 1}) == 1
    row = OutboxMessage.objects.get()
    assert (row.task_name, row.kwargs, row.tenant_id, row.sent_at) == (
        "core.drain_outbox", {"tenant_id": 7, "payload": {"x": 1}}, 7, None)


@pytest.mark.django_db(transaction=True)
def test_publish_many_is_one_insert_per_subscriber_and_recorders_run_in_the_transaction(
        isolated, django_assert_num_queries):
    seen: list[tuple] = []

    def recorder(event, tenant_id, payloads):
        seen.append((event, tenant_id, payloads, transaction.get_connection().in_atomic_block))

    events.record_with(recorder)
    events.record_with(recorder)  # once
    events.subscribe("thing.happened", "core.drain_outbox")
    with celery_app_using(UNREACHABLE_REDIS):
        with transaction.atomic():
            with django_assert_num_queries(1):
                assert events.publish_many("thing.happened", tenant_id=7, payloads=[{"x": 1}, {"x": 2}]) == 1
            assert events.publish_many("thing.happened", tenant_id=7, payloads=[]) == 1  # nothing to send
        assert seen == [("thing.happened", 7, [{"x": 1}, {"x": 2}], True)]
        assert sorted(r.kwargs["payload"]["x"] for r in OutboxMessage.objects.all()) == [1, 2]
        events.stop_recording_with(recorder)
        with transaction.atomic():
            events.publish("thing.happened", tenant_id=7, payload={"x": 3})
    assert len(seen) == 1


def test_publish_checks_the_event_name(isolated):
    with pytest.raises(ValueError):
        events.publish("Bad", tenant_id=1, payload={})
