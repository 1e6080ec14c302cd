"""``health.status_changed``: from the recompute (bulk and single account), only for accounts whose band
changed (a first score counts), one publish for the whole run, in the recompute's transaction."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Account
from core.registries.events import record_with
from health.models import UsageRecord
from health.services import recompute_health, scorecard_save
from tenancy.context import tenant_context
from tests.events_support import outbox_payloads, rolled_back, subscribed
from tests.health.test_recompute import CARD, make_account

pytestmark = pytest.mark.django_db


@pytest.fixture
def card(in_tenant, frozen):
    scorecard_save(data=CARD)
    return CARD


def test_band_changes_publish_with_from_to_and_bottom_band(tenant, card, frozen, published):
    strong, weak = make_account(tenant, active=9, name="Strong"), make_account(tenant, active=2, champion=False)
    recompute_health(tenant=tenant)
    first = {p["account_id"]: p for p in published.of("health.status_changed")}
    assert first[strong.pk] == {
        "account_id": strong.pk, "account_name": "Strong", "from_status": None, "to_status": "green", "score": 93.3,
        "is_bottom_band": False, "computed_at": "2026-03-02T12:00:00+00:00",
    }
    assert (first[weak.pk]["to_status"], first[weak.pk]["is_bottom_band"]) == ("red", True)
    assert published.batches == ["health.status_changed"]

    published.clear()
    recompute_health(tenant=tenant)  # nothing moved: nothing published
    assert published.of("health.status_changed") == []

    UsageRecord.all_tenants.filter(account=strong, metric="active_users").update(value=1)
    recompute_health(tenant=tenant, account_ids=[strong.pk])  # the single-account recompute
    [moved] = published.of("health.status_changed")
    assert (moved["account_id"], moved["from_status"], moved["to_status"], moved["is_bottom_band"]) == (
        strong.pk, "green", "red", True)
    assert published.tenants("health.status_changed") == {tenant.pk}


def test_publishing_adds_no_query_per_account(tenant, card, published, monkeypatch):
    """The queries publishing itself makes (payloads, recorders, outbox) are the same for 3 and 33 changes; the
    recompute's own bound is tested with the recompute."""
    from health import events as health_events
    from integrations.recording import record_events

    record_with(record_events)  # the webhooks app's recorder too, as in production
    counts: list[int] = []
    real = health_events.publish_many

    def counted(*args, **kwargs):
        with CaptureQueriesContext(connection) as ctx:
            result = real(*args, **kwargs)
        counts.append(len(ctx.captured_queries))
        return result

    monkeypatch.setattr(health_events, "publish_many", counted)

    def publish_for(count: int, *, active=lambda i: i % 10) -> None:
        for i in range(count):
            make_account(tenant, active=active(i), champion=i % 2 == 0)
        recompute_health(tenant=tenant)

    publish_for(3, active=lambda i: 9)
    published_few = len(published.of("health.status_changed"))
    UsageRecord.all_tenants.filter(metric="active_users").update(value=0)  # the 3 leave green; 30 first scores
    published.clear()
    publish_for(30)
    assert published_few == 3 and len(published.of("health.status_changed")) == 33
    assert len(counts) == 2 and counts[0] == counts[1]
    assert published.batches == ["health.status_changed"]


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_recompute_publishes_nothing(tenant, monkeypatch, frozen):
    with tenant_context(tenant):
        scorecard_save(data=CARD)
    make_account(tenant, active=9)
    Account.all_tenants.update(health_status=None, health_score=None)  # the recompute that creation asked for
    with subscribed("health.status_changed", monkeypatch):
        rolled_back(lambda: recompute_health(tenant=tenant))
        assert outbox_payloads() == []
        recompute_health(tenant=tenant)
        assert [p["to_status"] for p in outbox_payloads()] == ["green"]
