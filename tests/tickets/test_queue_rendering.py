"""The queue page's rendering path: a constant, exact number of queries whatever the page holds (the tab counts
stand in for the paginator's COUNT on the plain views), row text prepared in Python that reads exactly as the
template filters it replaces (links, times in the tenant's zone, "3 hours ago"), and bulk assign with nothing
selected asking for a selection."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import time_machine
from django.contrib.humanize.templatetags.humanize import naturaltime
from django.db import connection
from django.template.defaultfilters import date as date_filter
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from tenancy.models import Role
from tests.factories.accounts import AccountFactory, ContactFactory
from tests.factories.tickets import QueueViewFactory, TicketCommentFactory, TicketFactory
from tickets.models import Ticket
from tickets.views.queue_rows import opened_ago

QUEUE = "/tickets/"
FROZEN = datetime(2026, 3, 2, 15, 30, 12, tzinfo=UTC)


def _queries(client, *args, **kwargs) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(QUEUE, *args, **kwargs).status_code == 200
    return [q["sql"] for q in captured.captured_queries]


def _fill(tenant, alice, count: int) -> None:
    accounts = [AccountFactory(tenant=tenant, health_status="yellow", health_score=Decimal("61.5")) for _ in range(3)]
    for i in range(count):
        account = accounts[i % 3]
        t = TicketFactory(account=account, severity=1 + i % 4, assignee=alice if i % 2 else None,
                          contact=ContactFactory(account=account) if i % 3 == 0 else None, tags=["sso"] if i % 5 else [])
        if i % 4 == 0:
            TicketCommentFactory(ticket=t)


@pytest.mark.parametrize("params", [{}, {"view": "active"}, {"view": "all"}, {"severity": "1", "q": "a"}])
def test_query_count_is_exact_and_does_not_grow_with_the_rows(alice_client, alice, tenant, params):
    QueueViewFactory(tenant=tenant, user=alice)
    _fill(tenant, alice, 1)
    alice_client.get(QUEUE)  # the first request stores the tenant in the session
    few = _queries(alice_client, params)
    _fill(tenant, alice, 70)  # more than a page, with contacts, comments, tags and assignees
    many = _queries(alice_client, params)
    assert len(many) == len(few)
    plain = not params or params == {"view": "active"}
    # session, user, memberships (the tenant switcher's list rides along); tab counts (1); rows (+ a COUNT
    # when filtered); saved views; assignees
    assert len(many) == (7 if plain else 8)
    paginator_counts = [sql for sql in many if sql.startswith("SELECT COUNT(*)")]
    assert len(paginator_counts) == (0 if plain else 1)  # plain views reuse the tab counts


def test_live_refresh_and_results_partial_query_counts(alice_client, alice, tenant):
    _fill(tenant, alice, 3)
    alice_client.get(QUEUE)
    rows_few = _queries(alice_client, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="queue-rows")
    results_few = _queries(alice_client, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="queue-results")
    _fill(tenant, alice, 60)
    assert len(_queries(alice_client, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="queue-rows")) == len(rows_few)
    assert len(_queries(alice_client, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="queue-results")) == len(results_few)


def test_rows_read_as_the_template_filters_did(alice_client, tenant):
    tenant.timezone = "America/New_York"
    tenant.save(update_fields=["timezone"])
    account = AccountFactory(tenant=tenant, name="Initech", health_status="at_risk", health_score=Decimal("42.5"))
    with time_machine.travel(FROZEN - timedelta(days=1, hours=3, minutes=7), tick=False):
        old = TicketFactory(account=account, severity=4, subject="S" * 120, channel="email")
    with time_machine.travel(FROZEN - timedelta(minutes=25), tick=False):
        fresh = TicketFactory(account=account, severity=1)
    with time_machine.travel(FROZEN, tick=False):
        r = alice_client.get(QUEUE)
    html = r.content.decode()
    rows = {t.pk: t for t in r.context["tickets"]}
    with timezone.override("America/New_York"):
        for t in (old, fresh):
            t = Ticket.all_tenants.get(pk=t.pk)
            local_opened = timezone.localtime(t.opened_at)
            assert f'title="{date_filter(local_opened, "Y-m-d H:i T")}"' in html
            row = rows[t.pk]
            assert f'due {date_filter(timezone.localtime(row.queue_target.due_at), "D M j, H:i T")}"' in html
            assert f'<a href="{reverse("tickets:detail", args=[t.pk])}">' in html
    assert "EST" in html  # the tenant's zone, not UTC
    assert ">1\xa0day, 3\xa0hours ago<" in html and ">25\xa0minutes ago<" in html
    assert f'<strong>{"S" * 79}…</strong>' in html  # truncated to 80 characters
    assert ">At risk 43</span>" in html  # 42.5 rounds half up, as floatformat:0 did
    assert f'<a href="{reverse("accounts:detail", args=[account.pk])}">Initech</a>' in html
    assert "Email" in html


@pytest.mark.parametrize("seconds", [1, 2, 59, 60, 61, 119, 3599, 3600, 3601, 7200, 86399, 86400, 86400 + 3600,
                                     7 * 86400, 31 * 86400, 45 * 86400 + 7200, 366 * 86400, 800 * 86400])
def test_opened_ago_says_what_naturaltime_says(seconds):
    with time_machine.travel(FROZEN, tick=False):
        now = timezone.now()
        assert opened_ago(now - timedelta(seconds=seconds), now) == naturaltime(now - timedelta(seconds=seconds))


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=3 * 365 * 86400), st.integers(min_value=0, max_value=999_999))
def test_opened_ago_matches_naturaltime_for_any_past_instant(seconds, micros):
    with time_machine.travel(FROZEN, tick=False):
        now = timezone.now()
        value = now - timedelta(seconds=seconds, microseconds=micros)
        assert opened_ago(value, now) == naturaltime(value)


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=0, max_value=40 * 86400))
def test_opened_ago_matches_naturaltime_in_the_first_weeks(seconds):
    with time_machine.travel(FROZEN, tick=False):
        now = timezone.now()
        assert opened_ago(now - timedelta(seconds=seconds), now) == naturaltime(now - timedelta(seconds=seconds))


def test_bulk_assign_with_nothing_selected_asks_for_a_selection(alice_client, member, tenant):
    engineer = member(Role.SUPPORT_ENGINEER)
    t = TicketFactory(account=AccountFactory(tenant=tenant))
    r = alice_client.post(reverse("tickets:bulk_assign"), {"assignee": engineer.pk}, HTTP_HX_REQUEST="true")
    assert r.status_code == 400
    html = r.content.decode()
    assert 'id="queue-results"' in html  # the queue the page swaps in, with the message inside it
    assert "Select one or more tickets to assign (tick their boxes), then press Assign." in html
    r = alice_client.post(reverse("tickets:bulk_assign"), {"assignee": engineer.pk}, follow=True)  # without JS
    assert "Select one or more tickets to assign" in r.content.decode()
    assert Ticket.all_tenants.get(pk=t.pk).assignee is None


@time_machine.travel(FROZEN, tick=False)
def test_python_rows_match_the_template_they_replaced(alice_client, alice, member, tenant):
    """``QueueRows.row`` renders what the row partial rendered (kept as tests/tickets/queue_row_reference.html),
    for every branch: paused, breached, claimable, assigned, contact, comments, tags, health, escaping."""
    tenant.timezone = "Europe/Berlin"
    tenant.save(update_fields=["timezone"])
    engineer = member(Role.SUPPORT_ENGINEER)
    now = timezone.now()
    healthy = AccountFactory(tenant=tenant, name="<Hooli & Co>", health_status="green", health_score=Decimal("88.50"))
    plain = AccountFactory(tenant=tenant, name="Plain")
    contact = ContactFactory(account=healthy, name="Pat <O'Neil>")
    made = [
        TicketFactory(account=healthy, contact=contact, subject="<script>alert('x')</script> " + "y" * 90,
                      tags=["sso", "a&b"]),
        TicketFactory(account=plain, severity=3, opened_at=now - timedelta(hours=9), assignee=engineer),
        TicketFactory(account=plain, severity=1, opened_at=now - timedelta(minutes=50)),
        TicketFactory(account=healthy, severity=2),
    ]
    TicketCommentFactory(ticket=made[0])
    from tests.tickets.test_pages_queue import with_tenant_transition

    with_tenant_transition(tenant, made[3], "pending_customer")
    from django.template import engines

    from tenancy.context import tenant_context
    from tickets import selectors
    from tickets.views.common import segment_labels as _segment_labels
    from tickets.views.queue_rows import QueueRows
    from tickets.views.queue_rows import decorate as _decorate

    reference = engines["django"].from_string(
        (Path(__file__).parent / "queue_row_reference.html").read_text())

    def norm(html: str) -> str:
        return re.sub(r">\s+<", "><", re.sub(r"\s+", " ", html)).strip()

    with tenant_context(tenant), timezone.override(tenant.tzinfo):
        tickets = list(selectors.ticket_queue(filters=selectors.QueueFilters(view="all"), user=alice))
        assert len(tickets) == 4
        for can_write in (True, False):
            selected = {made[0].pk}
            rows = QueueRows(timezone.now(), can_write=can_write, selected=selected, query="q=a<b&severity=1")
            for t in tickets:
                _decorate(t, rows.now, _segment_labels(tenant), rows)
                expected = reference.render({"t": t, "can_write": can_write, "selected": selected,
                                             "query": "q=a<b&severity=1"})
                assert norm(str(t.row_html)) == norm(expected)


def test_tab_counts_are_one_query_also_with_nothing_open(tenant, alice, django_assert_num_queries):
    from tenancy.context import tenant_context
    from tickets import selectors
    from tickets.services import lifecycle

    account = AccountFactory(tenant=tenant)
    made = [TicketFactory(account=account) for _ in range(3)]
    with tenant_context(tenant):
        with django_assert_num_queries(1):
            counts = selectors.queue_counts(user=alice)
        assert (counts["open"], counts["all"], counts["done"]) == (3, 3, 0)
        for t in made:
            lifecycle.ticket_transition(ticket=Ticket.objects.get(pk=t.pk), to_status="resolved", actor=None)
        with django_assert_num_queries(1):
            counts = selectors.queue_counts(user=alice)
        assert (counts["open"], counts["active"], counts["all"], counts["done"]) == (0, 0, 3, 3)
