"""The fast usage path: COPY first, upsert through a temporary table when rows exist, orjson parsing,
and a number of queries per batch that does not grow with the batch."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from core.api.parsers import MAX_DEPTH, body_shape, nesting_depth
from health import services
from health.models import UsageRecord
from tests.factories.accounts import AccountFactory
from tests.transactional_support import Boom, autocommit, boom, committed  # noqa: F401 (fixture)

URL = "/api/v1/usage/"


def day(n: int = 1) -> str:
    return (timezone.localdate() - timedelta(days=n)).isoformat()


def stored() -> dict:
    return {(u.account_id, u.metric, u.date.isoformat()): u.value for u in UsageRecord.all_tenants.all()}


def batch(accounts, size: int, first_day: int = 1) -> list[dict]:
    return [{"account": accounts[i % len(accounts)].pk, "date": day(first_day + i // (len(accounts) * 4)),
             "metric": ("logins", "active_users", "api_calls", "searches")[i // len(accounts) % 4], "value": i}
            for i in range(size)]


@pytest.mark.django_db
def test_queries_per_batch_do_not_grow_with_its_size(api, tenant):
    accounts = [AccountFactory(tenant=tenant, external_id=f"q{i}") for i in range(25)]
    assert api.post(URL, batch(accounts, 1, 300), format="json").status_code == 200  # per-key first-use work
    counts = {}
    for label, size, first_day in (("small", 10, 1), ("large", 5000, 5), ("small resend", 10, 1),
                                   ("large resend", 5000, 5)):
        with CaptureQueriesContext(connection) as queries:
            r = api.post(URL, batch(accounts, size, first_day), format="json")
        assert r.status_code == 200, r.content
        counts[label] = len(queries)
    assert counts["small"] == counts["large"] <= 12, counts
    assert counts["small resend"] == counts["large resend"] <= 16, counts  # + the temporary table's statements


@pytest.mark.django_db
def test_a_batch_of_new_and_existing_rows_inserts_and_replaces(api, tenant):
    a, b = AccountFactory(tenant=tenant), AccountFactory(tenant=tenant, external_id="crm-b")
    first = [{"account": a.pk, "date": day(1), "metric": "logins", "value": 1},
             {"account_external_id": "crm-b", "date": day(1), "metric": "logins", "value": 2}]
    assert api.post(URL, first, format="json").json() == {"accepted": 2}
    mixed = [{"account": a.pk, "date": day(1), "metric": "logins", "value": 10},  # exists: replaced
             {"account": a.pk, "date": day(2), "metric": "logins", "value": 3.5},  # new
             {"account": a.pk, "date": day(2), "metric": "logins", "value": 4.5}]  # repeated: the last wins
    assert api.post(URL, mixed, format="json").json() == {"accepted": 3}
    # a second upsert in the same (test) transaction sees only its own rows in the temporary table
    assert api.post(URL, [{"account": b.pk, "date": day(1), "metric": "logins", "value": 20}],
                    format="json").status_code == 200
    assert stored() == {(a.pk, "logins", day(1)): 10.0, (a.pk, "logins", day(2)): 4.5,
                        (b.pk, "logins", day(1)): 20.0}


@pytest.mark.django_db
@pytest.mark.parametrize("account_id", [2**63, -(2**63) - 1, 2**70, 10**30])
def test_an_account_id_beyond_bigint_is_a_bad_row_not_a_500(api, tenant, account_id):
    good = AccountFactory(tenant=tenant)
    rows = [{"account": good.pk, "date": day(), "metric": "logins", "value": 1},
            {"account": account_id, "date": day(), "metric": "logins", "value": 1}]
    r = api.post(URL, rows, format="json")
    assert r.status_code == 400, r.content
    assert list(r.json()) == ["1"] and "no account" in r.json()["1"][0]
    assert UsageRecord.all_tenants.count() == 0


@pytest.mark.django_db
def test_values_keep_their_precision_and_huge_integers_stay_exact(api, tenant):
    account = AccountFactory(tenant=tenant)
    rows = [{"account": account.pk, "date": day(1), "metric": "logins", "value": 0.1},
            {"account": account.pk, "date": day(2), "metric": "logins", "value": 123456789012345678901234567890},
            {"account": account.pk, "date": day(3), "metric": "logins", "value": 1e300}]
    assert api.post(URL, rows, format="json").status_code == 200
    assert stored() == {(account.pk, "logins", day(1)): 0.1, (account.pk, "logins", day(2)): 1.2345678901234568e29,
                        (account.pk, "logins", day(3)): 1e300}


# --- the parser's depth check, read from the text --------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(alphabet='[]{}"\\ab\u00e9\U0001f600', max_size=6),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(
        st.text(alphabet='[]{}"\\k', max_size=3), children, max_size=3),
    max_leaves=30,
)


def reference_depth(value) -> int:
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, list):
        return 1 + max((reference_depth(item) for item in value), default=0)
    return 0


@settings(max_examples=300, deadline=None)
@given(json_values, st.booleans())
def test_nesting_depth_from_the_text_matches_the_parsed_value(value, ascii_only):
    text = json.dumps(value, ensure_ascii=ascii_only)
    assert nesting_depth(text, body_shape(text)) == reference_depth(value)
    assert nesting_depth(text) == reference_depth(value)


def test_nesting_depth_stops_counting_past_the_limit():
    text = "[" * 5000 + "]" * 5000
    assert nesting_depth(text, body_shape(text)) == MAX_DEPTH + 1


# --- production transactions ----------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("autocommit")
def test_a_batch_failing_after_its_write_leaves_nothing_on_either_path(in_tenant, monkeypatch):
    account = AccountFactory(tenant=in_tenant, external_id="T-1")
    rows = [{"account_external_id": "T-1", "date": day(1), "metric": "logins", "value": 1},
            {"account_external_id": "T-1", "date": day(2), "metric": "logins", "value": 2}]
    with monkeypatch.context() as patched:
        patched.setattr(services.ingest, "request_account_recompute", boom)  # after the COPY
        with pytest.raises(Boom):
            services.usage_ingest(rows=rows)
    assert committed(lambda: UsageRecord.all_tenants.count()) == 0
    assert services.usage_ingest(rows=rows[:1]) == 1
    with monkeypatch.context() as patched:
        patched.setattr(services.ingest, "request_account_recompute", boom)  # after the upsert
        with pytest.raises(Boom):
            services.usage_ingest(rows=[rows[0] | {"value": 50}, rows[1]])
    assert committed(stored) == {(account.pk, "logins", day(1)): 1.0}
    # the temporary table kept nothing from the failed batch: the next upsert writes only its own rows
    assert services.usage_ingest(rows=[rows[0] | {"value": 7}]) == 1
    assert committed(stored) == {(account.pk, "logins", day(1)): 7.0}


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("autocommit")
def test_a_rejected_batch_writes_nothing_with_real_commits(api, tenant):
    account = AccountFactory(tenant=tenant)
    rows = [{"account": account.pk, "date": day(), "metric": "logins", "value": 1}] * 3 + [{"account": account.pk}]
    r = api.post(URL, rows, format="json")
    assert r.status_code == 400 and list(r.json()) == ["3"]
    assert committed(lambda: UsageRecord.all_tenants.count()) == 0


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("autocommit")
def test_a_bad_row_after_chunks_were_copied_writes_nothing_and_is_named(api, tenant):
    """The COPY text goes out in chunks as it is made: a bad row several chunks in stops the COPY, and the
    chunks already loaded are rolled back with it."""
    accounts = [AccountFactory(tenant=tenant, external_id=f"s{i}") for i in range(10)]
    assert services.ingest.CHUNK_ROWS * 3 < 3500
    rows = batch(accounts, 3500)
    rows[3400] = rows[3400] | {"value": -1}
    rows[3401] = rows[3401] | {"account_external_id": "nobody"}
    r = api.post(URL, rows, format="json")
    assert r.status_code == 400, r.content
    assert r.json() == {"3400": ["value: must be a number, zero or more."],
                        "3401": ["account_external_id: no account with external id 'nobody'."]}
    assert committed(lambda: UsageRecord.all_tenants.count()) == 0
    rows[3400], rows[3401] = rows[3399] | {"value": 5}, rows[3399] | {"value": 6}  # a key repeated: the last wins
    assert api.post(URL, rows, format="json").json() == {"accepted": 3500}
    values = committed(stored)
    assert len(values) == 3500 - 2
    key = (rows[3399]["account"], rows[3399]["metric"], rows[3399]["date"])
    assert values[key] == 6.0


# --- freshness: a run releases its debounce keys before it reads -------------------------------------


@pytest.mark.django_db
def test_a_recompute_releases_its_debounce_keys_before_reading(tenant, monkeypatch):
    from django.core.cache import cache

    from health import tasks

    accounts = [AccountFactory(tenant=tenant) for _ in range(2)]
    keys = [f"health:debounce:{tenant.pk}:{a.pk}" for a in accounts] + [f"health:debounce:{tenant.pk}:all"]
    seen_when_reading = []

    def reading(**kwargs):
        seen_when_reading.append(sorted(cache.get_many(keys)))
        raise Boom("stop after the check")

    monkeypatch.setattr(tasks, "recompute_health", reading)
    cache.set_many(dict.fromkeys(keys, 1), timeout=60)
    with pytest.raises(Boom):
        tasks.recompute_accounts(tenant.pk, [accounts[0].pk])
    assert seen_when_reading[-1] == sorted(keys[1:])  # its own account released, the others still pending
    with pytest.raises(Boom):
        tasks.recompute_tenant(tenant.pk)
    assert seen_when_reading[-1] == [keys[1]]  # the tenant-wide key released too
    cache.delete_many(keys)
