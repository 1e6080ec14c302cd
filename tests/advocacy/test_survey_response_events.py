"""``survey.response_received`` from the API and the public survey page (both through ``response_record``),
once per response (a second submission of one link publishes nothing), never on a rollback."""

from __future__ import annotations

import pytest
from django.test import Client

from advocacy import response_services
from tenancy.context import tenant_context
from tests.advocacy.test_survey_public import answer, url
from tests.events_support import outbox_payloads, rolled_back, subscribed
from tests.factories import AccountFactory, ContactFactory, SurveyFactory, SurveySendFactory

pytestmark = pytest.mark.django_db


def test_the_api_publishes_nps_with_its_category_and_csat_without(api, tenant, published):
    account = AccountFactory(tenant=tenant, name="Falcon Networks")
    for kind, score in (("nps", 3), ("csat", 4)):
        response = api.post("/api/v1/survey-responses/", {"account": account.pk, "kind": kind, "score": score,
                                                           "comment": "Too slow", "responded_at": "2026-11-30T10:00:00Z"},
                            format="json")
        assert response.status_code == 201, response.json()
    nps, csat = published.of("survey.response_received")
    assert nps == {
        "response_id": nps["response_id"], "account_id": account.pk, "account_name": "Falcon Networks", "contact_id": None,
        "kind": "nps", "score": 3, "category": "detractor", "comment": "Too slow",
        "responded_at": "2026-11-30T10:00:00+00:00",
    }
    assert (csat["kind"], csat["score"], csat["category"]) == ("csat", 4, None)


def test_the_public_page_publishes_once(tenant, alice, published):
    account = AccountFactory(tenant=tenant, csm=alice, name="Falcon")
    contact = ContactFactory(account=account, email="erin@falcon.example")
    send = SurveySendFactory(survey=SurveyFactory(tenant=tenant), account=account, contact=contact, email=contact.email)
    browser = Client(enforce_csrf_checks=True)
    answer(browser, url(send), score="10", comment="Love it")
    answer(browser, url(send), score="2", comment="changed my mind")
    [payload] = published.of("survey.response_received")
    assert (payload["score"], payload["category"], payload["contact_id"]) == (10, "promoter", contact.pk)


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_response_publishes_nothing(tenant, monkeypatch):
    account = AccountFactory(tenant=tenant)
    with tenant_context(tenant), subscribed("survey.response_received", monkeypatch):
        rolled_back(lambda: response_services.response_record(account=account, kind="nps", score=9))
        assert outbox_payloads() == []
        response_services.response_record(account=account, kind="nps", score=9)
        assert [p["category"] for p in outbox_payloads()] == ["promoter"]
