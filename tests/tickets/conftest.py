"""Fixtures of the ticket tests: a frozen clock (Monday 2 March 2026, 09:00 UTC) and an acme account."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
import time_machine

from tests.factories.accounts import AccountFactory, ContactFactory

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday


@pytest.fixture
def clock():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


@pytest.fixture
def account(tenant):
    return AccountFactory(tenant=tenant, name="Initech", arr=Decimal("50000"))


@pytest.fixture
def contact(account):
    return ContactFactory(account=account, name="Peter Gibbons", email="peter@initech.example")
