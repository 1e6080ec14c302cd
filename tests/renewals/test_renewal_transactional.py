"""Renewals' writes as production runs them (see tests/transactional_support.py): the outcome's movement,
the account and the renewal commit together or not at all, exactly once under two concurrent PATCHes; the
daily job commits its renewals with their motions, or nothing."""

from __future__ import annotations

import threading
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Account, Task
from renewals import ledger_services, renewal_jobs, renewal_services
from renewals.models import ArrMovement, Renewal
from tenancy.context import tenant_context
from tests.factories import AccountFactory, RenewalFactory, make_api_key
from tests.transactional_support import Boom, autocommit, boom, committed  # noqa: F401 (fixture)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("autocommit")]
D = Decimal


@pytest.fixture
def account(tenant):
    account = AccountFactory(tenant=tenant, arr=D("50000"), renewal_date=date(2026, 4, 1))
    with tenant_context(tenant):
        ledger_services.ledger_open_missing(tenant=tenant)
    return account


@pytest.fixture
def renewal(account):
    return RenewalFactory(account=account, contract_end=date(2026, 4, 1), arr=D("50000"))


def state(account, renewal):
    return committed(lambda: (
        Account.all_tenants.get(pk=account.pk).arr,
        Account.all_tenants.get(pk=account.pk).renewal_date,
        list(ArrMovement.all_tenants.filter(account_id=account.pk, source="renewal").values_list("kind", "amount")),
        Renewal.all_tenants.get(pk=renewal.pk).outcome,
    ))


def test_the_outcome_commits_the_movement_the_account_and_the_renewal(api, account, renewal):
    response = api.patch(f"/api/v1/renewals/{renewal.pk}/", {"outcome": "expanded", "renewed_arr": "65000"}, format="json")
    assert response.status_code == 200, response.json()
    assert state(account, renewal) == (D("65000"), date(2027, 4, 1), [("expansion", D("15000"))], "expanded")


def test_an_outcome_failing_midway_writes_nothing(api, account, renewal, monkeypatch):
    monkeypatch.setattr(renewal_services, "account_update", boom)
    with pytest.raises(Boom):
        api.patch(f"/api/v1/renewals/{renewal.pk}/", {"outcome": "downgraded", "renewed_arr": "30000"}, format="json")
    assert state(account, renewal) == (D("50000"), date(2026, 4, 1), [], None)


def test_two_concurrent_outcomes_record_exactly_one(tenant, account, renewal):
    key = make_api_key(tenant)
    bodies = [{"outcome": "expanded", "renewed_arr": "60000"}, {"outcome": "downgraded", "renewed_arr": "40000"}]
    barrier = threading.Barrier(2)
    results: dict[int, tuple[int, dict]] = {}

    def run(i):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
        try:
            barrier.wait()
            response = client.patch(f"/api/v1/renewals/{renewal.pk}/", bodies[i], format="json")
            results[i] = (response.status_code, response.json())
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(code for code, _ in results.values()) == [200, 409], results
    winner = next(i for i, (code, _) in results.items() if code == 200)
    arr, renewal_date, movements, outcome = state(account, renewal)
    assert outcome == bodies[winner]["outcome"]
    assert arr == D(bodies[winner]["renewed_arr"]) and renewal_date == date(2027, 4, 1)
    assert len(movements) == 1


def test_the_daily_job_commits_renewals_with_their_motions_or_nothing(tenant, monkeypatch):
    soon = timezone.localdate() + timedelta(days=30)
    AccountFactory(tenant=tenant, renewal_date=soon)
    monkeypatch.setattr(renewal_jobs, "forecasts_follow_health", boom)
    with tenant_context(tenant), pytest.raises(Boom):
        renewal_jobs.renewals_open()
    assert committed(lambda: (Renewal.all_tenants.count(), Task.all_tenants.count())) == (0, 0)
    monkeypatch.undo()
    with tenant_context(tenant):
        assert renewal_jobs.renewals_open()["opened"] == 1
        assert renewal_jobs.renewals_open()["opened"] == 0
    assert committed(lambda: (Renewal.all_tenants.count(), Task.all_tenants.count())) == (1, 3)
