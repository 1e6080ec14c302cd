"""Queue and ticket selectors: order by next breach (paused last), filters, constant query counts."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tenancy.models import Role
from tests.factories.accounts import AccountFactory, ContactFactory
from tests.factories.tickets import TicketFactory
from tests.tickets.conftest import T0
from tickets import selectors, sla_engine
from tickets.selectors import QueueFilters
from tickets.services import assignment, lifecycle

pytestmark = pytest.mark.django_db


def numbers(queryset) -> list[int]:
    return [t.number for t in queryset]


def test_queue_orders_by_next_breach_with_paused_last(in_tenant, clock, account, alice):
    sev4 = TicketFactory(account=account, severity=4)  # response due in 24h
    sev1 = TicketFactory(account=account, severity=1)  # response due in 1h
    responded = TicketFactory(account=account, severity=2)  # resolution due in 8h once answered
    lifecycle.ticket_reply(ticket=responded, body="On it", actor=alice)
    paused = TicketFactory(account=account, severity=1)
    lifecycle.ticket_reply(ticket=paused, body="Logs?", actor=alice)
    lifecycle.ticket_transition(ticket=paused, to_status="pending_customer")
    done = TicketFactory(account=account, severity=1)
    lifecycle.ticket_transition(ticket=done, to_status="resolved")
    queue = selectors.ticket_queue(filters=QueueFilters(), user=alice)
    assert numbers(queue) == [sev1.number, responded.number, sev4.number, paused.number]
    assert queue[0].comment_count == 0 and queue[1].comment_count == 1
    assert numbers(selectors.ticket_queue(filters=QueueFilters(view="done"), user=alice)) == [done.number]
    assert len(selectors.ticket_queue(filters=QueueFilters(view="all"), user=alice)) == 5
    assert numbers(selectors.ticket_queue(filters=QueueFilters(view="pending"), user=alice)) == [paused.number]


def test_queue_filters(in_tenant, clock, account, tenant, alice, member):
    engineer = member(Role.SUPPORT_ENGINEER)
    mine = TicketFactory(account=account, severity=2, assignee=alice, tags=["sso"])
    theirs = TicketFactory(account=account, severity=3, assignee=engineer)
    other_account = AccountFactory(tenant=tenant, name="Umbrella Corp")
    unassigned = TicketFactory(account=other_account, severity=1, subject="Login loop")
    assignment.ticket_set_support_level(ticket=theirs, support_level=2)
    clock.shift(timedelta(minutes=50))
    sla_engine.scan()

    def run(**filters):
        return numbers(selectors.ticket_queue(filters=QueueFilters(**filters), user=alice))

    assert run(mine=True) == [mine.number]
    assert run(unassigned=True) == [unassigned.number]
    assert run(severity=3) == [theirs.number]
    assert run(level=2) == [theirs.number]
    assert run(status="new") == [unassigned.number]
    assert run(breaching=True) == [unassigned.number]
    assert run(search="login") == [unassigned.number]
    assert run(search="umbrella") == [unassigned.number]
    assert run(search=f"#{mine.number}") == [mine.number]
    assert run(account=other_account.pk) == [unassigned.number]
    assert run(tag="SSO") == [mine.number]
    counts = selectors.queue_counts(user=alice)
    assert (counts["open"], counts["mine"], counts["unassigned"], counts["breaching"]) == (3, 1, 1, 1)
    assert (counts["active"], counts["pending"], counts["done"], counts["all"]) == (3, 0, 0, 3)
    assert selectors.queue_counts(user=None)["mine"] == 0


def test_queue_page_is_a_constant_number_of_queries(in_tenant, account, alice, django_assert_num_queries):
    def render_page():
        queue = selectors.ticket_queue(filters=QueueFilters(), user=alice)
        rows = [(t.number, t.account.name, t.assignee and t.assignee.email, t.contact and t.contact.name,
                 t.comment_count, t.sla_state) for t in queue[:50]]
        return rows, queue.count()

    for _ in range(3):
        TicketFactory(account=account, contact=ContactFactory(account=account), assignee=alice)
    with django_assert_num_queries(2):
        render_page()
    for _ in range(55):
        TicketFactory(account=AccountFactory(tenant=account.tenant), contact=None, assignee=alice)
    with django_assert_num_queries(2):
        rows, total = render_page()
    assert (len(rows), total) == (50, 58)


def test_detail_comments_and_events(in_tenant, clock, account, contact, alice, other_tenant):
    ticket = TicketFactory(account=account, contact=contact, severity=1)
    lifecycle.ticket_reply(ticket=ticket, body="Hello", actor=alice)
    lifecycle.ticket_reply(ticket=ticket, body="Note", public=False, actor=alice)
    assert selectors.ticket_detail_queryset().get(pk=ticket.pk) == ticket
    assert [c.body for c in selectors.ticket_comments(ticket, include_internal=False)] == ["Hello"]
    events = selectors.ticket_events(ticket)
    assert events[0].label == "Ticket opened"
    assert {e.source for e in events} == {"sla", "change"}
    assert any(e.kind == "met" and e.metric == "response" for e in events)
    assert [e.at for e in events] == sorted(e.at for e in events)
    foreign = TicketFactory(account=AccountFactory(tenant=other_tenant))
    assert not selectors.ticket_detail_queryset().filter(pk=foreign.pk).exists()  # access_ticket: 404


def test_account_summary_and_compliance(in_tenant, clock, account):
    breached = TicketFactory(account=account, severity=1, opened_at=T0 - timedelta(hours=5))
    TicketFactory(account=account, severity=3)
    on_time = TicketFactory(account=account, severity=2)
    lifecycle.ticket_transition(ticket=on_time, to_status="resolved")
    lifecycle.ticket_transition(ticket=breached, to_status="resolved")
    summary = selectors.account_ticket_summary(account)
    assert (summary["open"], summary["sev12_30d"], summary["total_90d"], summary["breached_90d"]) == (1, 2, 3, 1)
    assert summary["compliance_90d"] == 66.7
    assert len(summary["recent"]) == 3
    compliance = selectors.sla_compliance(start=T0 - timedelta(days=1), end=T0 + timedelta(days=1))
    assert compliance == {"resolved": 2, "breached": 1, "compliance": 50.0}


def test_effective_policies_and_hours(in_tenant, tenant):
    assert [p["response_minutes"] for p in selectors.sla_policies_effective()] == [60, 240, 480, 1440]
    assert selectors.business_hours_get()["timezone"] == tenant.timezone


def test_tab_counts_match_a_direct_count_of_every_combination(in_tenant, account, alice, member, other_tenant):
    """The grouped counts (status x SLA state x assignee, summed in Python) equal a filtered count per tab."""
    from tickets.models import Ticket

    bob = member(Role.SUPPORT_ENGINEER)
    combos = [(status, state, who) for status in ("new", "open", "pending_customer", "resolved", "closed")
              for state in ("on_track", "at_risk", "breached", "paused") for who in (None, alice, bob)]
    for i, (status, state, who) in enumerate(combos):
        for _ in range(1 + i % 2):
            made = TicketFactory(account=account)
            Ticket.objects.filter(pk=made.pk).update(status=status, sla_state=state, assignee=who)
    TicketFactory(account=AccountFactory(tenant=other_tenant))  # another tenant's open ticket: never counted
    open_ = Ticket.objects.filter(status__in=["new", "open", "pending_customer"])
    expected = {
        "open": open_.count(), "pending": open_.filter(status="pending_customer").count(),
        "mine": open_.filter(assignee=alice).count(), "unassigned": open_.filter(assignee__isnull=True).count(),
        "breaching": open_.filter(sla_state__in=["at_risk", "breached"]).count(),
    }
    counts = selectors.queue_counts(user=alice)
    assert {k: counts[k] for k in expected} == expected
    assert counts["active"] == expected["open"] - expected["pending"]
    assert counts["done"] == counts["all"] - expected["open"] and counts["all"] >= Ticket.objects.count()
