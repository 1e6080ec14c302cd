"""Segment from ARR: the pure rule at its boundaries, and through the service with custom thresholds."""

from decimal import Decimal

import pytest

from accounts import services
from accounts.models import Account
from accounts.segments import segment_for, validate_thresholds
from tenancy.models import DEFAULT_SEGMENT_THRESHOLDS
from tests.factories import AccountFactory

CUSTOM = [
    {"key": "strategic", "label": "Strategic", "min_arr": "250000"},
    {"key": "scale", "label": "Scale", "min_arr": "0"},
    {"key": "core", "label": "Core", "min_arr": "50000.50"},
]


@pytest.mark.parametrize(
    ("arr", "segment"),
    [("0", "smb"), ("24999.99", "smb"), ("25000", "mid_market"), ("99999.99", "mid_market"),
     ("100000", "enterprise"), ("5000000", "enterprise"), (None, "smb")],
)
def test_default_boundaries(arr, segment):
    assert segment_for(Decimal(arr) if arr else None, DEFAULT_SEGMENT_THRESHOLDS) == segment


@pytest.mark.parametrize(
    ("arr", "segment"),
    [("0", "scale"), ("50000.49", "scale"), ("50000.50", "core"), ("249999.99", "core"), ("250000", "strategic")],
)
def test_custom_boundaries_in_any_order(arr, segment):
    assert segment_for(Decimal(arr), CUSTOM) == segment


def test_threshold_table_validation():
    assert validate_thresholds(CUSTOM) == []
    assert validate_thresholds([]) == ["At least one segment is required."]
    assert "unique" in validate_thresholds([{"key": "a", "min_arr": 0}, {"key": "a", "min_arr": 5}])[0]
    assert "start at 0" in validate_thresholds([{"key": "a", "min_arr": 10}])[0]
    assert "numeric" in validate_thresholds([{"key": "a", "min_arr": "x"}])[-1]


@pytest.mark.django_db
def test_service_uses_the_tenants_thresholds_and_recompute(tenant, in_tenant):
    tenant.segment_thresholds = CUSTOM
    tenant.save()
    account = services.account_create(name="A", arr=Decimal("50000.50"))
    assert account.segment == "core"
    services.account_update(account=account, arr=Decimal("250000"))
    assert account.segment == "strategic"
    tenant.segment_thresholds = DEFAULT_SEGMENT_THRESHOLDS
    tenant.save()
    assert services.segments_recompute(tenant=tenant) == 1
    assert Account.objects.get().segment == "enterprise"


@pytest.mark.django_db
def test_api_uses_custom_thresholds(api, tenant):
    tenant.segment_thresholds = CUSTOM
    tenant.save()
    for arr, segment in (("50000.49", "scale"), ("50000.50", "core"), ("250000", "strategic")):
        response = api.post("/api/v1/accounts/", {"name": f"A {arr}", "arr": arr}, format="json")
        assert response.status_code == 201 and response.json()["segment"] == segment
    account = AccountFactory(tenant=tenant, arr=Decimal("1"))
    response = api.patch(f"/api/v1/accounts/{account.pk}/", {"arr": "300000"}, format="json")
    assert response.json()["segment"] == "strategic"
