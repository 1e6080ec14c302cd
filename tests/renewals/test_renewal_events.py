"""``renewal.outcome_recorded`` (from recording the outcome) and ``renewal.at_risk`` (only when a renewal's
forecast becomes at risk: opened at risk, overridden to it, or following its account into the bottom band)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Account
from renewals import ledger_services, renewal_services
from renewals.models import Renewal
from renewals.renewal_jobs import renewals_open
from tenancy.context import tenant_context
from tests.events_support import outbox_payloads, rolled_back, subscribed
from tests.factories import AccountFactory
from tests.factories.renewal import RenewalFactory

pytestmark = pytest.mark.django_db
D = Decimal
TODAY = date(2026, 3, 15)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel("2026-03-15 12:00:00+00:00", tick=False):
        yield


@pytest.fixture
def account(tenant):
    account = AccountFactory(tenant=tenant, name="Falcon Networks", arr=D("50000"), renewal_date=date(2026, 4, 1))
    with tenant_context(tenant):
        ledger_services.ledger_open_missing(tenant=tenant)
    return account


def test_an_outcome_publishes_the_arr_before_and_after(api, account, published):
    renewal = RenewalFactory(account=account, contract_end=date(2026, 4, 1), arr=D("50000"))
    response = api.patch(f"/api/v1/renewals/{renewal.pk}/", {"outcome": "expanded", "renewed_arr": "60000"}, format="json")
    assert response.status_code == 200, response.json()
    [payload] = published.of("renewal.outcome_recorded")
    assert payload == {
        "renewal_id": renewal.pk, "account_id": account.pk, "account_name": "Falcon Networks", "outcome": "expanded",
        "arr_before": "50000.00", "arr_after": "60000.00", "contract_end": "2026-04-01",
        "recorded_at": "2026-03-15T12:00:00+00:00",
    }
    assert api.patch(f"/api/v1/renewals/{renewal.pk}/", {"outcome": "churned"}, format="json").status_code == 409
    assert len(published.of("renewal.outcome_recorded")) == 1


def test_an_override_to_at_risk_publishes_once(in_tenant, account, published):
    renewal = RenewalFactory(account=account, contract_end=date(2026, 4, 1), arr=D("50000"))
    renewal_services.renewal_update(renewal=renewal, forecast="at_risk", forecast_reason="New CFO")
    renewal_services.renewal_update(renewal=renewal, forecast="at_risk", forecast_reason="New CFO, still")
    assert published.of("renewal.at_risk") == [{
        "renewal_id": renewal.pk, "account_id": account.pk, "account_name": "Falcon Networks",
        "renewal_date": "2026-04-01", "arr": "50000.00", "forecast": "at_risk",
    }]


def test_the_daily_job_publishes_only_the_transitions(in_tenant, tenant, published):
    red = AccountFactory(tenant=tenant, renewal_date=TODAY + timedelta(days=30), health_status="red", name="Red")
    green = AccountFactory(tenant=tenant, renewal_date=TODAY + timedelta(days=40), health_status="green")
    renewals_open()
    assert [p["account_name"] for p in published.of("renewal.at_risk")] == ["Red"]  # opened at risk
    published.clear()
    assert renewals_open()["opened"] == 0
    assert published.of("renewal.at_risk") == []  # still at risk: nothing again
    Account.objects.filter(pk=green.pk).update(health_status="red")
    renewals_open()
    [moved] = published.of("renewal.at_risk")
    assert (moved["renewal_id"], moved["renewal_date"]) == (Renewal.objects.get(account=green).pk, "2026-04-24")
    assert red.pk not in {p["account_id"] for p in published.of("renewal.at_risk")}


def test_the_daily_job_publishes_in_a_constant_number_of_queries(in_tenant, tenant, published):
    def queries(count: int, offset: int) -> int:
        for i in range(count):
            AccountFactory(tenant=tenant, renewal_date=TODAY + timedelta(days=offset + i % 20), health_status="red")
        with CaptureQueriesContext(connection) as ctx:
            renewals_open()
        return len(ctx.captured_queries)

    few = queries(3, 10)
    many = queries(30, 40)
    assert len(published.of("renewal.at_risk")) == 33
    assert many <= few
    assert published.batches.count("renewal.at_risk") == 2  # one per run


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_outcome_publishes_nothing(tenant, account, monkeypatch):
    with tenant_context(tenant):
        renewal = RenewalFactory(account=account, contract_end=date(2026, 4, 1), arr=D("50000"))
        with subscribed("renewal.outcome_recorded", monkeypatch):
            rolled_back(lambda: renewal_services.renewal_record_outcome(
                renewal=Renewal.objects.get(pk=renewal.pk), outcome="churned"))
            assert outbox_payloads() == []
            renewal_services.renewal_record_outcome(renewal=Renewal.objects.get(pk=renewal.pk), outcome="churned")
            assert [(p["outcome"], p["arr_after"]) for p in outbox_payloads()] == [("churned", "0.00")]
