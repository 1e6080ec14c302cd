"""``tickets.access``: one not-found error for another tenant's object, a missing one or a malformed id; with
``for_write`` the role's capability (403) and the row lock (inside ``transaction.atomic()``)."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from base.errors import NotFound
from tenancy.models import Membership, Role
from tenancy.principal import Principal
from tests.factories.accounts import AccountFactory
from tests.factories.tickets import TicketFactory
from tickets.access import access_inbound_email, access_ticket

pytestmark = pytest.mark.django_db


def principal(tenant, user) -> Principal:
    return Principal(tenant=tenant, membership=Membership.all_tenants.get(user=user, tenant=tenant))


def test_access_ticket_is_tenant_scoped(in_tenant, tenant, other_tenant, alice):
    mine = TicketFactory(account=AccountFactory(tenant=tenant))
    me = principal(tenant, alice)
    assert access_ticket(mine.pk, principal=me) == mine
    theirs = TicketFactory(account=AccountFactory(tenant=other_tenant))
    for pk in (theirs.pk, 10**12, "x", None):
        with pytest.raises(NotFound):
            access_ticket(pk, principal=me)
    with pytest.raises(NotFound):
        access_ticket(mine.pk, principal=None)
    with pytest.raises(NotFound):
        access_inbound_email(1, principal=me)


def test_access_ticket_for_write_checks_the_role_and_locks(in_tenant, tenant, alice, member):
    ticket = TicketFactory(account=AccountFactory(tenant=tenant))
    viewer = principal(tenant, member(Role.VIEWER))
    assert access_ticket(ticket.pk, principal=viewer) == ticket  # everyone reads
    with transaction.atomic(), pytest.raises(PermissionDenied):
        access_ticket(ticket.pk, principal=viewer, for_write=True)
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        assert access_ticket(ticket.pk, principal=principal(tenant, alice), for_write=True) == ticket
    assert "FOR UPDATE OF" in queries[-1]["sql"]
