"""Issue 13: the numbers of a CSM's book link to the list behind them (open Sev1/2 tickets of an account)."""

from __future__ import annotations

from html import unescape

import pytest
from django.test import Client

from tests.dashboards.test_portfolio_pages import BOOK, book  # noqa: F401 - the hand-made book (a fixture)
from tests.factories import TicketFactory
from tickets.models import Ticket

pytestmark = pytest.mark.django_db


def test_the_open_sev12_count_links_to_exactly_those_tickets(book, django_assert_max_num_queries):  # noqa: F811
    anvil = book["anvil"]
    TicketFactory(account=anvil, severity=2)  # counted, with the fixture's open Sev1
    TicketFactory(account=anvil, severity=3)  # not urgent
    done = TicketFactory(account=anvil, severity=1)
    Ticket.all_tenants.filter(pk=done.pk).update(status="resolved")  # not open
    client = Client()
    client.force_login(book["carol"])
    with django_assert_max_num_queries(16):
        response = client.get(BOOK)
    row = next(r for r in response.context["attention"] if r.name == "Anvil")
    assert row.urgent_tickets == 2 and ("2 open Sev1/2 tickets", 2) in row.reasons
    html = unescape(response.content.decode())
    assert f'href="{row.tickets_href}" data-testid="urgent-tickets">see the 2 open Sev1/2 tickets' in html
    listed = client.get(row.tickets_href)
    assert listed.context["page"].paginator.count == 2
    assert {t.severity for t in listed.context["page"].object_list} == {1, 2}
