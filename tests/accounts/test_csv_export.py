"""CSV export of the account list: the filtered list, streamed, inside the tenant."""

import csv
import io
from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.csv_export import EXPORT_COLUMNS
from tests.factories import AccountFactory

pytestmark = pytest.mark.django_db


def exported(client, **params) -> list[dict]:
    response = client.get(reverse("accounts:export"), params)
    assert response.status_code == 200 and response["Content-Type"] == "text/csv"
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_export_is_the_filtered_list(alice_client, alice, tenant):
    AccountFactory(tenant=tenant, name="Big", arr=Decimal("150000"), csm=alice, external_id="B-1",
                   health_score=Decimal("81.5"), health_status="green")
    AccountFactory(tenant=tenant, name="Small", arr=Decimal("100"))
    AccountFactory(tenant=tenant, name="Churned", arr=Decimal("100"), status="churned")
    response = alice_client.get(reverse("accounts:export"))
    assert response["Content-Disposition"] == 'attachment; filename="acme-accounts.csv"'
    rows = exported(alice_client)
    assert [r["name"] for r in rows] == ["Big", "Small"]  # active by default, like the list
    assert list(rows[0]) == EXPORT_COLUMNS
    big = rows[0]
    assert (big["external_id"], big["arr"], big["segment"], big["csm_email"], big["health_score"], big["health_status"]) == (
        "B-1", "150000.00", "enterprise", alice.email, "81.5", "green",
    )
    assert [r["name"] for r in exported(alice_client, segment="smb")] == ["Small"]
    assert [r["name"] for r in exported(alice_client, csm="me")] == ["Big"]
    assert [r["name"] for r in exported(alice_client, status="")] == ["Big", "Churned", "Small"]
    assert [r["name"] for r in exported(alice_client, q="sma")] == ["Small"]
    assert [r["name"] for r in exported(alice_client, sort="-arr", status="")][0] == "Big"


def test_export_of_another_tenant_is_empty(bob_client, tenant):
    AccountFactory(tenant=tenant, name="Acme only")
    assert exported(bob_client) == []


def test_export_needs_sign_in(client):
    assert client.get(reverse("accounts:export")).status_code == 302


def test_export_defuses_spreadsheet_formulas(alice_client, tenant):
    AccountFactory(tenant=tenant, name="=HYPERLINK(\"http://evil\")", industry="@SUM(1)")
    row = exported(alice_client)[0]
    assert row["name"].startswith("'=") and row["industry"] == "'@SUM(1)"
