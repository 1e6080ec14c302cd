"""POST/GET /api/v1/usage/: bulk upsert, whole-batch rejection, tenant isolation."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from health.models import UsageRecord
from tests.factories.accounts import AccountFactory
from tests.factories.health import UsageRecordFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/usage/"


def day(n: int = 1) -> str:
    return (timezone.localdate() - timedelta(days=n)).isoformat()


def test_ingest_by_id_and_external_id(api, tenant):
    a = AccountFactory(tenant=tenant, external_id="crm-1")
    b = AccountFactory(tenant=tenant)
    rows = [
        {"account": b.pk, "date": day(1), "metric": "active_users", "value": 12},
        {"account_external_id": "crm-1", "date": day(1), "metric": "logins", "value": 40.5},
        {"account_external_id": "crm-1", "account": a.pk, "date": day(2), "metric": "feature:export", "value": 3},
    ]
    r = api.post(URL, rows, format="json")
    assert r.status_code == 200, r.content
    assert r.json() == {"accepted": 3}
    stored = {(u.account_id, u.metric, u.date.isoformat()): u.value for u in UsageRecord.all_tenants.all()}
    assert stored == {(b.pk, "active_users", day(1)): 12.0, (a.pk, "logins", day(1)): 40.5,
                      (a.pk, "feature:export", day(2)): 3.0}


def test_resending_a_batch_replaces_and_never_double_counts(api, tenant):
    account = AccountFactory(tenant=tenant)
    rows = [{"account": account.pk, "date": day(n), "metric": "logins", "value": n} for n in range(1, 6)]
    assert api.post(URL, rows, format="json").status_code == 200
    assert api.post(URL, rows, format="json").status_code == 200
    assert UsageRecord.all_tenants.count() == 5
    rows[0]["value"] = 99
    assert api.post(URL, rows, format="json").status_code == 200
    assert UsageRecord.all_tenants.get(account=account, date=date.fromisoformat(day(1))).value == 99.0
    assert sum(u.value for u in UsageRecord.all_tenants.all()) == 99 + 2 + 3 + 4 + 5


def test_a_key_repeated_in_one_batch_keeps_the_last_value(api, tenant):
    account = AccountFactory(tenant=tenant)
    rows = [{"account": account.pk, "date": day(), "metric": "logins", "value": v} for v in (1, 2, 3)]
    assert api.post(URL, rows, format="json").json() == {"accepted": 3}
    assert [u.value for u in UsageRecord.all_tenants.all()] == [3.0]


def test_bad_batch_is_rejected_whole_naming_each_bad_index(api, tenant, other_tenant):
    mine = AccountFactory(tenant=tenant)
    theirs = AccountFactory(tenant=other_tenant, external_id="their-1")
    good = {"account": mine.pk, "date": day(), "metric": "logins", "value": 1}
    rows = [
        good,
        {"account": mine.pk, "date": "2024-13-01", "metric": "logins", "value": 1},  # bad date
        good | {"metric": "Bad Metric!"},
        good | {"value": -1},
        good | {"value": "7"},
        {"account": theirs.pk, "date": day(), "metric": "logins", "value": 1},  # another tenant's account
        {"account_external_id": "their-1", "date": day(), "metric": "logins", "value": 1},
        {"date": day(), "metric": "logins", "value": 1},  # no account
        "not an object",
        good | {"date": (timezone.localdate() + timedelta(days=5)).isoformat()},
        good | {"value": True},
        good | {"value": 10**400},  # too big for a float: a bad row, not a server error
    ]
    r = api.post(URL, rows, format="json")
    assert r.status_code == 400
    body = r.json()
    assert set(body) == {str(i) for i in range(1, len(rows))}
    assert "date" in body["1"][0] and "account" in body["5"][0]
    assert UsageRecord.all_tenants.count() == 0


def test_batch_limits(api, tenant):
    assert api.post(URL, {"account": 1}, format="json").status_code == 400
    assert api.post(URL, [], format="json").json() == {"accepted": 0}
    account = AccountFactory(tenant=tenant)
    too_many = [{"account": account.pk, "date": day(), "metric": "logins", "value": 1}] * 10_001
    r = api.post(URL, too_many, format="json")
    assert r.status_code == 400 and "10000" in str(r.json())
    assert UsageRecord.all_tenants.count() == 0


def test_ten_thousand_rows_in_one_batch(api, tenant, django_assert_max_num_queries):
    accounts = [AccountFactory(tenant=tenant, external_id=f"x{i}") for i in range(50)]
    rows = [
        {"account_external_id": f"x{i % 50}", "date": day(1 + i // 200), "metric": f"feature:f{i // 50 % 4}", "value": i}
        for i in range(10_000)
    ]
    with django_assert_max_num_queries(12):
        r = api.post(URL, rows, format="json")
    assert r.status_code == 200 and r.json() == {"accepted": 10_000}
    assert UsageRecord.all_tenants.count() == 10_000
    assert accounts


def test_permissions(api_readonly, client, tenant):
    account = AccountFactory(tenant=tenant)
    row = [{"account": account.pk, "date": day(), "metric": "logins", "value": 1}]
    assert api_readonly.post(URL, row, format="json").status_code == 403
    assert client.post(URL, row, content_type="application/json").status_code == 401
    assert api_readonly.get(URL).status_code == 200


def test_list_filters_and_isolation(api, other_api, tenant, other_tenant, django_assert_max_num_queries):
    account = AccountFactory(tenant=tenant)
    other = AccountFactory(tenant=tenant)
    for n in range(1, 4):
        UsageRecordFactory(account=account, metric="logins", date=date.fromisoformat(day(n)), value=n)
    UsageRecordFactory(account=account, metric="active_users", date=date.fromisoformat(day(1)), value=5)
    UsageRecordFactory(account=other, metric="logins", date=date.fromisoformat(day(1)), value=7)
    with django_assert_max_num_queries(6):
        body = api.get(f"{URL}?account={account.pk}&metric=logins&start={day(2)}&end={day(1)}").json()
    assert body["results"] == [
        {"account": account.pk, "date": day(2), "metric": "logins", "value": 2.0},
        {"account": account.pk, "date": day(1), "metric": "logins", "value": 1.0},
    ]
    assert api.get(URL).json()["count"] == 5
    assert api.get(f"{URL}?start=nope").status_code == 400
    assert other_api.get(f"{URL}?account={account.pk}").status_code == 404
    assert other_api.get(URL).json()["count"] == 0


def test_deleting_an_account_or_tenant_removes_its_usage(api, tenant, other_tenant):
    from accounts.services import account_delete
    from tenancy.context import tenant_context

    gone, kept = AccountFactory(tenant=tenant), AccountFactory(tenant=tenant)
    theirs = AccountFactory(tenant=other_tenant)
    for account in (gone, kept, theirs):
        UsageRecordFactory(account=account)
    with tenant_context(tenant):
        account_delete(account=gone)
    assert set(UsageRecord.all_tenants.values_list("account_id", flat=True)) == {kept.pk, theirs.pk}
    other_tenant.delete()
    assert list(UsageRecord.all_tenants.values_list("account_id", flat=True)) == [kept.pk]


@pytest.mark.parametrize("metric", ["active_users\n", "active_users\r\n", "active\tusers", "logins\x7f", "feature:x\n",
                                    "\nactive_users", "logins\x1b[0m"])
def test_a_metric_with_a_control_character_is_a_bad_row(api, tenant, metric):
    """A trailing newline used to pass the `$` of the pattern, then collided with the clean name in one
    INSERT (a 500); alone, it was silently stored under the clean name."""
    account = AccountFactory(tenant=tenant)
    for rows in (
        [{"account": account.pk, "date": day(), "metric": metric, "value": 1},
         {"account": account.pk, "date": day(), "metric": "active_users", "value": 2}],
        [{"account": account.pk, "date": day(), "metric": metric, "value": 1}],
    ):
        r = api.post(URL, rows, format="json")
        assert r.status_code == 400, r.content
        assert list(r.json()) == ["0"]
        assert r.json()["0"] == ["metric: must not contain control characters such as a newline or a tab."]
    assert UsageRecord.all_tenants.count() == 0


@pytest.mark.parametrize(("text", "ok"), [
    ("1899-12-31", False), ("0001-01-01", False), ("1900-01-01", True), ("2026-01-01\n", False),
    ("\u0662\u0660\u0662\u0666-01-01", False),
])
def test_usage_dates_start_at_1900(api, tenant, text, ok):
    account = AccountFactory(tenant=tenant)
    r = api.post(URL, [{"account": account.pk, "date": text, "metric": "logins", "value": 1}], format="json")
    if ok:
        assert r.status_code == 200, r.content
        assert UsageRecord.all_tenants.get().date == date(1900, 1, 1)
    else:
        assert r.status_code == 400
        assert r.json() == {"0": ["date: must be a date YYYY-MM-DD from 1900-01-01 to tomorrow."]}
        assert UsageRecord.all_tenants.count() == 0
