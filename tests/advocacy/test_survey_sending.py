"""Sending a campaign: recipients by role set-based, batches through the outbox, email with signed links,
the fatigue limit, unsubscribes, CSAT windows, progress counters, and retries that never send twice."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail

from advocacy import survey_links, survey_sending, survey_services
from advocacy.models import AdvocacySettings, SendStatus, Survey, SurveySend, SurveyStatus, Unsubscribe
from base.errors import DomainError
from tenancy.context import tenant_context
from tests.factories import AccountFactory, ContactFactory, SurveyFactory, SurveySendFactory

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def book(tenant, other_tenant):
    a = AccountFactory(tenant=tenant, name="Falcon")
    b = AccountFactory(tenant=tenant, name="Heron")
    gone = AccountFactory(tenant=tenant, name="Gone", status="churned")
    return {
        "exec": ContactFactory(account=a, name="Erin Exec", email="erin@falcon.example", role="executive"),
        "biz": ContactFactory(account=a, name="Bo Biz", email="bo@falcon.example", role="business"),
        "tech": ContactFactory(account=b, name="Ted Tech", email="ted@heron.example", role="technical"),
        "left": ContactFactory(account=b, name="Lee Left", email="lee@heron.example", role="business", left_company=True),
        "noemail": ContactFactory(account=b, name="No Mail", email="", role="business"),
        "churned": ContactFactory(account=gone, name="Cy Churned", email="cy@gone.example", role="business"),
        "theirs": ContactFactory(account=AccountFactory(tenant=other_tenant), email="x@globex-customer.example", role="business"),
    }


def start(tenant, survey, capture):
    with tenant_context(tenant), capture(execute=True):
        survey_services.survey_send(survey=survey)
    survey.refresh_from_db()
    return survey


def sent_to():
    return sorted(m.to[0] for m in mail.outbox)


def test_a_campaign_goes_to_the_chosen_roles_of_active_accounts_once(tenant, book, django_capture_on_commit_callbacks):
    survey = SurveyFactory(tenant=tenant, target_roles=["executive", "business"])
    survey = start(tenant, survey, django_capture_on_commit_callbacks)
    assert sent_to() == ["bo@falcon.example", "erin@falcon.example"]
    assert (survey.status, survey.recipients, survey.sent_count, survey.skipped_count, survey.failed_count) == (
        SurveyStatus.SENT, 2, 2, 0, 0)
    assert survey.progress_percent == 100 and survey.finished_at == NOW
    # Sending again is refused (409) and sends nothing more.
    with tenant_context(tenant), pytest.raises(DomainError) as refused:
        survey_services.survey_send(survey=survey)
    assert refused.value.status_code == 409 and len(mail.outbox) == 2


def test_every_role_when_none_chosen(tenant, book, django_capture_on_commit_callbacks):
    start(tenant, SurveyFactory(tenant=tenant, target_roles=[]), django_capture_on_commit_callbacks)
    assert sent_to() == ["bo@falcon.example", "erin@falcon.example", "ted@heron.example"]


def test_the_email_has_text_html_and_signed_links(tenant, book, django_capture_on_commit_callbacks, settings):
    settings.SITE_URL = "https://cs.example"
    survey = SurveyFactory(tenant=tenant, target_roles=["executive"], email_subject="Q4: how are we doing?")
    start(tenant, survey, django_capture_on_commit_callbacks)
    [message] = mail.outbox
    assert message.subject == "Q4: how are we doing?" and "Hello Erin Exec" in message.body
    html = message.alternatives[0][0]
    assert message.alternatives[0][1] == "text/html" and "?score=10" in html and "?score=0" in html
    link = re.search(r"https://cs\.example(/s/[^\s]+/)\n", message.body).group(1)
    send = SurveySend.all_tenants.get(email="erin@falcon.example")
    assert survey_links.read_token(link.split("/")[2]).pk == send.pk
    unsubscribe = re.search(r"https://cs\.example(/s/[^\s]+/unsubscribe/)", message.body).group(1)
    assert message.extra_headers["List-Unsubscribe"] == f"<https://cs.example{unsubscribe}>"


def test_batches_of_500_with_progress_and_a_retry_never_sends_twice(tenant, django_capture_on_commit_callbacks, monkeypatch):
    account = AccountFactory(tenant=tenant)
    for n in range(7):
        ContactFactory(account=account, email=f"p{n}@falcon.example")
    monkeypatch.setattr(survey_sending, "BATCH_SIZE", 3)
    survey = SurveyFactory(tenant=tenant)
    with tenant_context(tenant):
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            survey_services.survey_send(survey=survey)
        ranges = survey_sending.batch_ranges(survey, size=3)
        assert len(ranges) == 3 and not mail.outbox  # nothing sent before the commit
        for callback in callbacks:
            callback()
        assert len(mail.outbox) == 7
        # The same batches again (a retried task, a duplicate message): nothing more is sent.
        for first, last in ranges:
            assert survey_sending.send_batch(survey=survey, first=first, last=last) == {"sent": 0, "skipped": 0, "failed": 0}
    assert len(mail.outbox) == 7
    survey.refresh_from_db()
    assert (survey.sent_count, survey.recipients, survey.status) == (7, 7, SurveyStatus.SENT)


def test_fatigue_skips_contacts_surveyed_in_the_last_30_days(tenant, book, django_capture_on_commit_callbacks):
    earlier = SurveyFactory(tenant=tenant, purpose="post_implementation", kind="csat")
    # Whole days (tenant time zone, UTC here): sent on Nov 2 (29 days before Dec 1) is skipped, on Nov 1 not.
    SurveySendFactory(survey=earlier, account=book["exec"].account, email="ERIN@falcon.example",
                      sent_at=datetime(2026, 11, 2, 0, 0, tzinfo=UTC))
    SurveySendFactory(survey=earlier, account=book["biz"].account, email="bo@falcon.example",
                      sent_at=datetime(2026, 11, 1, 23, 59, tzinfo=UTC))
    ticket_csat = SurveyFactory(tenant=tenant, purpose="csat_ticket", kind="csat")
    SurveySendFactory(survey=ticket_csat, account=book["tech"].account, email="ted@heron.example", sent_at=NOW - timedelta(days=1))
    survey = start(tenant, SurveyFactory(tenant=tenant), django_capture_on_commit_callbacks)
    assert sent_to() == ["bo@falcon.example", "ted@heron.example"]  # a ticket CSAT does not count for NPS fatigue
    skipped = SurveySend.all_tenants.get(survey=survey, email="erin@falcon.example")
    assert (skipped.status, skipped.skip_reason) == (SendStatus.SKIPPED, "fatigue")
    assert (survey.sent_count, survey.skipped_count, survey.status) == (2, 1, SurveyStatus.SENT)


def test_the_fatigue_window_is_a_tenant_setting(tenant, book, django_capture_on_commit_callbacks):
    AdvocacySettings.all_tenants.create(tenant=tenant, fatigue_days=90)
    earlier = SurveyFactory(tenant=tenant)
    SurveySendFactory(survey=earlier, account=book["exec"].account, email="erin@falcon.example", sent_at=NOW - timedelta(days=60))
    start(tenant, SurveyFactory(tenant=tenant, target_roles=["executive"]), django_capture_on_commit_callbacks)
    assert sent_to() == []


def test_unsubscribed_contacts_are_skipped_by_every_purpose(tenant, book, django_capture_on_commit_callbacks):
    Unsubscribe.all_tenants.create(tenant=tenant, email="Erin@Falcon.example")
    survey = start(tenant, SurveyFactory(tenant=tenant, target_roles=["executive", "business"]), django_capture_on_commit_callbacks)
    assert sent_to() == ["bo@falcon.example"]
    assert SurveySend.all_tenants.get(survey=survey, email="erin@falcon.example").skip_reason == "unsubscribed"
    with tenant_context(tenant), django_capture_on_commit_callbacks(execute=True):
        survey_services.csat_for_resolved_ticket(payload={"ticket_id": 5, "account_id": book["exec"].account_id,
                                                          "contact_id": book["exec"].pk, "requester_email": None})
    assert sent_to() == ["bo@falcon.example"]


def test_a_failed_address_is_counted_and_the_rest_still_go(tenant, book, django_capture_on_commit_callbacks, monkeypatch):
    real = survey_sending.build_message

    def build(survey, send):
        if send.email.startswith("bo@"):
            raise ValueError("bad header")
        return real(survey, send)

    monkeypatch.setattr(survey_sending, "build_message", build)
    survey = start(tenant, SurveyFactory(tenant=tenant, target_roles=["executive", "business"]), django_capture_on_commit_callbacks)
    assert sent_to() == ["erin@falcon.example"]
    assert (survey.sent_count, survey.failed_count, survey.status) == (1, 1, SurveyStatus.SENT)
    assert "bad header" in SurveySend.all_tenants.get(email="bo@falcon.example").error


def test_ticket_csat_once_per_ticket_and_once_per_contact_in_7_days(tenant, book, django_capture_on_commit_callbacks):
    def resolved(ticket_id, contact=None, email=None, when=NOW):
        with time_machine.travel(when, tick=False), tenant_context(tenant), django_capture_on_commit_callbacks(execute=True):
            send = survey_services.csat_for_resolved_ticket(payload={
                "ticket_id": ticket_id, "account_id": book["tech"].account_id,
                "contact_id": contact.pk if contact else None, "requester_email": email})
        return send and SurveySend.all_tenants.get(pk=send.pk)

    first = resolved(1, contact=book["tech"])
    assert sent_to() == ["ted@heron.example"] and first.status == SendStatus.SENT and first.occasion == "ticket:1"
    resolved(1, contact=book["tech"])  # resolved again (reopened): surveyed once per ticket
    assert len(mail.outbox) == 1
    second = resolved(2, email="ted@heron.example", when=NOW + timedelta(days=6))
    assert (second.status, second.skip_reason, second.contact_id) == (SendStatus.SKIPPED, "csat_recently", book["tech"].pk)
    third = resolved(3, contact=book["tech"], when=NOW + timedelta(days=7, minutes=1))
    assert third.status == SendStatus.SENT and len(mail.outbox) == 2
    assert resolved(4) is None  # nobody to ask
    survey = Survey.all_tenants.get(automatic=True, purpose="csat_ticket")
    assert (survey.recipients, survey.sent_count, survey.skipped_count) == (3, 2, 1)


def test_ticket_csat_can_be_switched_off(tenant, book, django_capture_on_commit_callbacks):
    AdvocacySettings.all_tenants.create(tenant=tenant, csat_on_ticket_resolved=False)
    with tenant_context(tenant), django_capture_on_commit_callbacks(execute=True):
        assert survey_services.csat_for_resolved_ticket(payload={
            "ticket_id": 1, "account_id": book["tech"].account_id, "contact_id": book["tech"].pk}) is None
    assert not mail.outbox


def test_post_implementation_sends_on_day_30_60_90(tenant, book, django_capture_on_commit_callbacks):
    account = book["exec"].account
    with tenant_context(tenant):
        added = survey_services.post_implementation_for_go_live(
            payload={"plan_id": 7, "account_id": account.pk, "went_live_on": "2026-12-01"})
        assert added == 6  # 2 contacts x 3 milestones
        assert survey_services.post_implementation_for_go_live(
            payload={"plan_id": 7, "account_id": account.pk, "went_live_on": "2026-12-01"}) == 0  # repeated event
    for day, expected in ((29, 0), (30, 2), (31, 0), (60, 2), (89, 0), (90, 2), (91, 0)):
        with time_machine.travel(NOW + timedelta(days=day), tick=False), tenant_context(tenant):
            before = len(mail.outbox)
            with django_capture_on_commit_callbacks(execute=True):
                survey_services.surveys_send_due()
            assert len(mail.outbox) - before == expected, day
    # The milestones are 30 days apart: the fatigue limit (fewer than 30 days) never skips the next one.
    sends = SurveySend.all_tenants.filter(purpose="post_implementation")
    assert set(sends.values_list("occasion", flat=True)) == {"plan:7:30", "plan:7:60", "plan:7:90"}
    assert set(sends.values_list("status", flat=True)) == {SendStatus.SENT}


def test_a_planned_send_to_a_contact_who_left_or_a_churned_account_is_skipped(tenant, book, django_capture_on_commit_callbacks):
    account = book["exec"].account
    with tenant_context(tenant):
        survey_services.post_implementation_for_go_live(payload={"plan_id": 8, "account_id": account.pk, "went_live_on": "2026-12-01"})
    book["exec"].left_company = True
    with tenant_context(tenant):
        book["exec"].save()
    with time_machine.travel(NOW + timedelta(days=30), tick=False), tenant_context(tenant), django_capture_on_commit_callbacks(execute=True):
        survey_services.surveys_send_due()
    assert sent_to() == ["bo@falcon.example"]
    assert SurveySend.all_tenants.get(email="erin@falcon.example", occasion="plan:8:30").skip_reason == "no_longer_a_customer_contact"


def test_a_scheduled_campaign_starts_when_due(tenant, book, django_capture_on_commit_callbacks):
    with tenant_context(tenant):
        survey = survey_services.survey_create(actor=None, name="Q1 NPS", target_roles=["executive"],
                                               scheduled_for=NOW + timedelta(hours=2))
        assert survey.status == SurveyStatus.SCHEDULED and survey.question.startswith("How likely")
        with django_capture_on_commit_callbacks(execute=True):
            assert survey_services.surveys_send_due()["started"] == 0
        with time_machine.travel(NOW + timedelta(hours=2), tick=False), django_capture_on_commit_callbacks(execute=True):
            assert survey_services.surveys_send_due()["started"] == 1
    assert sent_to() == ["erin@falcon.example"]


@pytest.mark.parametrize(("data", "field"), [
    ({"name": " "}, "name"), ({"target_roles": ["boss"]}, "target_roles"), ({"question": "x" * 301}, "question"),
    ({"scheduled_for": NOW - timedelta(minutes=1)}, "scheduled_for"), ({"purpose": "ces"}, "purpose"),
])
def test_campaign_input_is_checked(tenant, data, field):
    with tenant_context(tenant), pytest.raises(DomainError) as error:
        survey_services.survey_create(actor=None, **{"name": "Q", **data})
    assert error.value.field == field
