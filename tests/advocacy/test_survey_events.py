"""Automatic surveys from other apps' events, without importing them: a resolved ticket sends its CSAT
survey, a go-live schedules the 30/60/90-day post-implementation sends; and with the broker down when the
ticket is resolved, the survey still goes out once the outbox is drained."""

from __future__ import annotations

from datetime import date

import pytest
from django.core import mail
from django.db import transaction

from advocacy.models import SendStatus, SurveySend
from core import outbox
from core.models import OutboxMessage
from onboarding.services import milestones
from tenancy.context import tenant_context
from tests.celery_support import UNREACHABLE_REDIS, celery_app_using
from tests.factories import AccountFactory, ContactFactory, make_plan, make_template
from tests.factories.tickets import TicketFactory
from tests.transactional_support import autocommit, committed  # noqa: F401 (fixture)
from tickets.services import lifecycle


@pytest.fixture
def contact(tenant):
    account = AccountFactory(tenant=tenant, name="Falcon")
    return ContactFactory(account=account, name="Ted Tech", email="ted@falcon.example")


def resolve(ticket):
    with tenant_context(ticket.tenant):
        lifecycle.ticket_transition(ticket=ticket, to_status="resolved", actor=None, actor_label="test")


@pytest.mark.django_db
def test_resolving_a_ticket_sends_its_csat_survey_once(contact, django_capture_on_commit_callbacks):
    ticket = TicketFactory(account=contact.account, contact=contact)
    with django_capture_on_commit_callbacks(execute=True):
        resolve(ticket)
    [message] = mail.outbox
    assert message.to == ["ted@falcon.example"] and "support" in message.subject.lower()
    send = SurveySend.all_tenants.get()
    assert (send.occasion, send.purpose, send.status) == (f"ticket:{ticket.pk}", "csat_ticket", SendStatus.SENT)
    with django_capture_on_commit_callbacks(execute=True), tenant_context(ticket.tenant):
        lifecycle.ticket_transition(ticket=ticket, to_status="open", actor=None, actor_label="test")
    with django_capture_on_commit_callbacks(execute=True):
        resolve(ticket)
    assert len(mail.outbox) == 1 and SurveySend.all_tenants.count() == 1


@pytest.mark.django_db
def test_going_live_schedules_the_post_implementation_sends(contact, django_capture_on_commit_callbacks):
    plan = make_plan(contact.account, template=make_template(contact.tenant), start_date=date(2026, 3, 2))
    with django_capture_on_commit_callbacks(execute=True), tenant_context(contact.tenant):
        milestones.plan_record_go_live(plan=plan, day=date(2026, 3, 10))
    sends = SurveySend.all_tenants.filter(purpose="post_implementation").order_by("due_at")
    assert [s.occasion for s in sends] == [f"plan:{plan.pk}:30", f"plan:{plan.pk}:60", f"plan:{plan.pk}:90"]
    assert [s.due_at.date() for s in sends] == [date(2026, 4, 9), date(2026, 5, 9), date(2026, 6, 8)]
    assert not mail.outbox  # nothing before its day


@pytest.mark.django_db(transaction=True)
def test_with_the_broker_down_the_csat_goes_out_after_the_drain(contact, autocommit):  # noqa: F811
    outbox.reset_breaker()
    ticket = TicketFactory(account=contact.account, contact=contact)
    with celery_app_using(UNREACHABLE_REDIS):
        resolve(ticket)  # commits; the broker refuses: the row waits
    row = committed(lambda: OutboxMessage.objects.get(task_name="advocacy.on_ticket_resolved"))
    assert row.sent_at is None and row.kwargs["payload"]["ticket_id"] == ticket.pk and not mail.outbox
    OutboxMessage.objects.update(available_at=row.created_at)
    try:
        with celery_app_using(UNREACHABLE_REDIS, eager=True):  # the broker is back (a worker runs it inline)
            outbox.drain()
            with transaction.atomic():
                pass
        assert [m.to for m in mail.outbox] == [["ted@falcon.example"]]
        assert committed(lambda: SurveySend.all_tenants.get().status) == SendStatus.SENT
    finally:
        outbox.reset_breaker()
