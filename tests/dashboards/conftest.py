"""A hand-made support and portfolio history (frozen at 2026-03-10 12:00 UTC) whose aggregates the tests
compute by hand."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
import time_machine

from accounts.models import Account
from tenancy.context import tenant_context
from tenancy.models import Role
from tests.factories import (
    AccountFactory,
    HealthSnapshotFactory,
    MembershipFactory,
    TicketFactory,
    UserFactory,
)
from tickets.models import Ticket

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield NOW


def set_ticket(ticket: Ticket, **fields) -> None:
    Ticket.all_tenants.filter(pk=ticket.pk).update(**fields)


@pytest.fixture
def engineer(tenant):
    user = UserFactory(email="erin@acme.example", full_name="Erin Engineer")
    MembershipFactory(tenant=tenant, user=user, role=Role.SUPPORT_ENGINEER)
    return user


@pytest.fixture
def support_history(tenant, other_tenant, engineer, frozen):
    """Four acme tickets and one globex ticket (see test_refresh_support for the expected rows)."""
    ent = AccountFactory(tenant=tenant, name="Enterprise Co", segment="enterprise", arr=Decimal("100000"))
    smb = AccountFactory(tenant=tenant, name="Small Co", segment="smb", arr=Decimal("20000"))
    other = AccountFactory(tenant=other_tenant, name="Globex customer", segment="smb")
    t1, t2 = TicketFactory(account=ent, severity=1), TicketFactory(account=ent, severity=1)
    t3, t4 = TicketFactory(account=smb, severity=3), TicketFactory(account=smb, severity=3)
    t5 = TicketFactory(account=other, severity=2)
    set_ticket(t1, assignee=engineer, status="resolved", opened_at=at("2026-03-09 10:00"),
               first_response_at=at("2026-03-09 10:30"), resolved_at=at("2026-03-09 14:00"),
               response_state="met", resolution_state="met", escalated_at=None)
    set_ticket(t2, assignee=engineer, status="open", opened_at=at("2026-03-09 23:00"),
               first_response_at=at("2026-03-10 01:00"), response_due_at=at("2026-03-09 23:15"),
               response_state="breached", resolution_state="on_track", escalated_at=at("2026-03-10 00:00"))
    set_ticket(t3, assignee=None, status="new", opened_at=at("2026-03-10 08:00"), first_response_at=None,
               response_due_at=at("2026-03-10 09:00"), response_state="breached", resolution_state="on_track",
               escalated_at=None)
    set_ticket(t4, assignee=None, status="resolved", opened_at=at("2025-11-01 00:00"),
               first_response_at=at("2025-11-01 00:10"), resolved_at=at("2026-03-01 09:00"),
               resolution_due_at=at("2025-11-05 00:00"), response_state="met", resolution_state="breached",
               escalated_at=None)
    set_ticket(t5, opened_at=at("2026-03-09 10:00"), escalated_at=at("2026-03-09 11:00"))
    return {"ent": ent, "smb": smb, "tickets": [t1, t2, t3, t4, t5]}


@pytest.fixture
def portfolio_history(tenant, frozen):
    csm = UserFactory(email="carla@acme.example", full_name="Carla CSM")
    MembershipFactory(tenant=tenant, user=csm, role=Role.CSM)
    a = AccountFactory(tenant=tenant, name="Enterprise Co", segment="enterprise", arr=Decimal("100000"), csm=csm)
    b = AccountFactory(tenant=tenant, name="Small Co", segment="smb", arr=Decimal("20000"))
    gone = AccountFactory(tenant=tenant, name="Gone Co", segment="smb", arr=Decimal("5000"))
    with tenant_context(tenant):
        Account.objects.filter(pk=a.pk).update(health_status="green", health_score=Decimal("85"))
        Account.objects.filter(pk=b.pk).update(health_status="red", health_score=Decimal("30"))
        Account.objects.filter(pk__in=[a.pk, b.pk, gone.pk]).update(created_at=at("2026-01-01 00:00"),
                                                                     updated_at=at("2026-03-01 00:00"))
        Account.objects.filter(pk=gone.pk).update(status="churned", updated_at=at("2026-03-09 12:00"))
    for account, when, status, score in [
        (a, "2026-03-08 10:00", "yellow", "60"), (a, "2026-03-09 09:00", "green", "82"),
        (b, "2026-03-09 15:00", "red", "30"), (gone, "2026-03-07 08:00", "red", "20"),
    ]:
        HealthSnapshotFactory(account=account, computed_at=at(when), status=status, score=Decimal(score))
    return {"a": a, "b": b, "gone": gone, "csm": csm}
