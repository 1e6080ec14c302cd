"""The pipeline board (by stage, amounts, weighted totals, owner filter, query count that does not grow with
rows) and the account 360 page's expansion panel."""

from __future__ import annotations

from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import AccountFactory, OpportunityFactory

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel("2026-03-15 12:00:00+00:00", tick=False):
        yield


@pytest.fixture
def account(tenant, alice):
    return AccountFactory(tenant=tenant, name="Falcon Networks", csm=alice)


def test_board_by_stage_with_amounts_and_weighted_totals(alice_client, account, alice, member):
    bob = member()
    OpportunityFactory(account=account, title="Fifty more seats", stage="proposal", amount=D("20000"), owner=alice)
    OpportunityFactory(account=account, title="Analytics add-on", stage="identify", amount=D("10000"), owner=bob)
    OpportunityFactory(account=account, title="Old win", stage="won", amount=D("5000"))
    response = alice_client.get(reverse("opportunities:pipeline"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Fifty more seats" in html and "Analytics add-on" in html and "Old win" not in html
    assert "$30,000" in html and "$14,000" in html  # pipeline and weighted (20,000 x 65% + 10,000 x 10%)
    assert "weighted $13,000" in html and "weighted $1,000" in html
    filtered = alice_client.get(reverse("opportunities:pipeline"), {"owner": bob.pk}).content.decode()
    assert "Analytics add-on" in filtered and "Fifty more seats" not in filtered
    # An unknown owner is no filter.
    assert "Fifty more seats" in alice_client.get(reverse("opportunities:pipeline"), {"owner": "x"}).content.decode()


def test_board_query_count_does_not_grow_with_rows(alice_client, tenant, account):
    OpportunityFactory(account=account, stage="proposal")
    with CaptureQueriesContext(connection) as few:
        alice_client.get(reverse("opportunities:pipeline"))
    for i in range(12):
        OpportunityFactory(account=AccountFactory(tenant=tenant), stage=["identify", "discussion", "negotiation"][i % 3])
    with CaptureQueriesContext(connection) as many:
        alice_client.get(reverse("opportunities:pipeline"))
    assert len(many.captured_queries) == len(few.captured_queries)


def test_account_panel_lists_the_accounts_opportunities(alice_client, account):
    OpportunityFactory(account=account, title="Tier upgrade to Pro", kind="tier_upgrade", stage="negotiation", amount=D("8000"))
    OpportunityFactory(account=account, title="Onboarding workshop", kind="professional_services", stage="won", amount=D("3000"))
    html = alice_client.get(reverse("accounts:detail", args=[account.pk])).content.decode()
    assert 'id="expansion-panel"' in html
    assert "Tier upgrade to Pro" in html and "Onboarding workshop" in html and "(one-time)" in html
    assert "weighted $6,400" in html


def test_account_without_opportunities_says_so(alice_client, account):
    html = alice_client.get(reverse("accounts:detail", args=[account.pk])).content.decode()
    assert "No expansion opportunities." in html
