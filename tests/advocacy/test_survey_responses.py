"""Survey responses (API.md "Surveys and advocacy"): recording through the API (classification, timeline,
the detractor CTA once per response), the list's filters, and the NPS and CSAT metrics on known data."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Activity, Task, TaskStatus
from advocacy import response_services, survey_selectors
from advocacy.models import SurveyResponse
from tenancy.models import Role
from tests.factories import (
    AccountFactory,
    ContactFactory,
    MembershipFactory,
    SurveyFactory,
    SurveyResponseFactory,
    SurveySendFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
RESPONSES = "/api/v1/survey-responses/"
NPS = "/api/v1/metrics/nps/"
CSAT = "/api/v1/metrics/csat/"
NOW = "2026-12-01 12:00:00+00:00"


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def csm(tenant):
    user = UserFactory(email="carla@acme.example", full_name="Carla CSM")
    MembershipFactory(tenant=tenant, user=user, role=Role.CSM)
    return user


@pytest.fixture
def account(tenant, csm):
    return AccountFactory(tenant=tenant, name="Falcon Networks", csm=csm)


def post(api, **body):
    body.setdefault("responded_at", "2026-11-30T10:00:00Z")
    return api.post(RESPONSES, body, format="json")


def test_a_promoter_is_recorded_on_the_timeline_without_a_cta(api, account):
    contact = ContactFactory(account=account, name="Dana Buyer")
    response = post(api, account=account.pk, contact=contact.pk, kind="nps", score=10, comment="Great support")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["category"] == "promoter" and body["score"] == 10 and body["contact"] == contact.pk
    activity = Activity.all_tenants.get(ref_type="survey_response", ref_id=body["id"])
    assert activity.subject == "Survey response: NPS 10 (promoter) from Dana Buyer"
    assert activity.body == "Great support" and activity.account_id == account.pk
    assert not Task.all_tenants.filter(account=account).exists()


@pytest.mark.parametrize(("kind", "score"), [("nps", 0), ("nps", 6), ("csat", 1), ("csat", 2)])
def test_a_detractor_or_low_csat_opens_one_cta_for_the_csm_due_within_48_hours(api, account, csm, kind, score):
    response = post(api, account=account.pk, kind=kind, score=score, comment="Slow answers")
    assert response.status_code == 201
    task = Task.all_tenants.get(account=account)
    assert task.owner_id == csm.pk and task.status == TaskStatus.OPEN and task.priority == "high"
    assert task.dedupe_key == f"survey-response:{response.json()['id']}"
    assert task.due_date == date(2026, 12, 3)  # recorded 2026-12-01 12:00 UTC + 48 hours
    assert task.description == "Slow answers"
    # A second response opens its own CTA; each response exactly one.
    post(api, account=account.pk, kind=kind, score=score)
    assert Task.all_tenants.filter(account=account).count() == 2


@pytest.mark.parametrize(("kind", "score"), [("nps", 7), ("nps", 8), ("nps", 9), ("csat", 3), ("csat", 4), ("csat", 5)])
def test_no_cta_above_the_alert_scores(api, account, kind, score):
    assert post(api, account=account.pk, kind=kind, score=score).status_code == 201
    assert not Task.all_tenants.filter(account=account).exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "nps", "score": 11}, "score"), ({"kind": "nps", "score": -1}, "score"),
        ({"kind": "csat", "score": 0}, "score"), ({"kind": "csat", "score": 6}, "score"),
        ({"kind": "csat", "score": "x"}, "score"), ({"kind": "ces", "score": 3}, "kind"),
        ({"kind": "nps", "score": 5, "responded_at": "2027-01-01T00:00:00Z"}, "responded_at"),
        ({"kind": "nps", "score": 5, "responded_at": "yesterday"}, "responded_at"),
    ],
)
def test_bad_input_is_400_naming_the_field_and_writes_nothing(api, account, body, field):
    response = post(api, account=account.pk, **body)
    assert response.status_code == 400 and field in response.json(), response.content
    assert not SurveyResponse.all_tenants.exists() and not Activity.all_tenants.exists()


def test_the_contact_must_belong_to_the_account(api, account, tenant, other_tenant):
    elsewhere = ContactFactory(account=AccountFactory(tenant=tenant))
    response = post(api, account=account.pk, contact=elsewhere.pk, kind="nps", score=3)
    assert response.status_code == 400 and "contact" in response.json()
    theirs = ContactFactory(account=AccountFactory(tenant=other_tenant))
    response = post(api, account=account.pk, contact=theirs.pk, kind="nps", score=3)
    assert response.status_code == 400 and "contact" in response.json()
    assert not SurveyResponse.all_tenants.exists() and not Task.all_tenants.exists()


def test_another_tenants_account_is_refused(api, other_tenant):
    theirs = AccountFactory(tenant=other_tenant)
    response = post(api, account=theirs.pk, kind="nps", score=3)
    assert response.status_code == 400 and "account" in response.json()
    assert not SurveyResponse.all_tenants.exists()


def test_a_read_only_key_cannot_record(api_readonly, account):
    assert post(api_readonly, account=account.pk, kind="nps", score=3).status_code == 403


def test_the_list_filters_by_account_kind_and_dates(api, account, tenant):
    other = AccountFactory(tenant=tenant)
    a = SurveyResponseFactory(account=account, kind="nps", score=3, responded_at=datetime(2026, 10, 1, tzinfo=UTC))
    b = SurveyResponseFactory(account=account, kind="csat", score=5, responded_at=datetime(2026, 11, 1, tzinfo=UTC))
    c = SurveyResponseFactory(account=other, kind="nps", score=10, responded_at=datetime(2026, 11, 2, tzinfo=UTC))

    def ids(**params):
        response = api.get(RESPONSES, params)
        assert response.status_code == 200
        return [row["id"] for row in response.json()["results"]]

    assert ids() == [c.pk, b.pk, a.pk]
    assert ids(account=account.pk) == [b.pk, a.pk]
    assert ids(kind="nps") == [c.pk, a.pk]
    assert ids(responded_after="2026-10-15T00:00:00Z", responded_before="2026-11-02T00:00:00Z") == [b.pk]
    assert api.get(RESPONSES, {"kind": "ces"}).status_code == 400


# --- metrics -------------------------------------------------------------------------------------------


@pytest.fixture
def book(tenant, account):
    """November 2026: NPS 10, 9, 8, 6, 0 (2 promoters, 1 passive, 2 detractors) and CSAT 5, 4, 2."""
    big = AccountFactory(tenant=tenant, arr=500_000)
    assert big.segment != account.segment
    day = datetime(2026, 11, 10, 12, tzinfo=UTC)
    for score in (10, 9, 8, 6, 0):
        SurveyResponseFactory(account=account, kind="nps", score=score, responded_at=day)
    for score in (5, 4, 2):
        SurveyResponseFactory(account=account, kind="csat", score=score, responded_at=day)
    SurveyResponseFactory(account=big, kind="nps", score=10, responded_at=day)
    SurveyResponseFactory(account=account, kind="nps", score=0, responded_at=datetime(2026, 10, 31, 23, 59, tzinfo=UTC))
    SurveyResponseFactory(account=account, kind="nps", score=0, responded_at=datetime(2026, 12, 1, 0, 0, tzinfo=UTC))
    return big


def test_nps_on_known_data(api, book, account):
    response = api.get(NPS, {"start": "2026-11-01", "end": "2026-11-30"})
    assert response.status_code == 200
    # 6 answers: 3 promoters, 1 passive, 2 detractors: 50% - 33.3% = 16.7 (exactly 16.666...)
    assert response.json() == {"responses": 6, "promoters": 3, "passives": 1, "detractors": 2, "nps": 16.7,
                               "response_rate": None}
    by_segment = api.get(NPS, {"start": "2026-11-01", "end": "2026-11-30", "segment": account.segment}).json()
    assert by_segment == {"responses": 5, "promoters": 2, "passives": 1, "detractors": 2, "nps": 0.0,
                          "response_rate": None}


def test_the_window_is_whole_days_in_the_tenant_time_zone(api, book, tenant):
    assert api.get(NPS, {"start": "2026-10-31", "end": "2026-10-31"}).json()["detractors"] == 1
    assert api.get(NPS, {"start": "2026-12-01", "end": "2026-12-01"}).json()["responses"] == 1
    tenant.timezone = "America/New_York"  # 2026-10-31 23:59 UTC is still the 31st there, 2026-12-01 00:00 UTC the 30th
    tenant.save()
    assert api.get(NPS, {"start": "2026-11-01", "end": "2026-11-30"}).json()["responses"] == 7
    assert api.get(NPS, {"start": "2026-11-30", "end": "2026-11-30"}).json()["responses"] == 1


def test_csat_on_known_data(api, book):
    response = api.get(CSAT, {"start": "2026-11-01", "end": "2026-11-30"})
    assert response.json() == {"responses": 3, "average": 3.67, "satisfied": 66.7, "response_rate": None}


def test_empty_window_is_null(api, book):
    assert api.get(NPS, {"start": "2020-01-01", "end": "2020-12-31"}).json() == {
        "responses": 0, "promoters": 0, "passives": 0, "detractors": 0, "nps": None, "response_rate": None,
    }
    assert api.get(CSAT, {"start": "2020-01-01", "end": "2020-12-31"}).json() == {
        "responses": 0, "average": None, "satisfied": None, "response_rate": None,
    }


def test_response_rate_is_answered_share_of_sent_in_the_window(api, tenant, account):
    survey = SurveyFactory(tenant=tenant, kind="nps")
    sent_at = datetime(2026, 11, 5, 9, tzinfo=UTC)
    sends = [SurveySendFactory(survey=survey, account=account, sent_at=sent_at) for _ in range(3)]
    SurveySendFactory(survey=survey, account=account, sent_at=datetime(2026, 9, 1, tzinfo=UTC))  # outside
    with time_machine.travel("2026-11-06 10:00:00+00:00", tick=False):
        from tenancy.context import tenant_context
        with tenant_context(tenant):
            response_services.response_record_for_send(send=sends[0], score=9)
    body = api.get(NPS, {"start": "2026-11-01", "end": "2026-11-30"}).json()
    assert body["response_rate"] == 33.3 and body["responses"] == 1
    assert api.get(CSAT, {"start": "2026-11-01", "end": "2026-11-30"}).json()["response_rate"] is None


def test_default_window_is_the_last_90_days(api, book):
    assert api.get(NPS).json()["responses"] == 8  # 2026-09-03 .. 2026-12-01: all but none excluded


@pytest.mark.parametrize(
    ("params", "field"),
    [({"start": "2026-02-30"}, "start"), ({"end": "x"}, "end"), ({"start": "2026-11-02", "end": "2026-11-01"}, "end"),
     ({"segment": "galactic"}, "segment")],
)
def test_metric_bad_input(api, params, field):
    for url in (NPS, CSAT):
        response = api.get(url, params)
        assert response.status_code == 400 and field in response.json(), (url, response.content)


def test_the_metric_is_one_query_whatever_the_data(api, book, in_tenant):
    window = survey_selectors.Window(start=date(2026, 1, 1), end=date(2026, 12, 31))
    with CaptureQueriesContext(connection) as queries:
        survey_selectors.nps_metric(window=window, segment="smb")
    assert len(queries) == 1


def test_metrics_see_only_the_callers_tenant(api, other_api, book):
    assert other_api.get(NPS, {"start": "2026-11-01", "end": "2026-11-30"}).json()["responses"] == 0
    assert other_api.get(RESPONSES).json()["results"] == []


def test_retrieve_and_cross_tenant_404(api, other_api, account):
    created = post(api, account=account.pk, kind="csat", score=4).json()
    assert api.get(f"{RESPONSES}{created['id']}/").json()["score"] == 4
    assert other_api.get(f"{RESPONSES}{created['id']}/").status_code == 404
