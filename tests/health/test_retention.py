"""Health snapshot retention: the pure policy, the set-based prune, its settings and its tasks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings as django_settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import given
from hypothesis import strategies as st

from health import services, tasks
from health.models import HealthSnapshot
from health.retention import (
    RetentionInvalid,
    RetentionPolicy,
    Snapshot,
    local_day,
    policy_from_settings,
    snapshots_to_keep,
    validate_retention,
)
from tests.factories.accounts import AccountFactory

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
DEFAULT = RetentionPolicy()
ZONES = [UTC, ZoneInfo("America/New_York"), ZoneInfo("Asia/Kolkata"), ZoneInfo("Pacific/Auckland")]


# --- The pure policy ----------------------------------------------------------------------------


def _snap(id_: int, account: int, days_ago: float) -> Snapshot:
    return Snapshot(id_, account, NOW - timedelta(days=days_ago))


def test_keeps_recent_thins_the_middle_and_drops_the_old():
    snapshots = [
        _snap(1, 1, 0.5), _snap(2, 1, 0.6),              # recent: both
        _snap(3, 1, 20.4), _snap(4, 1, 20.3),             # 20 days ago, same day: the later one (4)
        _snap(5, 1, 401), _snap(6, 1, 500),               # beyond the daily window: gone
    ]
    assert snapshots_to_keep(snapshots, policy=DEFAULT, now=NOW, tz=UTC) == {1, 2, 4}


def test_an_old_newest_snapshot_is_kept():
    snapshots = [_snap(1, 7, 450), _snap(2, 7, 450.1), _snap(3, 7, 600)]
    assert snapshots_to_keep(snapshots, policy=DEFAULT, now=NOW, tz=UTC) == {1}


def test_a_day_whose_last_snapshot_is_recent_keeps_no_older_one():
    # The keep-all window starts at 12:00 14 days ago: 11:00 and 06:00 that day are not the day's last.
    start = DEFAULT.keep_all_since(NOW)
    snapshots = [Snapshot(1, 1, start + timedelta(hours=1)), Snapshot(2, 1, start - timedelta(hours=1)),
                 Snapshot(3, 1, start - timedelta(hours=6))]
    assert snapshots_to_keep(snapshots, policy=DEFAULT, now=NOW, tz=UTC) == {1}


def test_days_are_the_tenants_local_days():
    tz = ZoneInfo("America/New_York")  # UTC-5 in February
    day = datetime(2026, 2, 1, 3, 0, tzinfo=UTC)  # 22:00 on Jan 31 in New York
    snapshots = [Snapshot(1, 1, day), Snapshot(2, 1, day + timedelta(hours=2)), Snapshot(3, 1, NOW)]
    assert snapshots_to_keep(snapshots, policy=DEFAULT, now=NOW, tz=UTC) == {2, 3}
    assert snapshots_to_keep(snapshots, policy=DEFAULT, now=NOW, tz=tz) == {1, 2, 3}


snapshot_lists = st.lists(
    st.tuples(st.integers(1, 4), st.integers(0, 60 * 24 * 40)),  # account, minutes ago (up to 40 days)
    max_size=120,
).map(lambda rows: [Snapshot(i, account, NOW - timedelta(minutes=ago)) for i, (account, ago) in enumerate(rows)])
policies = st.integers(1, 20).flatmap(lambda keep_all: st.builds(
    RetentionPolicy, keep_all_days=st.just(keep_all), keep_daily_days=st.integers(keep_all, 30)))


@given(snapshots=snapshot_lists, policy=policies, tz=st.sampled_from(ZONES))
def test_policy_properties(snapshots, policy, tz):
    kept = snapshots_to_keep(snapshots, policy=policy, now=NOW, tz=tz)
    by_id = {s.id: s for s in snapshots}
    # The newest snapshot of each account is never dropped.
    newest = {}
    for s in snapshots:
        if s.account_id not in newest or (s.computed_at, s.id) > (newest[s.account_id].computed_at, newest[s.account_id].id):
            newest[s.account_id] = s
    assert {s.id for s in newest.values()} <= kept
    # Idempotent: applying the policy to what it kept drops nothing more.
    assert snapshots_to_keep([by_id[i] for i in kept], policy=policy, now=NOW, tz=tz) == kept
    # Everything recent stays; nothing beyond the daily window stays but an account's newest.
    keep_all_since, keep_daily_since = policy.keep_all_since(NOW), policy.keep_daily_since(NOW)
    assert {s.id for s in snapshots if s.computed_at >= keep_all_since} <= kept
    assert {i for i in kept if by_id[i].computed_at < keep_daily_since} <= {s.id for s in newest.values()}
    # In between: at most one per account per day, and every day that had one still has one.
    thinned = [by_id[i] for i in kept if keep_daily_since <= by_id[i].computed_at < keep_all_since]
    days = [(s.account_id, local_day(s.computed_at, tz)) for s in thinned]
    assert len(days) == len(set(days))
    kept_days = {(by_id[i].account_id, local_day(by_id[i].computed_at, tz)) for i in kept}
    assert {(s.account_id, local_day(s.computed_at, tz)) for s in snapshots if s.computed_at >= keep_daily_since} \
        <= kept_days


@pytest.mark.parametrize(("data", "field"), [
    ({"keep_all_days": 0}, "keep_all_days"),
    ({"keep_daily_days": 3651}, "keep_daily_days"),
    ({"keep_all_days": 1.5}, "keep_all_days"),
    ({"keep_all_days": "14"}, "keep_all_days"),
    ({"keep_all_days": True}, "keep_all_days"),
    ({"keep_all_days": 30, "keep_daily_days": 20}, "keep_all_days"),
    ({"keep_daily_days": 10}, "keep_all_days"),  # shorter than the current keep-all window (14)
    ({"forever": 1}, "retention"),
])
def test_validation_refuses_bad_days(data, field):
    with pytest.raises(RetentionInvalid) as exc:
        validate_retention(data, DEFAULT)
    assert field in exc.value.errors


def test_validation_and_stored_settings():
    assert validate_retention({"keep_all_days": 7.0}, DEFAULT) == RetentionPolicy(7, 400)
    assert validate_retention({"keep_all_days": 3650, "keep_daily_days": 3650}, DEFAULT) == RetentionPolicy(3650, 3650)
    assert policy_from_settings(None) == DEFAULT
    assert policy_from_settings({"health_retention": {"keep_daily_days": 30}}) == RetentionPolicy(14, 30)
    assert policy_from_settings({"health_retention": {"keep_daily_days": -1}}) == DEFAULT
    assert policy_from_settings({"health_retention": "junk"}) == DEFAULT


# --- The prune service ----------------------------------------------------------------------------

def _history(account, days: int, hours=(0, 6, 12, 18)) -> None:
    """Snapshots at the given UTC hours of each of the last ``days`` days (none in the future)."""
    HealthSnapshot.all_tenants.bulk_create([
        HealthSnapshot(tenant_id=account.tenant_id, account=account, computed_at=moment, score=50, status="yellow")
        for day in range(days)
        for hour in hours
        if (moment := datetime(2026, 3, 2, hour, tzinfo=UTC) - timedelta(days=day)) <= NOW
    ])


def _pure_kept(tenant) -> set[int]:
    rows = HealthSnapshot.all_tenants.filter(tenant=tenant).values_list("id", "account_id", "computed_at")
    return snapshots_to_keep([Snapshot(*row) for row in rows], policy=policy_from_settings(tenant.settings),
                             now=NOW, tz=tenant.tzinfo)


def _ids(tenant) -> set[int]:
    return set(HealthSnapshot.all_tenants.filter(tenant=tenant).values_list("id", flat=True))


@pytest.fixture
def frozen_now():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.mark.django_db
def test_prune_keeps_recent_thins_the_middle_and_drops_old(tenant, other_tenant, frozen_now):
    active, dormant = AccountFactory(tenant=tenant), AccountFactory(tenant=tenant)
    theirs = AccountFactory(tenant=other_tenant)
    _history(active, 420)
    HealthSnapshot.all_tenants.bulk_create([  # scored last 450 and 500 days ago
        HealthSnapshot(tenant=tenant, account=dormant, computed_at=NOW - timedelta(days=d)) for d in (450, 500)
    ])
    _history(theirs, 420)
    theirs_before, before = _ids(other_tenant), _ids(tenant)
    expected = _pure_kept(tenant)

    deleted = services.prune_snapshots(tenant=tenant)

    assert _ids(tenant) == expected and deleted == len(before) - len(expected)
    mine = HealthSnapshot.all_tenants.filter(account=active)
    keep_all_since = NOW - timedelta(days=14)
    recent = mine.filter(computed_at__gte=keep_all_since)
    assert recent.count() == 14 * 4 + 1  # every one since 12:00 14 days ago (the 12:00 and 18:00 future ones never existed)
    middle = mine.filter(computed_at__lt=keep_all_since, computed_at__gte=NOW - timedelta(days=400))
    assert middle.count() == 400 - 14  # one a day (18:00) from 15 to 400 days ago; none on the straddling day
    assert {s.computed_at.hour for s in middle} == {18}
    assert not mine.filter(computed_at__lt=NOW - timedelta(days=400)).exists()
    assert list(HealthSnapshot.all_tenants.filter(account=dormant).values_list("computed_at", flat=True)) == [
        NOW - timedelta(days=450)]
    assert _ids(other_tenant) == theirs_before
    assert services.prune_snapshots(tenant=tenant) == 0
    assert _ids(tenant) == expected


@pytest.mark.django_db
def test_prune_follows_the_tenants_settings_and_local_days(tenant, frozen_now):
    tenant.timezone = "America/New_York"
    tenant.settings = {"health_retention": {"keep_all_days": 2, "keep_daily_days": 10}}
    tenant.save()
    account = AccountFactory(tenant=tenant)
    _history(account, 15, hours=(1, 3, 5, 13, 23))
    expected = _pure_kept(tenant)
    services.prune_snapshots(tenant=tenant)
    assert _ids(tenant) == expected
    kept = HealthSnapshot.all_tenants.filter(tenant=tenant, computed_at__lt=NOW - timedelta(days=2))
    # New York's day starts at 05:00 UTC: 03:00 UTC (22:00 there) is the last of each local day, not 23:00.
    assert {s.computed_at.hour for s in kept} == {3}


@pytest.mark.django_db
def test_prune_query_count_does_not_grow_with_rows(tenant, frozen_now):
    counts = []
    for days in (3, 60):
        account = AccountFactory(tenant=tenant)
        _history(account, days)
        with CaptureQueriesContext(connection) as queries:
            services.prune_snapshots(tenant=tenant)
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 3


@pytest.mark.django_db
def test_api_health_still_reads_the_latest_after_pruning(api, tenant, frozen_now):
    account = AccountFactory(tenant=tenant)
    HealthSnapshot.all_tenants.bulk_create([
        HealthSnapshot(tenant=tenant, account=account, computed_at=NOW - timedelta(days=d), score=d, status="red")
        for d in (900, 800, 700)
    ])
    assert services.prune_snapshots(tenant=tenant) == 2
    body = api.get(f"/api/v1/accounts/{account.pk}/health/").json()
    assert body["computed_at"].startswith((NOW - timedelta(days=700)).date().isoformat())


# --- Tasks and schedule -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_prune_tasks_run_per_tenant(tenant, other_tenant):
    mine, theirs = AccountFactory(tenant=tenant), AccountFactory(tenant=other_tenant)
    for account in (mine, theirs):
        HealthSnapshot.all_tenants.bulk_create([
            HealthSnapshot(tenant=account.tenant, account=account, computed_at=datetime.now(UTC) - timedelta(days=d))
            for d in (500, 600)
        ])
    assert tasks.prune_snapshots.delay(tenant.pk).get() == {"deleted": 1}
    assert HealthSnapshot.all_tenants.filter(account=theirs).count() == 2
    with mock.patch.object(tasks.prune_snapshots, "apply_async", wraps=tasks.prune_snapshots.apply_async) as fan:
        assert tasks.prune_snapshots_all_tenants.delay().get() >= 2
    assert {call.kwargs["args"][0] for call in fan.call_args_list} >= {tenant.pk, other_tenant.pk}
    assert HealthSnapshot.all_tenants.filter(account__in=[mine, theirs]).count() == 2
    assert tasks.prune_snapshots.delay(987654).get() == {"deleted": 0}
    for task in (tasks.prune_snapshots, tasks.prune_snapshots_all_tenants):
        assert task.acks_late is True
    entry = django_settings.CELERY_BEAT_SCHEDULE["health-prune-snapshots"]
    assert entry["task"] == tasks.prune_snapshots_all_tenants.name == "health.prune_snapshots_all_tenants"


# --- Settings: API and page -----------------------------------------------------------------------


@pytest.mark.django_db
def test_retention_in_risk_rules_api(api, tenant, other_api):
    assert api.get("/api/v1/health/risk-rules/").json()["retention"] == {"keep_all_days": 14, "keep_daily_days": 400}
    r = api.put("/api/v1/health/risk-rules/", {"retention": {"keep_daily_days": 90}}, format="json")
    assert r.status_code == 200, r.content
    assert r.json()["retention"] == {"keep_all_days": 14, "keep_daily_days": 90}
    for bad in ({"keep_all_days": 0}, {"keep_all_days": 2.5}, {"keep_daily_days": 4000},
                {"keep_all_days": 91}, "90", {"keep_all_days": 7, "nope": 1}):
        r = api.put("/api/v1/health/risk-rules/", {"retention": bad, "competitors": ["Glean"]}, format="json")
        assert r.status_code == 400, bad
    tenant.refresh_from_db()
    assert tenant.settings["health_retention"] == {"keep_all_days": 14, "keep_daily_days": 90}
    assert "competitors" not in tenant.settings
    assert other_api.get("/api/v1/health/risk-rules/").json()["retention"]["keep_daily_days"] == 400


@pytest.mark.django_db
def test_retention_on_the_settings_page(alice_client, tenant):
    page = alice_client.get("/health/scorecard/").content.decode()
    assert 'name="keep_all_days"' in page and 'value="400"' in page
    data = {"form": "risks", "competitors": "", "keep_all_days": "7", "keep_daily_days": "200"}
    assert alice_client.post("/health/scorecard/", data).status_code == 302
    tenant.refresh_from_db()
    assert tenant.settings["health_retention"] == {"keep_all_days": 7, "keep_daily_days": 200}
    for bad in ({"keep_all_days": "300"}, {"keep_daily_days": "x"}, {"keep_daily_days": ""}, {"keep_all_days": "1.5"}):
        r = alice_client.post("/health/scorecard/", data | bad)
        assert r.status_code == 400, bad
    tenant.refresh_from_db()
    assert tenant.settings["health_retention"] == {"keep_all_days": 7, "keep_daily_days": 200}
