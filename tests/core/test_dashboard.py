"""The dashboard: the signed-in member's tenant only, a constant number of queries."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import AccountFactory, TaskFactory

pytestmark = pytest.mark.django_db


def test_dashboard_numbers_are_the_tenants(alice_client, alice, tenant, other_tenant):
    today = timezone.localdate()
    mine = AccountFactory(tenant=tenant, arr=Decimal("100000"), csm=alice, renewal_date=today + timedelta(days=30))
    AccountFactory(tenant=tenant, arr=Decimal("50000"))
    AccountFactory(tenant=tenant, arr=Decimal("999"), status="churned")
    AccountFactory(tenant=other_tenant, arr=Decimal("7777777"))
    TaskFactory(account=mine, owner=alice, due_date=today - timedelta(days=1))
    TaskFactory(account=mine, owner=alice, due_date=today)
    response = alice_client.get(reverse("dashboard"))
    assert response.status_code == 200
    ctx = response.context
    assert ctx["portfolio"]["accounts"] == 2 and ctx["portfolio"]["total_arr"] == Decimal("150000")
    assert ctx["portfolio"]["mine"] == 1 and ctx["portfolio"]["renewals_90"] == 1
    assert ctx["tasks"] == {"open": 2, "overdue": 1, "due_today": 1}
    assert b"7,777,777" not in response.content


def test_dashboard_needs_sign_in(client):
    response = client.get(reverse("dashboard"))
    assert response.status_code == 302 and "/login/" in response["Location"]


@pytest.mark.parametrize("n", [5, 50])
def test_dashboard_queries_do_not_grow(alice_client, alice, tenant, n, django_assert_max_num_queries):
    for account in AccountFactory.create_batch(n, tenant=tenant, csm=alice):
        TaskFactory(account=account, owner=alice)
    with django_assert_max_num_queries(10):
        assert alice_client.get(reverse("dashboard")).status_code == 200
