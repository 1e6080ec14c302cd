"""The new-ticket page and the account 360 tickets panel."""

import pytest
from django.urls import reverse

from tenancy.models import Role
from tests.factories.accounts import AccountFactory, ContactFactory
from tests.factories.tickets import TicketFactory
from tickets.models import Ticket


@pytest.fixture
def account(tenant):
    return AccountFactory(tenant=tenant, name="Initech", arr=30000)


def test_create_ticket(alice_client, account, member, mailoutbox, django_capture_on_commit_callbacks):
    engineer = member(Role.SUPPORT_ENGINEER)
    contact = ContactFactory(account=account, email="pat@initech.example")
    r = alice_client.get(reverse("tickets:create"), {"account": account.pk})
    assert r.status_code == 200 and "Initech" in r.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        r = alice_client.post(reverse("tickets:create"), {
            "account": account.pk, "contact_email": "PAT@initech.example", "subject": "Connector failing",
            "description": "Since Monday", "severity": "2", "channel": "email", "support_level": "1",
            "assignee": engineer.pk, "acknowledge": "on",
        })
    ticket = Ticket.all_tenants.get()
    assert r.status_code == 302 and r["Location"] == reverse("tickets:detail", args=[ticket.pk])
    assert (ticket.contact, ticket.assignee, ticket.severity, ticket.status) == (contact, engineer, 2, "open")
    assert any("pat@initech.example" in m.to for m in mailoutbox)


def test_bad_input_is_400_and_writes_nothing(alice_client, account, other_tenant):
    theirs = AccountFactory(tenant=other_tenant)
    for data in [
        {"account": account.pk, "subject": "", "severity": "2", "channel": "email", "support_level": "1"},
        {"account": theirs.pk, "subject": "x", "severity": "2", "channel": "email", "support_level": "1"},
        {"account": account.pk, "subject": "x", "severity": "9", "channel": "email", "support_level": "1"},
        {"account": account.pk, "subject": "x", "severity": "2", "channel": "email", "support_level": "1",
         "contact_email": "nobody@x.example"},
    ]:
        assert alice_client.post(reverse("tickets:create"), data).status_code == 400, data
    assert not Ticket.all_tenants.exists()


def test_viewer_cannot_create(client, member, account):
    client.force_login(member(Role.VIEWER))
    assert client.get(reverse("tickets:create")).status_code == 403


def test_account_panel_lists_open_tickets(alice_client, account, tenant, other_tenant, django_assert_max_num_queries):
    TicketFactory(account=account, subject="Urgent outage", severity=1)
    TicketFactory(account=account, subject="Minor", severity=4)
    done = TicketFactory(account=account, subject="Already done")
    from tenancy.context import tenant_context
    from tickets.services import lifecycle

    with tenant_context(tenant):
        lifecycle.ticket_transition(ticket=Ticket.objects.get(pk=done.pk), to_status="resolved")
    TicketFactory(account=AccountFactory(tenant=other_tenant), subject="Globex ticket")
    page = alice_client.get(reverse("accounts:detail", args=[account.pk])).content.decode()
    html = page.split('id="account-tickets-panel"')[1].split("</section>")[0]
    assert "Support tickets" in page and "Urgent outage" in html and "Minor" in html
    assert "Already done" not in html and "Globex ticket" not in html
    assert html.index("Urgent outage") < html.index("Minor")  # by next breach
    assert "2 open" in html


def test_account_panel_query_count_is_constant(account, django_assert_max_num_queries):
    from accounts.panels import _PANELS
    from tenancy.context import tenant_context
    from tickets.views.panel import account_panel_context

    assert _PANELS["tickets"].context is account_panel_context  # registered by TicketsConfig.ready()

    class Request:
        tenant = account.tenant
        membership = None

    for size, shown in ((1, 1), (20, 10)):
        for _ in range(size):
            TicketFactory(account=account)
        with tenant_context(account.tenant), django_assert_max_num_queries(3):
            assert len(account_panel_context(Request(), account)["tickets"]) == shown
