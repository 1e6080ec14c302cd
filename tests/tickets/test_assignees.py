"""Who can be handed a ticket: one selector (members whose role has ``tickets.write``) behind every
assignee list (ticket page, new ticket, the queue's bulk assign); the services refuse anyone else (400
on the API, a form error on pages); a viewer is offered no action on ticket pages."""

from __future__ import annotations

import pytest

from base.errors import DomainError
from tenancy.context import tenant_context
from tenancy.models import Role
from tenancy.permissions import TICKETS_WRITE, role_can
from tests.factories.tickets import TicketFactory
from tickets import selectors
from tickets.forms import BulkAssignForm, PropertiesForm, TicketCreateForm
from tickets.models import Ticket, TicketChange
from tickets.services import assignment, lifecycle

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(tenant, member, alice):
    return {role: member(role, email=f"{role}@acme.example") for role in Role.values}


@pytest.fixture
def ticket(account):
    return TicketFactory(account=account, severity=2)


def test_the_selector_offers_exactly_the_roles_that_work_tickets(in_tenant, people, alice):
    offered = set(selectors.assignable_users())
    expected = {user for role, user in people.items() if role_can(role, TICKETS_WRITE)} | {alice}
    assert offered == expected
    assert people[Role.VIEWER] not in offered and people[Role.ONBOARDING_SPECIALIST] not in offered
    assert people[Role.SUPPORT_ENGINEER] in offered and people[Role.SUPPORT_MANAGER] in offered


def test_every_assignee_list_uses_it(in_tenant, people):
    allowed = set(selectors.assignable_users())
    for form in (TicketCreateForm(), PropertiesForm(), BulkAssignForm()):
        assert set(form.fields["assignee"].queryset) == allowed, type(form).__name__


def test_services_refuse_a_role_that_cannot_work_tickets(in_tenant, people, account, ticket, alice):
    viewer = people[Role.VIEWER]
    with pytest.raises(DomainError) as refused:
        assignment.ticket_assign(ticket=ticket, assignee=viewer, actor=alice)
    assert refused.value.field == "assignee" and "can't work tickets" in str(refused.value)
    with pytest.raises(DomainError):
        assignment.tickets_bulk_assign(ticket_ids=[ticket.pk], assignee=viewer, actor=alice)
    with pytest.raises(DomainError):
        lifecycle.ticket_create(account=account, subject="x", assignee=people[Role.ONBOARDING_SPECIALIST])
    with pytest.raises(DomainError):
        lifecycle.ticket_update(ticket=ticket, assignee=viewer)
    stored = Ticket.objects.get(pk=ticket.pk)
    assert stored.assignee is None and not TicketChange.objects.filter(action="assigned").exists()
    assignment.ticket_assign(ticket=ticket, assignee=people[Role.SUPPORT_ENGINEER], actor=alice)  # still works


def test_api_answers_400_for_a_viewer_assignee(api, people, account, ticket):
    response = api.post(f"/api/v1/tickets/{ticket.pk}/assign/", {"assignee": "viewer@acme.example"}, format="json")
    assert response.status_code == 400
    assert "assignee" in str(response.json()) and "can't work tickets" in str(response.json())
    created = api.post("/api/v1/tickets/", {"account": account.pk, "subject": "x", "assignee": "viewer@acme.example"},
                       format="json")
    assert created.status_code == 400
    patched = api.patch(f"/api/v1/tickets/{ticket.pk}/", {"assignee": "viewer@acme.example"}, format="json")
    assert patched.status_code == 400
    assert Ticket.all_tenants.get(pk=ticket.pk).assignee is None


def test_pages_offer_no_viewer_and_refuse_one(alice_client, people, ticket):
    viewer = people[Role.VIEWER]
    page = alice_client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert "Support_Engineer" not in page  # sanity: names are shown, not role keys
    assert f'value="{viewer.pk}"' not in page
    assert f'value="{people[Role.SUPPORT_ENGINEER].pk}"' in page
    queue = alice_client.get("/tickets/")
    assert viewer not in queue.context["assignees"]
    assert people[Role.SUPPORT_ENGINEER] in queue.context["assignees"]
    refused = alice_client.post(f"/tickets/{ticket.pk}/properties/", {"assignee": viewer.pk})
    assert refused.status_code == 400 and "can&#x27;t work tickets" in refused.content.decode()
    bulk = alice_client.post("/tickets/bulk-assign/", {"ticket": [ticket.pk], "assignee": viewer.pk},
                             HTTP_HX_REQUEST="true")
    assert bulk.status_code == 400 and "can&#x27;t work tickets" in bulk.content.decode()
    assert Ticket.all_tenants.get(pk=ticket.pk).assignee is None


def test_viewer_is_offered_no_action_on_the_ticket_page(client, people, ticket):
    client.force_login(people[Role.VIEWER])
    html = client.get(f"/tickets/{ticket.pk}/").content.decode()
    main = html.split("<main", 1)[1]
    for action in ("Send reply", "Add internal note", "Claim", "Take over", "Resolve", "Wait on customer",
                   "Mark open", "Escalate", "Properties", "Link to ticket", "/claim/", "/status/", "/reply/",
                   "/properties/", "/escalate/"):
        assert action not in main, action
    assert "Slow" in main or ticket.subject in main  # the ticket itself is readable


def test_a_viewer_replying_by_email_waits_in_triage(api, people, ticket):
    response = api.post("/api/v1/inbound-email/", {
        "from": "viewer@acme.example", "subject": f"Re: [#{ticket.number}] x", "text": "hi", "message_id": "<v@x>",
    }, format="json")
    assert response.json()["outcome"] == "triage"
    with tenant_context(ticket.tenant):
        assert not ticket.comments.exists()
