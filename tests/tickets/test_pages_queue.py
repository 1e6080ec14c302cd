"""The support queue page: order by next breach, time left, filters, saved views, claim, bulk assign,
live refresh (rows partial keeps the selection), cross-tenant isolation and constant query counts."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from tenancy.models import Role
from tests.factories.accounts import AccountFactory
from tests.factories.tickets import QueueViewFactory, TicketFactory
from tickets.models import QueueView, Ticket
from tickets.services import lifecycle
from tickets.sla_display import duration_label
from tickets.views.queue import queue_filters

QUEUE = "/tickets/"


@pytest.fixture
def account(tenant):
    return AccountFactory(tenant=tenant, name="Initech", arr=150000, health_status="green", health_score=85)


def ticket(account, **fields):
    return TicketFactory(account=account, **fields)


def row_ids(response) -> list[int]:
    return [t.pk for t in response.context["tickets"]]


def test_nav_shows_tickets_and_queue_orders_by_next_breach(alice_client, account):
    now = timezone.now()
    sev4 = ticket(account, subject="Question about exports", severity=4)  # due in 24h
    sev1 = ticket(account, subject="Production search down", severity=1)  # due in 60 min
    late = ticket(account, subject="Old sev3", severity=3, opened_at=now - timedelta(hours=9))  # overdue by 1h
    r = alice_client.get(QUEUE)
    assert r.status_code == 200
    html = r.content.decode()
    assert '<a href="/tickets/" aria-current="page">Tickets</a>' in html
    assert row_ids(r) == [late.pk, sev1.pk, sev4.pk]
    assert "Enterprise" in html and "Initech" in html and 'badge green' in html


def test_time_left_is_negative_and_red_when_breached(alice_client, account):
    ticket(account, subject="Overdue", severity=3, opened_at=timezone.now() - timedelta(hours=9, minutes=5))
    html = alice_client.get(QUEUE).content.decode()
    assert 'class="sla-left breached"' in html and ">-1h 0" in html


def test_pending_customer_shows_paused(alice_client, account, tenant):
    t = ticket(account, subject="Waiting on logs", severity=2)
    with_tenant_transition(tenant, t, "pending_customer")
    r = alice_client.get(QUEUE)
    assert "Paused</span>" in r.content.decode()
    assert row_ids(r)[-1] == t.pk  # paused tickets come last


def with_tenant_transition(tenant, t, status, user=None):
    from tenancy.context import tenant_context

    with tenant_context(tenant):
        lifecycle.ticket_transition(ticket=Ticket.objects.get(pk=t.pk), to_status=status, actor=user)


def test_filters(alice_client, alice, account, member, tenant):
    engineer = member(Role.SUPPORT_ENGINEER)
    mine = ticket(account, subject="Mine", severity=2, assignee=alice)
    theirs = ticket(account, subject="Theirs", severity=1, assignee=engineer)
    loose = ticket(account, subject="Loose", severity=3)
    late = ticket(account, subject="Late", severity=4, opened_at=timezone.now() - timedelta(days=2))
    assert row_ids(alice_client.get(QUEUE, {"mine": "1"})) == [mine.pk]
    assert set(row_ids(alice_client.get(QUEUE, {"unassigned": "1"}))) == {loose.pk, late.pk}
    assert row_ids(alice_client.get(QUEUE, {"severity": "1"})) == [theirs.pk]
    assert row_ids(alice_client.get(QUEUE, {"breaching": "1"})) == [late.pk]
    assert set(row_ids(alice_client.get(QUEUE, {"status": "new"}))) == {loose.pk, late.pk}
    assert row_ids(alice_client.get(QUEUE, {"q": "theirs"})) == [theirs.pk]
    with_tenant_transition(tenant, mine, "resolved")
    assert mine.pk not in row_ids(alice_client.get(QUEUE))
    assert row_ids(alice_client.get(QUEUE, {"view": "done"})) == [mine.pk]
    # Opened two days ago: escalated automatically after 24 hours (L1 -> L2).
    assert row_ids(alice_client.get(QUEUE, {"level": "2"})) == [late.pk]
    assert late.pk not in row_ids(alice_client.get(QUEUE, {"level": "1"}))


def test_bad_filter_values_are_ignored(alice_client, account):
    t = ticket(account)
    r = alice_client.get(QUEUE, {"severity": "9", "level": "x", "status": "nope", "view": "bogus", "page": "99"})
    assert r.status_code == 200 and row_ids(r) == [t.pk]
    f = queue_filters({"severity": "2", "mine": "1", "view": "pending"})
    assert (f.severity, f.mine, f.view) == (2, True, "pending")


def test_htmx_filter_returns_results_partial(alice_client, account):
    ticket(account, subject="Partial me")
    r = alice_client.get(QUEUE, {"q": "partial"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="queue-results")
    html = r.content.decode()
    assert "<html" not in html and html.strip().startswith('<div id="queue-results">') and "Partial me" in html


def test_live_refresh_renders_rows_and_keeps_selection(alice_client, account):
    a, b = ticket(account, subject="A"), ticket(account, subject="B")
    r = alice_client.get(QUEUE, {"severity": "3", "ticket": [str(b.pk)]}, HTTP_HX_REQUEST="true",
                         HTTP_HX_TARGET="queue-rows")
    html = r.content.decode()
    assert html.strip().startswith('<tbody id="queue-rows"')
    assert 'hx-trigger="every 30s"' in html and "severity=3" in html  # polls the same filters
    assert f'value="{b.pk}" checked' in html and f'value="{a.pk}" checked' not in html


def test_claim_from_the_queue(client, member, account):
    engineer = member(Role.SUPPORT_ENGINEER)
    client.force_login(engineer)
    t = ticket(account, subject="Take me")
    r = client.post(reverse("tickets:claim", args=[t.pk]), {"row": "1"}, HTTP_HX_REQUEST="true")
    assert r.status_code == 200
    html = r.content.decode()
    assert html.strip().startswith(f'<tr id="ticket-row-{t.pk}"') and engineer.display_name in html
    stored = Ticket.all_tenants.get(pk=t.pk)
    assert stored.assignee == engineer and stored.status == "open"
    r = client.post(reverse("tickets:claim", args=[t.pk]))  # without HTMX: back to the ticket
    assert r.status_code == 302 and r["Location"] == reverse("tickets:detail", args=[t.pk])


def test_bulk_assign(alice_client, member, account, other_tenant):
    engineer = member(Role.SUPPORT_ENGINEER)
    one, two, three = ticket(account), ticket(account), ticket(account)
    theirs = TicketFactory(account=AccountFactory(tenant=other_tenant))
    r = alice_client.post(
        reverse("tickets:bulk_assign") + "?severity=3",
        {"ticket": [one.pk, two.pk, theirs.pk], "assignee": engineer.pk}, HTTP_HX_REQUEST="true",
    )
    assert r.status_code == 200
    html = r.content.decode()
    assert "2 tickets assigned to" in html
    assert f'<option value="{engineer.pk}"' in html  # the picker is still there for the next assignment
    assert 'name="query" value="severity=3"' in html  # "save this view" follows the current filters
    assert set(Ticket.all_tenants.filter(assignee=engineer).values_list("pk", flat=True)) == {one.pk, two.pk}
    assert Ticket.all_tenants.get(pk=three.pk).assignee is None
    assert Ticket.all_tenants.get(pk=theirs.pk).assignee is None
    r = alice_client.post(reverse("tickets:bulk_assign"), {"assignee": engineer.pk})  # nothing selected
    assert r.status_code == 302
    r = alice_client.post(reverse("tickets:bulk_assign"), {"ticket": [three.pk], "assignee": 10**9},
                          HTTP_HX_REQUEST="true")
    assert r.status_code == 400 and Ticket.all_tenants.get(pk=three.pk).assignee is None


def test_saved_views(alice_client, alice, member):
    r = alice_client.post(reverse("tickets:save_view"), {"name": "My sev1", "query": "severity=1&mine=1&page=3&x=1"})
    assert r.status_code == 302 and r["Location"] == "/tickets/?severity=1&mine=1"
    view = QueueView.all_tenants.get(user=alice)
    assert (view.name, view.query) == ("My sev1", "severity=1&mine=1")
    html = alice_client.get(QUEUE).content.decode()
    assert 'href="?severity=1&amp;mine=1">My sev1</a>' in html
    other = QueueViewFactory(tenant=view.tenant, user=member(), name="Not yours")
    assert "Not yours" not in html
    assert alice_client.post(reverse("tickets:delete_view", args=[other.pk])).status_code == 404
    assert alice_client.post(reverse("tickets:delete_view", args=[view.pk])).status_code == 302
    assert not QueueView.all_tenants.filter(pk=view.pk).exists()
    assert alice_client.post(reverse("tickets:save_view"), {"name": ""}).status_code == 302
    assert QueueView.all_tenants.count() == 1


def test_viewers_read_but_cannot_write(client, member, account):
    client.force_login(member(Role.VIEWER))
    t = ticket(account)
    html = client.get(QUEUE).content.decode()
    assert "Claim" not in html and "Assign selected" not in html
    assert client.post(reverse("tickets:claim", args=[t.pk])).status_code == 403
    assert client.post(reverse("tickets:bulk_assign"), {"ticket": [t.pk]}).status_code == 403
    assert Ticket.all_tenants.get(pk=t.pk).assignee is None


def test_other_tenant_sees_nothing_and_gets_404(bob_client, account, bob, alice):
    t = ticket(account, subject="Acme secret")
    view = QueueViewFactory(tenant=account.tenant, user=alice, name="Acme view")
    assert bob_client.post(reverse("tickets:delete_view", args=[view.pk])).status_code == 404
    assert QueueView.all_tenants.filter(pk=view.pk).exists()
    r = bob_client.get(QUEUE, {"view": "all"})
    assert "Acme secret" not in r.content.decode() and row_ids(r) == []
    assert bob_client.post(reverse("tickets:claim", args=[t.pk])).status_code == 404
    r = bob_client.post(reverse("tickets:bulk_assign"), {"ticket": [t.pk], "assignee": bob.pk})
    assert Ticket.all_tenants.get(pk=t.pk).assignee is None
    assert r.status_code in (302, 400)


def test_duration_label():
    assert [duration_label(s) for s in (59, 60 * 45, 3 * 3600 + 300, 2 * 86400 + 4 * 3600, -20 * 60)] == [
        "0m", "45m", "3h 05m", "2d 4h", "-20m",
    ]


@pytest.mark.parametrize("rows", [2, 40])
def test_query_count_is_constant(alice_client, alice, tenant, rows, django_assert_max_num_queries):
    accounts = [AccountFactory(tenant=tenant) for _ in range(3)]
    for i in range(rows):
        ticket(accounts[i % 3], severity=1 + i % 4, assignee=alice if i % 2 else None)
    QueueViewFactory(tenant=tenant, user=alice)
    alice_client.get(QUEUE)  # the first request stores the tenant in the session
    # session, user, membership, tenant switcher; page count + rows; saved views; assignees; tab counts (2)
    with django_assert_max_num_queries(12):
        assert alice_client.get(QUEUE, {"view": "all"}).status_code == 200
    with django_assert_max_num_queries(8):
        assert alice_client.get(QUEUE, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="queue-rows").status_code == 200


def test_frozen_clock_time_left(alice_client, account):
    with time_machine.travel("2026-03-02 12:00:00+00:00", tick=False):
        ticket(account, severity=1)  # 60 min response target
    with time_machine.travel("2026-03-02 12:20:00+00:00", tick=False):
        html = alice_client.get(QUEUE).content.decode()
    assert 'class="sla-left on_track"' in html and ">40m<" in html
    with time_machine.travel("2026-03-02 12:50:00+00:00", tick=False):
        html = alice_client.get(QUEUE).content.decode()
    assert 'class="sla-left at_risk"' in html and ">10m<" in html
