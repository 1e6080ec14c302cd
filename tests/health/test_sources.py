"""Each built-in source on known data, and the one-scan-per-recompute rule for usage sources."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Account
from core.registries.health import (
    fetch,
    get_source,
    recompute_scope,
    register_source,
    to_series,
    unregister_source,
)
from health import builtin_sources as bs
from tests.factories.accounts import AccountFactory, ActivityFactory, ContactFactory
from tests.factories.health import SentimentFactory, usage_series
from tests.health.conftest import TODAY

pytestmark = pytest.mark.django_db


@pytest.fixture
def usage_account(tenant, frozen):
    account = AccountFactory(tenant=tenant)
    end = TODAY - timedelta(days=1)
    usage_series(account, "active_users", [10] * 30 + [8] * 30, end=end)
    usage_series(account, "licensed_seats", [8] * 30 + [10] * 30, end=end)
    usage_series(account, "logins", [4] * 60, end=end)
    usage_series(account, "api_calls", [100] * 30 + [50] * 30, end=end)
    usage_series(account, "feature:search", [1] * 60, end=end)
    usage_series(account, "feature:export", [0] * 60, end=end)
    usage_series(account, "feature:legacy", [3] * 10, end=end - timedelta(days=40))
    usage_series(account, "active_users", [999], end=TODAY)  # today is incomplete: outside every window
    return account


def values(key, tenant, ids=None, window=None):
    source = get_source(key)
    index = Account.all_tenants.filter(tenant=tenant).order_by("pk").values_list("pk", flat=True)
    return fetch(source, tenant, ids, TODAY, window, pd.Index(list(index)))


def test_usage_sources_on_known_data(tenant, usage_account):
    a = usage_account.pk
    assert values("seat_utilisation", tenant)[a] == pytest.approx(0.8)
    assert values("usage_trend", tenant)[a] == pytest.approx(-20.0)
    assert values("logins_per_user", tenant)[a] == pytest.approx(120 / 8 * 7 / 30)
    assert values("feature_adoption", tenant)[a] == 1
    assert values("feature_adoption", tenant, window=60)[a] == 2
    assert values("api_calls_trend", tenant)[a] == pytest.approx(-50.0)
    assert values("seat_growth", tenant)[a] == pytest.approx(25.0)
    assert values("seat_utilisation", tenant, window=7)[a] == pytest.approx(0.8)


def test_usage_sources_without_data_are_null(tenant, frozen):
    quiet = AccountFactory(tenant=tenant)
    for key in ("seat_utilisation", "usage_trend", "logins_per_user", "feature_adoption", "api_calls_trend"):
        assert values(key, tenant).isna()[quiet.pk]


def test_usage_stopping_reads_as_a_full_drop(tenant, frozen):
    account = AccountFactory(tenant=tenant)
    usage_series(account, "active_users", [10] * 30, end=TODAY - timedelta(days=31))
    assert values("usage_trend", tenant)[account.pk] == -100.0


def test_all_usage_sources_share_one_scan(tenant, usage_account):
    with recompute_scope(usage_windows=(7, 30, 60)), CaptureQueriesContext(connection) as queries:
        for key in ("seat_utilisation", "usage_trend", "logins_per_user", "feature_adoption", "api_calls_trend"):
            values(key, tenant)
        values("usage_trend", tenant, window=60)
        values("seat_utilisation", tenant, window=7)
    assert sum("health_usage" in q["sql"] for q in queries.captured_queries) == 1


def test_engagement_sources(tenant, frozen):
    touched = AccountFactory(tenant=tenant, created_at=datetime(2025, 1, 1, tzinfo=UTC))
    untouched = AccountFactory(tenant=tenant)
    Account.all_tenants.filter(pk=untouched.pk).update(created_at=datetime(2025, 11, 22, 9, tzinfo=UTC))
    at = lambda days: datetime(2026, 3, 2, 9, tzinfo=UTC) - timedelta(days=days)  # noqa: E731
    ActivityFactory(account=touched, kind="note", occurred_at=at(10))
    ActivityFactory(account=touched, kind="system", occurred_at=at(1))
    for days, kind in ((5, "meeting"), (20, "meeting"), (80, "qbr"), (100, "meeting")):
        ActivityFactory(account=touched, kind=kind, occurred_at=at(days))
    since = values("days_since_last_touch", tenant)
    assert since[touched.pk] == 5 and since[untouched.pk] == 100
    meetings = values("meetings", tenant)
    assert meetings[touched.pk] == 3 and meetings[untouched.pk] == 0
    assert values("meetings", tenant, window=30)[touched.pk] == 2


def test_relationship_sources(tenant, frozen):
    good = AccountFactory(tenant=tenant)
    lost = AccountFactory(tenant=tenant)
    bare = AccountFactory(tenant=tenant)
    ContactFactory(account=good, is_champion=True)
    ContactFactory(account=good, is_executive_sponsor=True)
    ContactFactory(account=lost, is_champion=True, left_company=True)
    ContactFactory(account=lost, is_executive_sponsor=True, left_company=True)
    champion, sponsor = values("champion_present", tenant), values("executive_sponsor", tenant)
    assert (champion[good.pk], champion[lost.pk], champion[bare.pk]) == (1, 0, 0)
    assert (sponsor[good.pk], sponsor[lost.pk], sponsor[bare.pk]) == (1, 0, 0)


def test_sentiment_is_the_latest_unexpired(tenant, frozen):
    account, other = AccountFactory(tenant=tenant), AccountFactory(tenant=tenant)
    now = datetime(2026, 3, 2, 12, tzinfo=UTC)
    SentimentFactory(account=account, score=2, created_at=now - timedelta(days=3), expires_at=now + timedelta(days=30))
    SentimentFactory(account=account, score=5, created_at=now - timedelta(days=1), expires_at=now - timedelta(hours=1))
    SentimentFactory(account=other, score=1, created_at=now - timedelta(days=100), expires_at=now - timedelta(days=10))
    sentiment = values("csm_sentiment", tenant)
    assert sentiment[account.pk] == 2 and sentiment.isna()[other.pk]


def test_time_to_value(tenant, frozen):
    account, other = AccountFactory(tenant=tenant, time_to_value_days=45), AccountFactory(tenant=tenant)
    ttv = values("time_to_value_days", tenant)
    assert ttv[account.pk] == 45 and ttv.isna()[other.pk]


def test_sources_respect_account_ids_and_tenant(tenant, other_tenant, frozen):
    mine, also = AccountFactory(tenant=tenant), AccountFactory(tenant=tenant)
    theirs = AccountFactory(tenant=other_tenant)
    for account in (mine, also, theirs):
        usage_series(account, "active_users", [5] * 10, end=TODAY - timedelta(days=1))
        usage_series(account, "licensed_seats", [10] * 10, end=TODAY - timedelta(days=1))
    raw = bs.seat_utilisation(tenant, [mine.pk], TODAY)
    assert list(raw.index) == [mine.pk]
    assert theirs.pk not in bs.seat_utilisation(tenant, None, TODAY).index


def test_registry_normalises_results_and_fill_missing(tenant, frozen):
    account = AccountFactory(tenant=tenant)
    register_source("test_dict_source", "Dict", lambda tenant, ids, as_of: {account.pk: "3"}, fill_missing=0)
    try:
        source = get_source("test_dict_source")
        assert not source.takes_window
        out = fetch(source, tenant, None, TODAY, None, pd.Index([account.pk, 999]))
        assert out.tolist() == [3.0, 0.0]
    finally:
        unregister_source("test_dict_source")
    frame = pd.DataFrame({"value": [1.5], "detail": ["x"]}, index=[4])
    assert to_series(frame).to_dict() == {4: 1.5}
    with pytest.raises(ValueError):
        register_source("Bad Key", "x", lambda *a: None)
