"""Demo seed: the handbook's SLA configuration, and a queue consistent with what the engine writes."""

from __future__ import annotations

import random

import pytest
from django.utils import timezone

from core.seeding import SeedContext
from ops.demo.handbooks import HANDBOOKS
from tenancy.models import Role
from tests.factories.accounts import AccountFactory, ContactFactory
from tickets import selectors, sla_engine
from tickets.models import SlaPolicy, Ticket, TicketSlaEvent
from tickets.seed import SLA_CONFIG, seed_tenant

pytestmark = pytest.mark.django_db


def make_ctx(tenant, slug, member, accounts=20):
    people = [AccountFactory(tenant=tenant) for _ in range(accounts)]
    for account in people:
        ContactFactory(account=account)
    return SeedContext(
        tenant=tenant, slug=slug, profile=HANDBOOKS[slug], accounts=people,
        users={"support_engineer": [member(Role.SUPPORT_ENGINEER), member(Role.SUPPORT_ENGINEER)]},
        rng=random.Random(7), today=timezone.localdate(), progress=lambda msg: None,
    )


def test_rag_fortress_configuration_and_queue(in_tenant, member):
    ctx = make_ctx(in_tenant, "rag-fortress", member, accounts=60)
    tickets = seed_tenant(ctx)
    assert len(tickets) == 300
    policies = {(p.severity, p.segment): p for p in SlaPolicy.objects.all()}
    assert (policies[1, None].response_minutes, policies[1, None].resolution_minutes, policies[1, None].clock) == (
        60, 240, "24x7")
    assert (policies[4, None].resolution_minutes, policies[4, None].clock) == (3000, "business_hours")  # five 10-hour business days
    hours = selectors.business_hours_get()
    assert hours["timezone"] == "America/Los_Angeles"
    assert hours["intervals"][0] == {"weekday": 0, "start": "08:00", "end": "18:00"}
    assert sla_engine.support_settings_get().escalate_after_minutes == 1440
    statuses = set(Ticket.objects.values_list("status", flat=True))
    assert {"new", "open", "pending_customer", "resolved", "closed"} <= statuses
    assert Ticket.objects.filter(sla_state="breached").exists()
    assert TicketSlaEvent.objects.filter(kind="paused").exists()
    numbers = sorted(Ticket.objects.values_list("number", flat=True))
    assert numbers == list(range(1, 301))
    # The seed left nothing for the scan to catch up on: every past boundary is already applied.
    assert sla_engine.scan().transitions.warned + sla_engine.scan().transitions.breached == 0
    for ticket in Ticket.objects.filter(status="pending_customer", resolution_state="paused"):
        assert ticket.resolution_due_at is None and ticket.resolution_clock_started_at is None


def test_techcorp_response_by_segment(in_tenant, member):
    seed_tenant(make_ctx(in_tenant, "techcorp", member, accounts=5), tickets=10)
    targets = {(p.severity, p.segment): p.response_minutes for p in SlaPolicy.objects.all()}
    assert (targets[3, "enterprise"], targets[3, "mid_market"], targets[3, "smb"]) == (240, 1440, 2880)
    assert targets[1, None] == 60


def test_every_handbook_has_a_configuration():
    assert set(SLA_CONFIG) == set(HANDBOOKS)
    marketing = {p["severity"]: p["response_minutes"] for p in SLA_CONFIG["marketingai-pro"]["policies"]}
    assert marketing == {1: 60, 2: 240, 3: 1440, 4: 4320}


def test_seeded_timeline_names_people_not_emails(in_tenant, member):
    from accounts.models import Activity

    seed_tenant(make_ctx(in_tenant, "techcorp", member, accounts=10))
    assigned = list(Activity.objects.filter(source="tickets", subject__contains="assigned to")
                    .values_list("subject", flat=True))
    assert assigned and not [s for s in assigned if "@" in s]
