"""The set-based recompute: snapshots, account fields, renormalisation, query bounds, subsets."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Activity
from core.registries.health import register_source, unregister_source
from health.models import HealthSnapshot, UsageRecord
from health.services import recompute_health, scorecard_save
from tests.factories.accounts import AccountFactory, ContactFactory
from tests.factories.health import usage_series
from tests.health.conftest import TODAY

pytestmark = pytest.mark.django_db

CARD = {
    "components": [
        {"key": "usage", "label": "Usage", "weight": 60, "measures": [
            {"key": "seats", "label": "Seats", "source": "seat_utilisation",
             "mapping": {"type": "linear", "zero_at": 0, "full_at": 1}},
        ]},
        {"key": "relationship", "label": "Relationship", "weight": 30, "measures": [
            {"key": "champion", "label": "Champion", "source": "champion_present"},
        ]},
        {"key": "support", "label": "Support", "weight": 10, "measures": [
            {"key": "tickets", "label": "Tickets", "source": "not_registered_yet"},
        ]},
    ],
    "bands": [{"key": "green", "label": "Green", "min_score": 80}, {"key": "yellow", "label": "Yellow", "min_score": 60},
              {"key": "red", "label": "Red", "min_score": 0}],
}


def make_account(tenant, active: float, seats: float = 10, champion: bool = True, **kwargs):
    account = AccountFactory(tenant=tenant, **kwargs)
    usage_series(account, "active_users", [active] * 30, end=TODAY - timedelta(days=1))
    usage_series(account, "licensed_seats", [seats] * 30, end=TODAY - timedelta(days=1))
    if champion:
        ContactFactory(account=account, is_champion=True)
    return account


@pytest.fixture
def card(in_tenant, frozen):
    scorecard_save(data=CARD)
    return CARD


def test_recompute_scores_writes_history_and_accounts(tenant, card):
    strong = make_account(tenant, active=9)
    weak = make_account(tenant, active=2, champion=False)
    unused = AccountFactory(tenant=tenant)
    outcome = recompute_health(tenant=tenant)
    assert outcome.accounts == 3
    strong.refresh_from_db(), weak.refresh_from_db(), unused.refresh_from_db()
    # usage 90 (w60) + champion 100 (w30); support has no data: (90*60 + 100*30) / 90 = 93.3
    assert strong.health_score == Decimal("93.3") and strong.health_status == "green"
    # usage 20 (w60) + champion 0 (w30): 1200 / 90 = 13.3
    assert weak.health_score == Decimal("13.3") and weak.health_status == "red"
    assert unused.health_score == Decimal("0.0")  # no usage; a champion of 0 still counts
    snapshot = HealthSnapshot.all_tenants.get(account=strong)
    assert snapshot.components == [
        {"key": "usage", "label": "Usage", "weight": 60, "score": 90.0},
        {"key": "relationship", "label": "Relationship", "weight": 30, "score": 100.0},
        {"key": "support", "label": "Support", "weight": 10, "score": None},
    ]
    assert snapshot.measures == {"usage": {"seats": [0.9, 90.0]}, "relationship": {"champion": [1, 100.0]},
                                 "support": {"tickets": [None, None]}}
    assert snapshot.scorecard_version == 1 and snapshot.status == "green"
    assert strong.health_computed_at == snapshot.computed_at


def test_every_computation_adds_history_and_band_changes_reach_the_timeline(tenant, card):
    account = make_account(tenant, active=9)
    recompute_health(tenant=tenant)
    UsageRecord.all_tenants.filter(account=account, metric="active_users").update(value=1)
    recompute_health(tenant=tenant)
    assert HealthSnapshot.all_tenants.filter(account=account).count() == 2
    change = Activity.all_tenants.get(account=account, source="health")
    assert change.subject == "Health Green → Red" and change.metadata == {"from": "green", "to": "red"}


def test_churned_accounts_are_not_scored(tenant, card):
    churned = make_account(tenant, active=9, status="churned")
    recompute_health(tenant=tenant)
    churned.refresh_from_db()
    assert churned.health_score is None and not HealthSnapshot.all_tenants.exists()


def test_account_subset_and_other_tenants_untouched(tenant, other_tenant, card):
    a, b = make_account(tenant, active=9), make_account(tenant, active=5)
    theirs = make_account(other_tenant, active=9)
    recompute_health(tenant=tenant, account_ids=[a.pk, theirs.pk])
    assert set(HealthSnapshot.all_tenants.values_list("account_id", flat=True)) == {a.pk}
    b.refresh_from_db(), theirs.refresh_from_db()
    assert b.health_score is None and theirs.health_score is None


def test_query_count_does_not_grow_with_accounts(tenant, card):
    make_account(tenant, active=5)
    with CaptureQueriesContext(connection) as few:
        recompute_health(tenant=tenant)
    for i in range(25):
        make_account(tenant, active=i % 10, champion=i % 2 == 0)
    with CaptureQueriesContext(connection) as many:
        recompute_health(tenant=tenant)
    assert len(many.captured_queries) <= len(few.captured_queries) + 3  # + bulk risk CTAs
    assert len(many.captured_queries) <= 25


@pytest.mark.parametrize("failure", ["python", "sql"])
def test_a_failing_source_only_blanks_its_measure(tenant, card, failure):
    def broken(tenant, account_ids, as_of):
        if failure == "sql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT no_such_column FROM accounts_account")
        raise RuntimeError("boom")

    register_source("not_registered_yet", "Broken", broken)
    try:
        account = make_account(tenant, active=9)
        recompute_health(tenant=tenant)
        account.refresh_from_db()
        assert account.health_score == Decimal("93.3")
    finally:
        unregister_source("not_registered_yet")


def test_source_registered_later_is_picked_up(tenant, card):
    register_source("not_registered_yet", "Tickets", lambda tenant, ids, as_of: {}, fill_missing=0,
                    default_mapping={"type": "linear", "zero_at": 5, "full_at": 0})
    try:
        account = make_account(tenant, active=9)
        recompute_health(tenant=tenant)
        account.refresh_from_db()
        assert account.health_score == Decimal("94.0")  # (90*60 + 100*30 + 100*10) / 100
    finally:
        unregister_source("not_registered_yet")


def test_backfill_writes_history_only(tenant, card):
    account = make_account(tenant, active=9)
    past = timezone.now() - timedelta(days=7)
    recompute_health(tenant=tenant, as_of=TODAY - timedelta(days=7), computed_at=past)
    account.refresh_from_db()
    assert account.health_score is None
    assert HealthSnapshot.all_tenants.get(account=account).computed_at == past


def test_no_accounts_is_a_no_op(tenant, card):
    assert recompute_health(tenant=tenant).accounts == 0
