"""Recording a response as production runs it (tests/transactional_support.py): the response, its timeline
entry and the detractor CTA commit together or not at all; two submissions of one survey link at once
record one response and open one CTA."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from accounts.models import Activity, Task
from advocacy import response_services
from advocacy.models import SurveyResponse, SurveySend
from tenancy.context import tenant_context
from tests.factories import AccountFactory, SurveyFactory, SurveySendFactory
from tests.transactional_support import Boom, autocommit, boom, committed  # noqa: F401 (fixture)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("autocommit")]


@pytest.fixture
def account(tenant, alice):
    return AccountFactory(tenant=tenant, csm=alice)


def counts():
    return committed(lambda: (SurveyResponse.all_tenants.count(), Activity.all_tenants.filter(source="advocacy").count(),
                              Task.all_tenants.count()))


def test_the_api_commits_response_timeline_and_cta_together(api, account):
    response = api.post("/api/v1/survey-responses/", {"account": account.pk, "kind": "nps", "score": 2,
                                                      "responded_at": "2026-01-01T00:00:00Z"}, format="json")
    assert response.status_code == 201
    assert counts() == (1, 1, 1)


def test_a_failure_midway_writes_nothing(tenant, account, monkeypatch):
    monkeypatch.setattr(response_services, "cta_open_bulk", boom)
    with tenant_context(tenant), pytest.raises(Boom):
        response_services.response_record(account=account, kind="csat", score=1)
    assert counts() == (0, 0, 0)


def test_two_concurrent_answers_to_one_link_record_one_response_and_one_cta(tenant, account):
    send = SurveySendFactory(survey=SurveyFactory(tenant=tenant), account=account)
    barrier, results, errors = threading.Barrier(2), [], []

    def answer(score):
        try:
            with tenant_context(tenant):
                barrier.wait()
                results.append(response_services.response_record_for_send(send=send, score=score)[1])
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=answer, args=(score,)) for score in (3, 4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors and sorted(results) == [False, True]
    assert counts() == (1, 1, 1)
    assert committed(lambda: SurveySend.all_tenants.get(pk=send.pk).response_id) is not None
