"""Factories for the ticket app. ``TicketFactory`` goes through ``services.ticket_create`` so SLA fields,
number and logs are real; pass ``opened_at`` to put the ticket in the past."""

from __future__ import annotations

import factory

from tenancy.context import tenant_context
from tests.factories.accounts import AccountFactory, TenantOwnedFactory
from tests.factories.tenancy import TenantFactory, UserFactory
from tickets.models import (
    InboundEmail,
    InboundEmailOutcome,
    QueueView,
    SlaPolicy,
    Ticket,
    TicketAttachment,
    TicketComment,
)
from tickets.services import lifecycle

__all__ = [
    "TicketFactory", "TicketCommentFactory", "SlaPolicyFactory", "TicketAttachmentFactory", "InboundEmailFactory",
    "QueueViewFactory",
]


class TicketFactory(factory.Factory):
    class Meta:
        model = Ticket

    account = factory.SubFactory(AccountFactory)
    subject = factory.Sequence(lambda n: f"Search results missing documents ({n})")
    description = "Since this morning some PDFs don't show up."
    severity = 3
    channel = "portal"
    contact = None
    assignee = None
    opened_at = None

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        with tenant_context(kwargs["account"].tenant):
            return lifecycle.ticket_create(**kwargs)

    @classmethod
    def _build(cls, model_class, *args, **kwargs):
        return model_class(*args, **kwargs)


class TicketCommentFactory(TenantOwnedFactory):
    class Meta:
        model = TicketComment

    ticket = factory.SubFactory(TicketFactory)
    tenant = factory.LazyAttribute(lambda o: o.ticket.tenant)
    body = "Could you send the logs?"
    public = True


class SlaPolicyFactory(TenantOwnedFactory):
    class Meta:
        model = SlaPolicy

    tenant = factory.SubFactory("tests.factories.tenancy.TenantFactory")
    severity = 1
    segment = None
    response_minutes = 60
    resolution_minutes = 240
    clock = "24x7"




class TicketAttachmentFactory(TenantOwnedFactory):
    """A stored file on a ticket (set ``settings.MEDIA_ROOT = tmp_path`` in the test)."""

    class Meta:
        model = TicketAttachment

    ticket = factory.SubFactory(TicketFactory)
    tenant = factory.LazyAttribute(lambda o: o.ticket.tenant)
    file = factory.django.FileField(filename="notes.txt", data=b"hello")
    filename = "notes.txt"
    content_type = "text/plain"
    size = 5


class InboundEmailFactory(TenantOwnedFactory):
    """An email from an unknown sender waiting for triage."""

    class Meta:
        model = InboundEmail

    tenant = factory.SubFactory("tests.factories.tenancy.TenantFactory")
    message_id = factory.Sequence(lambda n: f"<m{n}@mail.customer.example>")
    from_email = factory.Sequence(lambda n: f"stranger{n}@customer.example")
    subject = "Help, please"
    text = "Nothing works."
    outcome = InboundEmailOutcome.TRIAGE


class QueueViewFactory(TenantOwnedFactory):
    class Meta:
        model = QueueView

    tenant = factory.SubFactory(TenantFactory)
    user = factory.SubFactory(UserFactory)
    name = factory.Sequence(lambda n: f"View {n}")
    query = "severity=1"
