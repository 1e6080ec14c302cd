"""Sending as production runs it (tests/transactional_support.py): the campaign starts, its recipients and
its batch messages commit together (the batches run on commit), two workers on one batch send each email
once, and a campaign that fails to start leaves nothing behind."""

from __future__ import annotations

import threading

import pytest
from django.core import mail
from django.db import connection

from advocacy import survey_sending, survey_services
from advocacy.models import SendStatus, Survey, SurveySend, SurveyStatus
from tenancy.context import tenant_context
from tests.factories import AccountFactory, ContactFactory, SurveyFactory
from tests.transactional_support import Boom, autocommit, boom, committed  # noqa: F401 (fixture)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("autocommit")]


@pytest.fixture
def survey(tenant):
    account = AccountFactory(tenant=tenant)
    for n in range(6):
        ContactFactory(account=account, email=f"c{n}@falcon.example")
    return SurveyFactory(tenant=tenant)


def test_send_commits_recipients_and_runs_the_batches_on_commit(tenant, survey):
    with tenant_context(tenant):
        survey_services.survey_send(survey=survey)
    assert len(mail.outbox) == 6
    assert committed(lambda: (Survey.all_tenants.get(pk=survey.pk).status, Survey.all_tenants.get(pk=survey.pk).sent_count)) == (
        SurveyStatus.SENT, 6)


def test_a_failure_while_starting_leaves_the_campaign_a_draft(tenant, survey, monkeypatch):
    monkeypatch.setattr(survey_services, "_enqueue_batches", boom)
    with tenant_context(tenant), pytest.raises(Boom):
        survey_services.survey_send(survey=survey)
    assert committed(lambda: (Survey.all_tenants.get(pk=survey.pk).status, SurveySend.all_tenants.count())) == (
        SurveyStatus.DRAFT, 0)
    assert not mail.outbox


def test_two_workers_on_one_batch_send_each_email_once(tenant, survey):
    with tenant_context(tenant):
        Survey.objects.filter(pk=survey.pk).update(status=SurveyStatus.SENDING)
        survey_sending.recipients_materialize(survey)
        [(first, last)] = survey_sending.batch_ranges(survey)
    barrier, results, errors = threading.Barrier(2), [], []

    def work():
        try:
            with tenant_context(tenant):
                barrier.wait()
                results.append(survey_sending.send_batch(survey=survey, first=first, last=last)["sent"])
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors and sum(results) == 6 and len(mail.outbox) == 6
    assert sorted({m.to[0] for m in mail.outbox}) == [f"c{n}@falcon.example" for n in range(6)]
    assert committed(lambda: set(SurveySend.all_tenants.values_list("status", flat=True))) == {SendStatus.SENT}
    assert committed(lambda: Survey.all_tenants.get(pk=survey.pk).status) == SurveyStatus.SENT
