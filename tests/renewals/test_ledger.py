"""The ARR ledger (API.md "Renewals and retention"): an account's ARR follows its movements, every writer
of ARR writes the movement that explains it, and the retention endpoints on known data."""

from __future__ import annotations

import importlib
from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts import imports, services
from accounts.csv_import import parse_upload
from accounts.models import Account
from renewals import ledger_selectors, ledger_services, ledger_tasks
from renewals.models import ArrMovement
from renewals.retention import Movement, totals_from_movements
from tenancy.context import tenant_context
from tests.factories import AccountFactory
from tests.renewals.test_retention_math import ledgers

pytestmark = pytest.mark.django_db
D = Decimal
TODAY = date(2026, 3, 15)
MOVEMENTS = "/api/v1/arr-movements/"
RETENTION = "/api/v1/metrics/retention/"
MONTHLY = "/api/v1/metrics/retention/monthly/"


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel("2026-03-15 12:00:00+00:00", tick=False):
        yield


@pytest.fixture
def account(tenant):
    return AccountFactory(tenant=tenant, name="Falcon Networks", arr=D("0"))


def ledger(account):
    return list(
        ArrMovement.all_tenants.filter(account_id=account.pk).order_by("date", "id").values_list("kind", "amount", "date", "source")
    )


def arr(account):
    return Account.all_tenants.get(pk=account.pk).arr


def post(api, account, day, kind, amount):
    return api.post(MOVEMENTS, {"account": account.pk, "date": str(day), "kind": kind, "amount": str(amount)}, format="json")


# --- the movement API -------------------------------------------------------------------------------


def test_creating_movements_moves_the_accounts_arr_and_segment(api, account):
    response = post(api, account, date(2025, 1, 10), "new", "120000")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert {k: body[k] for k in ("account", "date", "kind", "amount")} == {
        "account": account.pk, "date": "2025-01-10", "kind": "new", "amount": "120000.00"}
    assert arr(account) == D("120000") and Account.all_tenants.get(pk=account.pk).segment == "enterprise"
    assert post(api, account, date(2025, 6, 1), "contraction", "30000").status_code == 201
    assert arr(account) == D("90000") and Account.all_tenants.get(pk=account.pk).segment == "mid_market"
    # Exactly one movement per write: setting the account's ARR did not write a second movement.
    assert [m[0] for m in ledger(account)] == ["new", "contraction"]
    listed = api.get(MOVEMENTS, {"account": account.pk}).json()["results"]
    assert [m["kind"] for m in listed] == ["contraction", "new"]


def test_list_filters_by_account(api, tenant, account):
    other = AccountFactory(tenant=tenant, arr=D("0"))
    post(api, account, date(2025, 1, 1), "new", "10")
    post(api, other, date(2025, 1, 1), "new", "20")
    assert [m["amount"] for m in api.get(MOVEMENTS, {"account": other.pk}).json()["results"]] == ["20.00"]
    assert len(api.get(MOVEMENTS).json()["results"]) == 2
    assert api.get(MOVEMENTS, {"account": "x"}).status_code == 400


def test_a_future_dated_movement_moves_arr_on_its_date(api, account, tenant):
    post(api, account, date(2025, 1, 1), "new", "1000")
    assert post(api, account, TODAY + timedelta(days=10), "expansion", "500").status_code == 201
    assert arr(account) == D("1000")
    with time_machine.travel("2026-03-25 02:00:00+00:00", tick=False):
        assert ledger_tasks.arr_movements_fall_due(tenant.pk) == {"accounts": 1}
        assert arr(account) == D("1500")
        assert ledger_tasks.arr_movements_fall_due(tenant.pk) == {"accounts": 0}  # a rerun changes nothing
    assert [m[0] for m in ledger(account)] == ["new", "expansion"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "new", "amount": "0"}, "amount"),
        ({"kind": "new", "amount": "-5"}, "amount"),
        ({"kind": "upsell", "amount": "5"}, "kind"),
        ({"kind": "new", "amount": "5", "date": "2025-13-01"}, "date"),
        ({"kind": "churn", "amount": "5"}, "amount"),  # below 0
        ({"kind": "new", "amount": "5", "account": 0}, "account"),
    ],
)
def test_bad_input_is_400_and_writes_nothing(api, account, body, field):
    data = {"account": account.pk, "date": "2025-01-01", **body}
    response = api.post(MOVEMENTS, data, format="json")
    assert response.status_code == 400 and field in response.json(), response.json()
    assert ledger(account) == [] and arr(account) == 0


def test_a_movement_that_takes_a_later_day_below_0_is_refused(api, account):
    post(api, account, date(2025, 1, 1), "new", "100")
    post(api, account, date(2025, 6, 1), "churn", "100")
    response = post(api, account, date(2025, 3, 1), "contraction", "50")  # fine on its day, -50 from June
    assert response.status_code == 400 and "amount" in response.json()
    assert len(ledger(account)) == 2 and arr(account) == 0


def test_read_only_key_may_not_write_and_another_tenants_account_is_400(api_readonly, other_api, account):
    assert post(api_readonly, account, date(2025, 1, 1), "new", "5").status_code == 403
    response = post(other_api, account, date(2025, 1, 1), "new", "5")
    assert response.status_code == 400 and "account" in response.json()
    assert ledger(account) == []


def test_another_tenants_movement_is_404(api, other_api, account):
    movement_id = post(api, account, date(2025, 1, 1), "new", "5").json()["id"]
    assert api.get(f"{MOVEMENTS}{movement_id}/").status_code == 200
    assert other_api.get(f"{MOVEMENTS}{movement_id}/").status_code == 404
    assert other_api.get(MOVEMENTS).json()["results"] == []


# --- every other writer of ARR writes its movement ---------------------------------------------------------


def test_account_create_and_edit_through_the_api(api):
    created = api.post("/api/v1/accounts/", {"name": "Newco", "arr": "30000", "customer_since": "2024-05-01"}, format="json")
    account = Account.all_tenants.get(pk=created.json()["id"])
    assert ledger(account) == [("new", D("30000"), date(2024, 5, 1), "account")]
    for value in ("45000", "20000", "0", "10000"):
        assert api.patch(f"/api/v1/accounts/{account.pk}/", {"arr": value}, format="json").status_code == 200
    assert [(k, a) for k, a, *_ in ledger(account)] == [
        ("new", D("30000")), ("expansion", D("15000")), ("contraction", D("25000")), ("churn", D("20000")),
        ("reactivation", D("10000")),
    ]
    assert all(d == TODAY for _, _, d, _ in ledger(account)[1:])
    api.patch(f"/api/v1/accounts/{account.pk}/", {"name": "Newco 2"}, format="json")
    assert len(ledger(account)) == 5  # no ARR change, no movement


def test_account_with_zero_arr_and_future_customer_since(in_tenant):
    assert ledger(services.account_create(name="Zero")) == []
    later = services.account_create(name="Later", arr=D("10"), customer_since=TODAY + timedelta(days=30))
    assert ledger(later) == [("new", D("10"), TODAY, "account")]  # never dated after today


def test_account_edit_page(alice_client, tenant):
    with tenant_context(tenant):
        account = services.account_create(name="Paged", arr=D("1000"), customer_since=date(2025, 1, 1))
    response = alice_client.post(
        reverse("accounts:edit", args=[account.pk]),
        {"name": "Paged", "arr": "1500", "lifecycle_stage": "adoption", "status": "active"},
    )
    assert response.status_code == 302
    assert [(k, a) for k, a, *_ in ledger(account)] == [("new", D("1000")), ("expansion", D("500"))]
    assert ArrMovement.all_tenants.filter(account=account).last().actor.email == "alice@acme.example"


def test_csv_import_creates_and_updates(in_tenant, alice):
    existing = services.account_create(name="Old", arr=D("5000"), external_id="A-1", customer_since=date(2024, 1, 1))
    parsed = parse_upload(
        "accounts", b"external_id,name,arr,customer_since\nA-1,Old,7000,2024-01-01\nA-2,New,900,2023-03-03\nA-3,Zero,0,\n"
    )
    imports.import_apply(parsed=parsed, actor=alice, source_name="book.csv")
    assert [(k, a, s) for k, a, _, s in ledger(existing)] == [("new", D("5000"), "account"), ("expansion", D("2000"), "import")]
    new = Account.all_tenants.get(external_id="A-2")
    assert ledger(new) == [("new", D("900"), date(2023, 3, 3), "import")]
    assert ledger(Account.all_tenants.get(external_id="A-3")) == []


def test_the_hook_writes_one_insert_for_a_whole_import(in_tenant):
    rows = "".join(f"B-{i},Bulk {i},{100 + i}\n" for i in range(30))
    parsed = parse_upload("accounts", f"external_id,name,arr\n{rows}".encode())
    with CaptureQueriesContext(connection) as small:
        imports.import_apply(parsed=parse_upload("accounts", b"external_id,name,arr\nC-1,One,5\n"), actor=None)
    with CaptureQueriesContext(connection) as large:
        imports.import_apply(parsed=parsed, actor=None)
    assert len(large) == len(small)
    assert ArrMovement.objects.filter(kind="new").count() == 31


def test_a_movement_through_the_service_does_not_recurse(in_tenant, account):
    locked = Account.objects.select_for_update().get(pk=account.pk)
    ledger_services.movement_create(account=locked, date=date(2025, 1, 1), kind="new", amount=D("10"))
    ledger_services.movement_create(account=locked, date=date(2025, 2, 1), kind="expansion", amount=D("5"))
    assert [k for k, *_ in ledger(account)] == ["new", "expansion"] and arr(account) == D("15")


def test_the_opening_migration_is_idempotent(in_tenant, tenant):
    migration = importlib.import_module("renewals.migrations.0002_opening_arr_movements")
    a = AccountFactory(tenant=tenant, arr=D("700"), customer_since=date(2022, 2, 2))
    b = AccountFactory(tenant=tenant, arr=D("300"), customer_since=None)
    c = AccountFactory(tenant=tenant, arr=D("0"))
    for _ in range(2):
        with connection.cursor() as cursor:
            cursor.execute(migration.OPENING_SQL)
    assert ledger(a) == [("new", D("700"), date(2022, 2, 2), "opening")]
    assert ledger(b) == [("new", D("300"), b.created_at.date(), "opening")]
    assert ledger(c) == []


# --- retention endpoints -----------------------------------------------------------------------------


@pytest.fixture
def book(api, tenant):
    """Four accounts: one grows, one shrinks, one churns and comes back, one starts after `start`."""
    grow, shrink, back, late = (AccountFactory(tenant=tenant, arr=D("0"), name=n) for n in ("G", "S", "B", "L"))
    for account, day, kind, amount in [
        (grow, "2024-01-10", "new", "100000"), (shrink, "2024-02-01", "new", "50000"),
        (back, "2024-03-01", "new", "50000"), (late, "2025-03-01", "new", "40000"),
        (grow, "2025-04-01", "expansion", "25000"), (grow, "2025-04-01", "contraction", "5000"),
        (shrink, "2025-05-01", "contraction", "10000"), (back, "2025-06-01", "churn", "50000"),
        (back, "2025-09-01", "reactivation", "20000"), (late, "2025-10-01", "churn", "40000"),
    ]:
        assert post(api, account, day, kind, amount).status_code == 201
    return grow, shrink, back, late


def test_retention_on_known_data(api, book):
    response = api.get(RETENTION, {"start": "2025-01-31", "end": "2026-01-31"})
    assert response.status_code == 200
    assert response.json() == {
        "starting_arr": "200000.00", "expansion": "45000.00", "contraction": "15000.00", "churn": "50000.00",
        "nrr": 90.0, "grr": 67.5, "logo_retention": 100.0,
    }
    # The late account is in the starting set once it has ARR at `start`; on `start` its movement counts.
    response = api.get(RETENTION, {"start": "2025-03-01", "end": "2025-12-31"}).json()
    assert response["starting_arr"] == "240000.00" and response["churn"] == "90000.00" and response["logo_retention"] == 75.0


def test_retention_with_nobody_at_start_is_null(api, book):
    assert api.get(RETENTION, {"start": "2023-01-01", "end": "2023-12-31"}).json() == {
        "starting_arr": "0.00", "expansion": "0.00", "contraction": "0.00", "churn": "0.00",
        "nrr": None, "grr": None, "logo_retention": None,
    }


@pytest.mark.parametrize(
    ("params", "field"),
    [({"start": "2025-02-30", "end": "2025-03-01"}, "start"), ({"start": "2025-01-01"}, "end"),
     ({"start": "2025-03-02", "end": "2025-03-01"}, "end"), ({}, "start")],
)
def test_retention_bad_input(api, params, field):
    response = api.get(RETENTION, params)
    assert response.status_code == 400 and field in response.json()


def test_monthly_trend(api, book):
    response = api.get(MONTHLY)
    months = response.json()["months"]
    assert len(months) == 12 and months[-1]["month"] == "2026-03" and months[-1]["end"] == "2026-03-15"
    january = next(m for m in months if m["month"] == "2026-01")
    single = api.get(RETENTION, {"start": january["start"], "end": january["end"]}).json()
    assert {k: january[k] for k in single} == single
    assert january["nrr"] == 90.0 and january["grr"] == 67.5
    assert len(api.get(MONTHLY, {"months": 36}).json()["months"]) == 36


@pytest.mark.parametrize("months", ["0", "37", "x", "-1"])
def test_monthly_bad_input(api, months):
    response = api.get(MONTHLY, {"months": months})
    assert response.status_code == 400 and "months" in response.json()


def test_metrics_run_a_constant_number_of_queries(api, tenant):
    def count(url, params):
        with CaptureQueriesContext(connection) as queries:
            assert api.get(url, params).status_code == 200
        return len(queries)

    count(RETENTION, {"start": "2025-01-31", "end": "2026-01-31"})  # warm-up: the key's first use
    before = (count(RETENTION, {"start": "2025-01-31", "end": "2026-01-31"}), count(MONTHLY, {"months": 12}))
    with tenant_context(tenant):
        for i in range(40):
            account = AccountFactory(tenant=tenant, arr=D("0"))
            ArrMovement.objects.create(account=account, date=date(2024, 1 + i % 12, 1), kind="new", amount=D(100 + i))
            ArrMovement.objects.create(account=account, date=date(2025, 1 + i % 12, 2), kind="expansion", amount=D(5))
    after = (count(RETENTION, {"start": "2025-01-31", "end": "2026-01-31"}), count(MONTHLY, {"months": 12}))
    assert after == before and max(after) <= 3


def test_metrics_are_the_tenants_own(api, other_api, book):
    assert other_api.get(RETENTION, {"start": "2025-01-31", "end": "2026-01-31"}).json()["starting_arr"] == "0.00"
    assert all(m["starting_arr"] == "0.00" for m in other_api.get(MONTHLY).json()["months"])


# --- the database computes what the definition says ------------------------------------------------------


@pytest.fixture
def pool(tenant):
    return [AccountFactory(tenant=tenant, arr=D("0")) for _ in range(3)]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_sql_and_trend_equal_the_pure_definition(in_tenant, pool, data):
    """Random valid ledgers (the strategy of the pure tests) on three accounts, windows anywhere."""
    ArrMovement.objects.all().delete()
    tenant, accounts = in_tenant, pool
    movements = data.draw(ledgers())
    rows = [ArrMovement(tenant=tenant, account=accounts[(m.account_id - 1) % 3], date=m.date, kind=m.kind, amount=m.amount)
            for m in movements if m.account_id <= 3]
    ArrMovement.objects.bulk_create(rows)
    pure = [Movement(r.account_id, r.date, r.kind, r.amount) for r in rows]
    a, b = data.draw(st.dates(date(2023, 1, 1), TODAY)), data.draw(st.dates(date(2023, 1, 1), TODAY))
    start, end = min(a, b), max(a, b)
    assert ledger_selectors.retention_totals(start=start, end=end) == totals_from_movements(pure, start=start, end=end)
    for window, totals in ledger_selectors.retention_trend(today=TODAY, months=14):
        assert totals == totals_from_movements(pure, start=window.start, end=window.end), window
