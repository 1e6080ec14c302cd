"""The support signals registered with the health app: one aggregate query each, over all accounts."""

from __future__ import annotations

from datetime import date, timedelta
from types import SimpleNamespace

import pytest

from tests.factories.accounts import AccountFactory
from tests.factories.tickets import TicketFactory
from tests.tickets.conftest import T0
from tickets import health_sources
from tickets.services import lifecycle

pytestmark = pytest.mark.django_db
AS_OF = date(2026, 3, 2)


@pytest.fixture
def accounts(in_tenant, clock):
    busy = AccountFactory(tenant=in_tenant, employee_count=10)
    calm = AccountFactory(tenant=in_tenant, employee_count=100)
    quiet = AccountFactory(tenant=in_tenant, employee_count=50)
    TicketFactory(account=busy, severity=1, opened_at=T0 - timedelta(days=2))  # breached long ago
    TicketFactory(account=busy, severity=2, opened_at=T0 - timedelta(days=5))
    TicketFactory(account=busy, severity=3, opened_at=T0 - timedelta(days=40))
    TicketFactory(account=calm, severity=4, opened_at=T0 - timedelta(days=1))
    old = TicketFactory(account=calm, severity=1, opened_at=T0 - timedelta(days=100))
    lifecycle.ticket_transition(ticket=old, to_status="resolved")
    return busy, calm, quiet


def test_registered(accounts):
    from core.registries.health import get_rule, get_source

    for key in ("tickets_per_seat_90d", "sev12_tickets_30d", "sla_breaches_90d"):
        assert get_source(key) is not None, key
    assert get_rule("sev12_burst").params == {"count": 2, "days": 14}


def test_sources_are_one_query_each(accounts, in_tenant, django_assert_num_queries):
    busy, calm, quiet = accounts
    with django_assert_num_queries(1):
        sev12 = health_sources.sev12_tickets(in_tenant, None, AS_OF, 30)
    assert sev12.to_dict() == {busy.pk: 2.0}
    with django_assert_num_queries(1):
        per_seat = health_sources.tickets_per_seat(in_tenant, None, AS_OF, 90)
    assert per_seat[busy.pk] == pytest.approx(0.3)
    assert per_seat[calm.pk] == pytest.approx(0.01)
    assert per_seat[quiet.pk] == 0
    with django_assert_num_queries(1):
        breaches = health_sources.sla_breaches(in_tenant, None, AS_OF, 90)
    assert breaches[busy.pk] == 3  # every one of busy's tickets is past its targets
    assert calm.pk not in breaches  # its Sev4 is due just now; its breached Sev1 is older than 90 days
    only_calm = health_sources.sev12_tickets(in_tenant, [calm.pk], AS_OF, 200)
    assert only_calm.to_dict() == {calm.pk: 1.0}


def test_burst_rule(accounts, in_tenant):
    busy, calm, _ = accounts
    ctx = SimpleNamespace(tenant=in_tenant, account_ids=None, moment=T0, params={"count": 2, "days": 14})
    reasons = health_sources.sev12_burst(ctx)
    assert list(reasons.index) == [busy.pk]
    assert reasons[busy.pk].startswith("2 Sev1/Sev2 tickets in the last 14 days")
    ctx.params = {"count": 3, "days": 14}
    assert health_sources.sev12_burst(ctx).empty
