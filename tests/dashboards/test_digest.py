"""The CSMs' daily email digest: its content for a known book, once per CSM per local day (a second beat run or
a redelivered message sends nothing more), the tenant's time zone, the opt-out, no email when nothing needs
attention, the email itself (plain text and HTML, absolute links) and no mixing of tenants."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from accounts.models import Task, TaskStatus
from core.models import OutboxMessage
from dashboards import digest_services, digest_tasks
from dashboards.models import DigestSent
from tenancy.context import tenant_context
from tenancy.models import Role, Tenant
from tests.factories import (
    AccountFactory,
    MembershipFactory,
    RenewalFactory,
    SurveyResponseFactory,
    TaskFactory,
    TicketFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
D = Decimal
MORNING = datetime(2026, 3, 10, 7, 30, tzinfo=UTC)  # 07:30 in UTC tenants


@pytest.fixture
def clock():
    with time_machine.travel(MORNING, tick=False) as traveller:
        yield traveller


@pytest.fixture
def carol(tenant):
    user = UserFactory(email="carol@acme.example", full_name="Carol CSM")
    MembershipFactory(tenant=tenant, user=user, role=Role.CSM)
    return user


@pytest.fixture
def book(tenant, carol, clock):
    """Carol's book: Anvil (red, renews in 30 days, an overdue task, an open Sev1, a detractor this morning) and
    Bolt (green, nothing due, a detractor four days ago: in the ranking's 90 days, too old for the digest's day)."""
    anvil = AccountFactory(tenant=tenant, name="Anvil", csm=carol, arr=D("100000"), health_status="red",
                           health_score=D("30"))
    bolt = AccountFactory(tenant=tenant, name="Bolt", csm=carol, arr=D("20000"), health_status="green",
                          health_score=D("90"))
    renewal = RenewalFactory(account=anvil, contract_end=date(2026, 4, 9), arr=D("100000"), forecast="at_risk")
    task = TaskFactory(account=anvil, owner=carol, title="Call the sponsor", due_date=date(2026, 3, 7))
    TaskFactory(account=bolt, owner=carol, title="Not late yet", due_date=date(2026, 3, 10))
    with tenant_context(tenant):
        ticket = TicketFactory(account=anvil, subject="Search is down", severity=1)
        TicketFactory(account=bolt, subject="A question", severity=3)
    SurveyResponseFactory(account=anvil, kind="nps", score=2, comment="Too many outages",
                          responded_at=MORNING - timedelta(hours=3))
    SurveyResponseFactory(account=bolt, kind="nps", score=3, responded_at=MORNING - timedelta(days=4))
    return {"anvil": anvil, "bolt": bolt, "renewal": renewal, "task": task, "ticket": ticket}


def run_morning(tenant, django_capture_on_commit_callbacks) -> int:
    """Beat's per-tenant job, its outbox messages sent on commit (eager Celery runs them inline)."""
    with django_capture_on_commit_callbacks(execute=True):
        return digest_tasks.queue_digests(tenant.pk)


def test_the_digest_lists_the_book_with_absolute_links(tenant, carol, book, settings, django_capture_on_commit_callbacks):
    settings.SITE_URL = "https://cs.example.com"
    assert run_morning(tenant, django_capture_on_commit_callbacks) == 1
    [email] = mail.outbox
    assert email.to == ["carol@acme.example"]
    assert email.subject == "Acme Corp: 6 items in your book need attention (Tue 10 Mar)"
    text = email.body
    site = "https://cs.example.com"
    assert "Accounts needing attention\n- Anvil: health in the bottom band, renewal in 30 days, renewal forecast at risk, " \
           "1 overdue task, 1 open Sev1/2 ticket, NPS detractor in the last 90 days\n" \
           f"  {site}/accounts/{book['anvil'].pk}/" in text
    assert f"- Anvil: contract ends 2026-04-09, ARR 100,000.00, forecast at risk\n  {site}/renewals/{book['renewal'].pk}/" in text
    assert f"- Call the sponsor: Anvil, due 2026-03-07 (3 days late)\n  {site}/accounts/{book['anvil'].pk}/tasks/" in text
    assert f"- #{book['ticket'].number} Search is down: Anvil, Sev1, new\n  {site}/tickets/{book['ticket'].pk}/" in text
    assert "NPS detractors in the last day\n- Anvil: NPS 2: Too many outages" in text
    assert f"- Bolt: NPS detractor in the last 90 days\n  {site}/accounts/{book['bolt'].pk}/" in text  # ranked second
    assert "Bolt: NPS 3" not in text and "Not late yet" not in text and "A question" not in text
    assert f"Turn it off: {site}/dashboards/digest/" in text
    [(html, mime)] = email.alternatives
    assert mime == "text/html"
    assert f'<a href="{site}/tickets/{book["ticket"].pk}/"' in html and "Search is down" in html
    row = DigestSent.all_tenants.get()
    assert (row.user_id, row.day, row.status, row.items, row.sent_at) == (carol.pk, date(2026, 3, 10), "sent", 6, MORNING)


def test_once_per_csm_per_day(tenant, carol, book, clock, django_capture_on_commit_callbacks):
    assert run_morning(tenant, django_capture_on_commit_callbacks) == 1
    clock.shift(timedelta(hours=1))
    assert run_morning(tenant, django_capture_on_commit_callbacks) == 0  # the next hourly beat
    row = DigestSent.all_tenants.get()
    with tenant_context(tenant):
        assert digest_services.digest_send(digest_id=row.pk) == "done"  # a redelivered message
    assert len(mail.outbox) == 1
    clock.shift(timedelta(days=1))
    assert run_morning(tenant, django_capture_on_commit_callbacks) == 1
    assert len(mail.outbox) == 2
    assert list(DigestSent.all_tenants.order_by("day").values_list("day", flat=True)) == [date(2026, 3, 10), date(2026, 3, 11)]


def test_the_morning_is_the_tenants(tenant, carol, book, clock, django_capture_on_commit_callbacks):
    Tenant.objects.filter(pk=tenant.pk).update(timezone="Asia/Tokyo")  # UTC+9
    tenant.refresh_from_db()
    clock.move_to(datetime(2026, 3, 9, 21, 59, tzinfo=UTC))  # 06:59 on the 10th in Tokyo
    assert run_morning(tenant, django_capture_on_commit_callbacks) == 0
    clock.move_to(datetime(2026, 3, 9, 22, 0, tzinfo=UTC))  # 07:00
    assert run_morning(tenant, django_capture_on_commit_callbacks) == 1
    assert DigestSent.all_tenants.get().day == date(2026, 3, 10)
    assert len(mail.outbox) == 1


def test_a_csm_who_turned_it_off_gets_nothing(tenant, carol, book, django_capture_on_commit_callbacks):
    with tenant_context(tenant):
        digest_services.digest_preference_set(user=carol, daily_digest=False)
    assert run_morning(tenant, django_capture_on_commit_callbacks) == 0
    assert mail.outbox == [] and not DigestSent.all_tenants.exists()


def test_turning_it_off_after_it_was_queued_still_stops_it(tenant, carol, book):
    with tenant_context(tenant):
        assert digest_services.digests_queue() == 1
        digest_services.digest_preference_set(user=carol, daily_digest=False)
        assert digest_services.digest_send(digest_id=DigestSent.objects.get().pk) == "skipped"
    assert mail.outbox == []


def test_nothing_to_report_sends_nothing(tenant, carol, clock, django_capture_on_commit_callbacks):
    AccountFactory(tenant=tenant, name="Calm", csm=carol, health_status="green", health_score=D("95"))
    assert run_morning(tenant, django_capture_on_commit_callbacks) == 1
    assert mail.outbox == []
    assert DigestSent.all_tenants.get().status == "empty"


def test_only_members_with_a_book_are_queued(tenant, carol, book, member):
    member(Role.CSM)  # no account: no digest
    with tenant_context(tenant):
        assert digest_services.digests_queue() == 1
    row = DigestSent.all_tenants.get()
    assert row.user_id == carol.pk and row.status == "queued"


def test_tenants_are_never_mixed(tenant, other_tenant, carol, book, django_capture_on_commit_callbacks):
    dave = UserFactory(email="dave@globex.example")
    MembershipFactory(tenant=other_tenant, user=dave, role=Role.CSM)
    MembershipFactory(tenant=other_tenant, user=carol, role=Role.CSM)  # Carol works for both
    theirs = AccountFactory(tenant=other_tenant, name="Globex red", csm=dave, health_status="red")
    AccountFactory(tenant=other_tenant, name="Carol at Globex", csm=carol, health_status="red")
    TaskFactory(account=theirs, owner=dave, title="Globex task", due_date=date(2026, 3, 1))
    assert run_morning(tenant, django_capture_on_commit_callbacks) == 1
    assert run_morning(other_tenant, django_capture_on_commit_callbacks) == 2
    by_tenant = {(m.to[0], m.subject.split(":")[0]): m.body for m in mail.outbox}
    acme = by_tenant[("carol@acme.example", "Acme Corp")]
    assert "Anvil" in acme and "Globex" not in acme and "Carol at Globex" not in acme
    carol_globex = by_tenant[("carol@acme.example", "Globex")]
    assert "Carol at Globex" in carol_globex and "Anvil" not in carol_globex and "Globex task" not in carol_globex
    dave_globex = by_tenant[("dave@globex.example", "Globex")]
    assert "Globex red" in dave_globex and "Globex task" in dave_globex and "Anvil" not in dave_globex


def test_the_beat_task_fans_out_to_every_tenant(tenant, other_tenant, carol, book, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert digest_tasks.queue_digests_all_tenants() == 2
    assert len(mail.outbox) == 1


def test_the_preference_page(client, tenant, carol, django_assert_max_num_queries):
    client.force_login(carol)
    url = reverse("dashboards:digest_preferences")
    with django_assert_max_num_queries(8):
        page = client.get(url)
    assert page.status_code == 200 and b'name="daily_digest" id="id_daily_digest" checked' in page.content
    assert client.post(url, {}).status_code == 302  # unchecked: off
    page = client.get(url)
    assert b'id="id_daily_digest" checked' not in page.content and b"The daily digest is off" in page.content
    client.post(url, {"daily_digest": "on"})
    with tenant_context(tenant):
        assert digest_services.digest_preference_get(user=carol) is True


def test_overdue_means_before_today(tenant, carol, book):
    Task.all_tenants.filter(pk=book["task"].pk).update(status=TaskStatus.DONE)
    with tenant_context(tenant):
        from dashboards.digest_selectors import digest_for

        digest = digest_for(csm_id=carol.pk, today=date(2026, 3, 10), now=MORNING)
    assert [s.items for s in digest.sections if s.key == "overdue"] == [[]]


@pytest.mark.django_db(transaction=True)
def test_queued_through_the_outbox_once_and_sent_once_with_real_commits(tenant, carol, book):
    from tests.celery_support import UNREACHABLE_REDIS, celery_app_using

    with celery_app_using(UNREACHABLE_REDIS):  # the broker is down: the outbox keeps the message
        assert digest_tasks.queue_digests(tenant.pk) == 1
        assert digest_tasks.queue_digests(tenant.pk) == 0
    [message] = OutboxMessage.objects.filter(task_name="dashboards.send_digest")
    assert message.kwargs == {"tenant_id": tenant.pk, "digest_id": DigestSent.all_tenants.get().pk}
    assert digest_tasks.send_digest(**message.kwargs) == "sent"
    assert digest_tasks.send_digest(**message.kwargs) == "done"  # redelivered
    assert len(mail.outbox) == 1


def test_rendering_a_digest_is_a_constant_number_of_queries(tenant, carol, book):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries_to_send() -> int:
        with tenant_context(tenant):
            digest_services.digests_queue()
            row = DigestSent.objects.filter(status="queued").get()
            with CaptureQueriesContext(connection) as ctx:
                assert digest_services.digest_send(digest_id=row.pk) == "sent"
        return len(ctx.captured_queries)

    few = queries_to_send()
    for i in range(10):
        account = AccountFactory(tenant=tenant, name=f"More {i}", csm=carol, health_status="red")
        TaskFactory(account=account, owner=carol, title=f"Late {i}", due_date=date(2026, 3, 1))
        RenewalFactory(account=account, contract_end=date(2026, 5, 1))
        with tenant_context(tenant):
            TicketFactory(account=account, severity=2)
    DigestSent.all_tenants.update(day=date(2026, 3, 9))  # yesterday's: today's is queued again
    many = queries_to_send()
    assert many == few <= 14
    assert "Late 9" in mail.outbox[-1].body
