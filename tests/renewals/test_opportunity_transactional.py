"""Opportunity writes as production runs them (tests/transactional_support.py): won commits the opportunity,
its expansion movement and the account's ARR together; a failure midway leaves none; two concurrent "won"
PATCHes write one movement (the row lock of ``access_opportunity``)."""

from __future__ import annotations

import threading
import time
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from rest_framework.test import APIClient

from accounts.models import Account
from renewals import ledger_services, opportunity_services
from renewals.models import ArrMovement, Opportunity, OpportunitySettings
from tests.factories import AccountFactory, OpportunityFactory, make_api_key
from tests.transactional_support import Boom, autocommit, boom, committed  # noqa: F401 (fixture)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("autocommit")]
D = Decimal


@pytest.fixture
def opportunity(tenant):
    account = AccountFactory(tenant=tenant, name="Ledgered", arr=D("0"))
    ledger_services.ArrMovement.all_tenants.create(
        tenant=tenant, account=account, date=date(2025, 1, 1), kind="new", amount=D("1000"))
    Account.all_tenants.filter(pk=account.pk).update(arr=D("1000"))
    return OpportunityFactory(account=account, amount=D("500"), stage="negotiation")


def state(opportunity):
    return committed(lambda: (
        Opportunity.all_tenants.get(pk=opportunity.pk).stage,
        Account.all_tenants.get(pk=opportunity.account_id).arr,
        list(ArrMovement.all_tenants.filter(account_id=opportunity.account_id).order_by("id").values_list("kind", "amount")),
    ))


def client(tenant):
    c = APIClient()
    c.credentials(HTTP_AUTHORIZATION=f"Bearer {make_api_key(tenant)}")
    return c


def test_won_commits_the_stage_the_movement_and_the_arr(tenant, opportunity):
    response = client(tenant).patch(f"/api/v1/opportunities/{opportunity.pk}/", {"stage": "won"}, format="json")
    assert response.status_code == 200
    assert state(opportunity) == ("won", D("1500"), [("new", D("1000")), ("expansion", D("500"))])


def test_won_failing_midway_writes_nothing(tenant, opportunity, monkeypatch):
    monkeypatch.setattr(ledger_services, "accounts_arr_set_from_ledger", boom)
    with pytest.raises(Boom):
        client(tenant).patch(f"/api/v1/opportunities/{opportunity.pk}/", {"stage": "won"}, format="json")
    assert state(opportunity) == ("negotiation", D("1000"), [("new", D("1000"))])


def test_create_commits(tenant, opportunity):
    body = {"account": opportunity.account_id, "kind": "seats", "amount": "10", "close_date": "2026-06-01"}
    response = client(tenant).post("/api/v1/opportunities/", body, format="json")
    assert response.status_code == 201
    assert committed(lambda: Opportunity.all_tenants.filter(pk=response.json()["id"]).exists())


def test_two_concurrent_won_patches_write_one_movement(tenant, opportunity, monkeypatch):
    original = opportunity_services.movement_create

    def slow_movement(**kwargs):
        movement = original(**kwargs)
        time.sleep(0.5)  # hold the row lock while the other request arrives
        return movement

    monkeypatch.setattr(opportunity_services, "movement_create", slow_movement)
    barrier, statuses, errors = threading.Barrier(2), [], []
    api = client(tenant)

    def patch():
        try:
            barrier.wait()
            response = api.patch(f"/api/v1/opportunities/{opportunity.pk}/", {"stage": "won"}, format="json")
            statuses.append(response.status_code)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=patch) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    assert sorted(statuses) == [200, 409]
    assert state(opportunity) == ("won", D("1500"), [("new", D("1000")), ("expansion", D("500"))])


def test_settings_update_commits_and_a_refusal_writes_nothing(tenant):
    api = client(tenant)
    assert api.patch("/api/v1/expansion-settings/", {"stage_probabilities": {"proposal": 40}}, format="json").status_code == 200
    response = api.patch("/api/v1/expansion-settings/",
                         {"stage_probabilities": {"proposal": 50}, "trigger_params": {"bogus": {}}}, format="json")
    assert response.status_code == 400
    assert committed(lambda: list(OpportunitySettings.all_tenants.values_list("stage_probabilities", flat=True))) == [
        {"proposal": 40}]
