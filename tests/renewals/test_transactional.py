"""The ARR ledger's writes as production runs them (see tests/transactional_support.py): a movement and the
account's ARR commit together; a failure midway, or a movement refused, leaves neither; the hook's movement
commits or rolls back with the account edit or import that caused it."""

from datetime import date
from decimal import Decimal

import pytest

from accounts import imports, services
from accounts.csv_import import parse_upload
from accounts.models import Account
from renewals import ledger_services
from renewals.models import ArrMovement
from tests.factories import AccountFactory
from tests.transactional_support import Boom, autocommit, boom, committed  # noqa: F401 (fixture)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("autocommit")]
D = Decimal


@pytest.fixture
def account(tenant):
    return AccountFactory(tenant=tenant, name="Ledgered", arr=D("0"))


def state(account):
    return committed(lambda: (
        Account.all_tenants.get(pk=account.pk).arr,
        list(ArrMovement.all_tenants.filter(account_id=account.pk).order_by("id").values_list("kind", "amount")),
    ))


def test_movement_api_commits_the_movement_and_the_arr(api, account):
    response = api.post("/api/v1/arr-movements/", {"account": account.pk, "date": "2025-01-01", "kind": "new", "amount": "900"},
                        format="json")
    assert response.status_code == 201
    assert state(account) == (D("900"), [("new", D("900"))])


def test_movement_api_failing_midway_writes_nothing(api, account, monkeypatch):
    monkeypatch.setattr(ledger_services, "accounts_arr_set_from_ledger", boom)
    with pytest.raises(Boom):
        api.post("/api/v1/arr-movements/", {"account": account.pk, "date": "2025-01-01", "kind": "new", "amount": "900"},
                 format="json")
    assert state(account) == (D("0"), [])


def test_a_refused_movement_writes_nothing(api, account):
    response = api.post("/api/v1/arr-movements/", {"account": account.pk, "date": "2025-01-01", "kind": "churn", "amount": "5"},
                        format="json")
    assert response.status_code == 400
    assert state(account) == (D("0"), [])


def test_account_edit_commits_its_movement_and_rolls_back_with_it(api, account, monkeypatch):
    assert api.patch(f"/api/v1/accounts/{account.pk}/", {"arr": "1000"}, format="json").status_code == 200
    assert state(account) == (D("1000"), [("new", D("1000"))])
    monkeypatch.setattr(ArrMovement.objects, "bulk_create", boom)
    with pytest.raises(Boom):
        api.patch(f"/api/v1/accounts/{account.pk}/", {"arr": "2000"}, format="json")
    assert state(account) == (D("1000"), [("new", D("1000"))])


def test_account_create_and_import_commit_their_movements(in_tenant, tenant):
    created = services.account_create(name="Svc", arr=D("10"), customer_since=date(2024, 1, 1))
    assert state(created) == (D("10"), [("new", D("10"))])
    imports.import_apply(parsed=parse_upload("accounts", b"external_id,name,arr\nI-1,Imported,77\n"), actor=None)
    imported = Account.objects.get(external_id="I-1")
    assert state(imported) == (D("77"), [("new", D("77"))])
