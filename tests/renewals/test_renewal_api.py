"""``/api/v1/renewals/`` exactly as API.md "Renewals and retention": fields, forecast override, and the
outcome: the ARR movement, the account's ARR, status and next renewal date, once (409 after); a mismatch
between outcome and amounts is 400 and writes nothing."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import time_machine

from accounts.models import Account, Task
from renewals import ledger_services
from renewals.models import ArrMovement, Renewal
from renewals.renewal_services import renewal_settings_update
from tenancy.context import tenant_context
from tests.factories import AccountFactory, RenewalFactory, UserFactory

pytestmark = pytest.mark.django_db
D = Decimal
URL = "/api/v1/renewals/"
FIELDS = {"id", "account", "contract_end", "arr", "stage", "forecast", "forecast_reason", "outcome", "renewed_arr",
          "churn_reason", "closed_at"}


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel("2026-03-15 12:00:00+00:00", tick=False):
        yield


@pytest.fixture
def account(tenant):
    account = AccountFactory(tenant=tenant, name="Falcon Networks", arr=D("50000"), renewal_date=date(2026, 4, 1),
                             health_status="red", csm=UserFactory())
    with tenant_context(tenant):
        ledger_services.ledger_open_missing(tenant=tenant)
    return account


@pytest.fixture
def renewal(account):
    return RenewalFactory(account=account, contract_end=date(2026, 4, 1), arr=D("50000"), forecast="at_risk")


def state(account):
    fresh = Account.all_tenants.get(pk=account.pk)
    movements = list(ArrMovement.all_tenants.filter(account_id=account.pk, source="renewal").values_list("kind", "amount"))
    return fresh.arr, fresh.status, fresh.renewal_date, movements


def patch(api, renewal, **body):
    return api.patch(f"{URL}{renewal.pk}/", body, format="json")


def test_list_and_get_have_exactly_the_api_fields(api, renewal):
    listed = api.get(URL).json()["results"]
    assert [r["id"] for r in listed] == [renewal.pk]
    body = api.get(f"{URL}{renewal.pk}/").json()
    assert set(body) == FIELDS
    assert body | {"id": 0} == {
        "id": 0, "account": renewal.account_id, "contract_end": "2026-04-01", "arr": "50000.00", "stage": "open",
        "forecast": "at_risk", "forecast_reason": "", "outcome": None, "renewed_arr": None, "churn_reason": "",
        "closed_at": None,
    }
    assert api.get(URL, {"open": "true", "forecast": "at_risk"}).json()["count"] == 1
    assert api.get(URL, {"forecast": "commit"}).json()["count"] == 0


def test_create_defaults_from_the_account_and_opens_the_motions(api, account):
    response = api.post(URL, {"account": account.pk, "contract_end": "2026-04-01"}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["arr"], body["forecast"], body["stage"]) == ("50000.00", "at_risk", "open")
    assert Task.all_tenants.filter(dedupe_key__startswith=f"renewal:{body['id']}:motion:").count() == 3
    again = api.post(URL, {"account": account.pk, "contract_end": "2026-04-01"}, format="json")
    assert again.status_code == 400 and "contract_end" in again.json()
    assert Renewal.all_tenants.count() == 1


def test_create_with_an_override_needs_its_reason(api, account):
    response = api.post(URL, {"account": account.pk, "contract_end": "2026-04-01", "forecast": "commit"}, format="json")
    assert response.status_code == 400 and "forecast_reason" in response.json()
    assert not Renewal.all_tenants.exists()


def test_create_for_another_tenants_account_is_400(other_api, account):
    response = other_api.post(URL, {"account": account.pk, "contract_end": "2026-04-01"}, format="json")
    assert response.status_code == 400 and "account" in response.json()
    assert not Renewal.all_tenants.exists()


def test_forecast_override_over_the_api(api, renewal):
    assert patch(api, renewal, forecast="commit").status_code == 400
    response = patch(api, renewal, forecast="commit", forecast_reason="Verbal yes from the CFO")
    assert response.status_code == 200, response.json()
    assert (response.json()["forecast"], response.json()["forecast_reason"]) == ("commit", "Verbal yes from the CFO")
    renewal.refresh_from_db()
    assert renewal.forecast_overridden_at is not None


@pytest.mark.parametrize(("outcome", "renewed", "kind", "amount", "arr"), [
    ("expanded", "60000", "expansion", D("10000"), D("60000")),
    ("downgraded", "35000", "contraction", D("15000"), D("35000")),
    ("renewed", "50000", None, None, D("50000")),
    ("renewed", None, None, None, D("50000")),
])
def test_an_outcome_moves_arr_and_the_renewal_date(api, account, renewal, outcome, renewed, kind, amount, arr):
    body = {"outcome": outcome} | ({"renewed_arr": renewed} if renewed else {})
    response = patch(api, renewal, **body)
    assert response.status_code == 200, response.json()
    assert (response.json()["outcome"], response.json()["renewed_arr"], response.json()["stage"]) == (outcome, f"{arr:.2f}", "closed")
    assert response.json()["closed_at"] is not None
    assert state(account) == (arr, "active", date(2027, 4, 1), [(kind, amount)] if kind else [])
    movement = ArrMovement.all_tenants.filter(source="renewal").first()
    if kind:
        assert (movement.ref_type, movement.ref_id, movement.date) == ("renewal", renewal.pk, date(2026, 3, 15))
    # The renewal's open CTAs close with it.
    assert not Task.all_tenants.filter(dedupe_key__startswith=f"renewal:{renewal.pk}:", status="open").exists()


@pytest.mark.parametrize("body", [
    {"outcome": "churned"}, {"outcome": "churned", "renewed_arr": "0"}, {"outcome": "churned", "renewed_arr": None},
])
def test_churn_writes_the_churn_of_the_current_arr(api, account, renewal, body):
    response = patch(api, renewal, churn_reason="Competitor", **body)
    assert response.status_code == 200, response.json()
    assert (response.json()["renewed_arr"], response.json()["churn_reason"]) == ("0.00", "Competitor")
    assert state(account) == (D("0"), "churned", date(2026, 4, 1), [("churn", D("50000"))])


@pytest.mark.parametrize(("body", "field"), [
    ({"outcome": "expanded", "renewed_arr": "40000"}, "renewed_arr"),
    ({"outcome": "expanded", "renewed_arr": "50000"}, "renewed_arr"),
    ({"outcome": "expanded"}, "renewed_arr"),
    ({"outcome": "downgraded", "renewed_arr": "60000"}, "renewed_arr"),
    ({"outcome": "downgraded", "renewed_arr": "0"}, "renewed_arr"),
    ({"outcome": "renewed", "renewed_arr": "50001"}, "renewed_arr"),
    ({"outcome": "churned", "renewed_arr": "100"}, "renewed_arr"),
    ({"outcome": "won"}, "outcome"),
    ({"renewed_arr": "70000"}, "outcome"),
    ({"stage": "closed"}, "stage"),
    ({"contract_end": "2027-01-01"}, "contract_end"),
    ({"renewed_arr": "-5", "outcome": "downgraded"}, "renewed_arr"),
])
def test_bad_input_is_400_and_writes_nothing(api, account, renewal, body, field):
    before = state(account)
    response = patch(api, renewal, **body)
    assert response.status_code == 400 and field in response.json(), response.json()
    assert state(account) == before
    renewal.refresh_from_db()
    assert (renewal.outcome, renewal.closed_at, renewal.stage, renewal.contract_end) == (None, None, "open", date(2026, 4, 1))


def test_a_second_outcome_is_409(api, account, renewal):
    assert patch(api, renewal, outcome="expanded", renewed_arr="60000").status_code == 200
    second = patch(api, renewal, outcome="churned")
    assert second.status_code == 409 and "outcome" in second.json()
    assert patch(api, renewal, forecast="lost", forecast_reason="late").status_code == 409
    assert state(account) == (D("60000"), "active", date(2027, 4, 1), [("expansion", D("10000"))])
    # The churn reason may still be corrected.
    assert patch(api, renewal, churn_reason="n/a").status_code == 200


def test_the_term_is_tenant_data(api, tenant, account, renewal):
    with tenant_context(tenant):
        renewal_settings_update(term_months=24)
    assert patch(api, renewal, outcome="renewed").status_code == 200
    assert state(account)[2] == date(2028, 4, 1)


def test_other_tenant_gets_404_and_read_only_keys_403(other_api, api_readonly, account, renewal):
    assert other_api.get(f"{URL}{renewal.pk}/").status_code == 404
    assert other_api.patch(f"{URL}{renewal.pk}/", {"outcome": "churned"}, format="json").status_code == 404
    assert other_api.get(URL).json()["count"] == 0
    assert api_readonly.patch(f"{URL}{renewal.pk}/", {"outcome": "churned"}, format="json").status_code == 403
    assert state(account) == (D("50000"), "active", date(2026, 4, 1), [])


def test_delete_is_not_allowed(api, renewal):
    assert api.delete(f"{URL}{renewal.pk}/").status_code == 405
