"""``account.created`` / ``account.updated``: the API's representation of the account, from every writer
(API, pages, CSV import, the ARR ledger's bulk set), inside the writer's transaction, once per bulk write."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from accounts import imports, services
from accounts.csv_import import parse_upload
from accounts.models import Account
from tests.events_support import outbox_payloads, rolled_back, subscribed
from tests.factories.accounts import AccountFactory

pytestmark = pytest.mark.django_db


def test_api_create_publishes_the_accounts_api_representation(api, alice, published):
    response = api.post("/api/v1/accounts/", {"name": "Initech", "external_id": "I-1", "arr": "120000.00",
                                               "csm": alice.email, "renewal_date": "2027-01-31"}, format="json")
    assert response.status_code == 201, response.content
    [payload] = published.of("account.created")
    assert payload == api.get(f"/api/v1/accounts/{response.json()['id']}/").json()
    assert payload["arr"] == "120000.00" and payload["csm"] == alice.email and payload["segment"] == "enterprise"
    assert published.of("account.updated") == []


def test_api_patch_publishes_the_changed_fields_and_nothing_when_nothing_changed(api, tenant, published):
    account = AccountFactory(tenant=tenant, name="Old", arr=Decimal("1000"))
    published.clear()
    assert api.patch(f"/api/v1/accounts/{account.pk}/", {"name": "New", "arr": "30000"}, format="json").status_code == 200
    [payload] = published.of("account.updated")
    assert payload["changed"] == ["name", "arr", "segment"]
    assert (payload["id"], payload["name"], payload["arr"], payload["segment"]) == (account.pk, "New", "30000.00", "mid_market")
    assert api.patch(f"/api/v1/accounts/{account.pk}/", {"name": "New"}, format="json").status_code == 200
    assert len(published.of("account.updated")) == 1  # unchanged: nothing more


def test_pages_publish(alice_client, tenant, alice, published):
    response = alice_client.post(reverse("accounts:create"), {
        "name": "Paged", "arr": "1000", "lifecycle_stage": "adoption", "status": "active"})
    assert response.status_code == 302
    [created] = published.of("account.created")
    assert created["name"] == "Paged"
    response = alice_client.post(reverse("accounts:edit", args=[created["id"]]), {
        "name": "Paged", "arr": "1000", "lifecycle_stage": "adoption", "status": "churned",
        "customer_since": created["customer_since"]})
    assert response.status_code == 302
    [updated] = published.of("account.updated")
    assert updated["changed"] == ["status"] and updated["status"] == "churned"


def test_the_csv_import_publishes_each_event_once_for_the_whole_file(in_tenant, tenant, member, published):
    csm = member(email="csm@acme.example")
    kept = AccountFactory(tenant=tenant, external_id="K-1", name="Kept", arr=Decimal("10"))
    same = AccountFactory(tenant=tenant, external_id="S-1", name="Same", arr=Decimal("10"))
    published.clear()
    parsed = parse_upload("accounts", (
        b"name,external_id,arr,csm_email\n"
        b"Kept,K-1,10,csm@acme.example\nSame,S-1,10,\nNew one,N-1,200000,\nNew two,N-2,5,\n"))
    imports.import_apply(parsed=parsed, actor=None, source_name="book.csv")
    assert published.batches == ["account.created", "account.updated"]
    assert {p["name"]: p["segment"] for p in published.of("account.created")} == {"New one": "enterprise", "New two": "smb"}
    [updated] = published.of("account.updated")
    assert (updated["id"], updated["changed"], updated["csm"]) == (kept.pk, ["csm"], csm.email)
    assert same.pk not in {p["id"] for p in published.of("account.updated")}


def test_the_ledgers_bulk_arr_set_publishes_once(in_tenant, tenant, published):
    a, b = AccountFactory(tenant=tenant, arr=Decimal("100")), AccountFactory(tenant=tenant, arr=Decimal("100"))
    published.clear()
    services.accounts_arr_set_from_ledger(arrs={a.pk: Decimal("200000"), b.pk: Decimal("300")})
    by_id = {p["id"]: p for p in published.of("account.updated")}
    assert by_id[a.pk]["changed"] == ["arr", "segment"] and by_id[a.pk]["arr"] == "200000.00"
    assert by_id[b.pk]["changed"] == ["arr"]
    assert published.batches == ["account.updated"]


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_write_publishes_nothing(tenant, monkeypatch):
    from tenancy.context import tenant_context

    with tenant_context(tenant), subscribed("account.created", monkeypatch):
        rolled_back(lambda: services.account_create(name="Gone"))
        assert outbox_payloads() == [] and not Account.all_tenants.exists()
        services.account_create(name="Kept")
        assert [p["name"] for p in outbox_payloads()] == ["Kept"]


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_update_publishes_nothing(tenant, monkeypatch):
    from tenancy.context import tenant_context

    with tenant_context(tenant):
        account = services.account_create(name="Before")
        with subscribed("account.updated", monkeypatch):
            rolled_back(lambda: services.account_update(account=Account.objects.get(pk=account.pk), name="Never"))
            assert outbox_payloads() == []
            services.account_update(account=Account.objects.get(pk=account.pk), name="After")
            assert [(p["name"], p["changed"]) for p in outbox_payloads()] == [("After", ["name"])]
