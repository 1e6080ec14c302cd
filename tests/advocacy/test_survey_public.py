"""The public response page and the unsubscribe page, reached by signed links without signing in: answered
once (a second visit shows the answer, a resubmission changes nothing), expired / tampered / another
tenant's / wrong-purpose tokens refused with a clear page (410 / 404, never a 500), and a real POST with
Django's CSRF check on, as a customer's browser sends it."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core import signing
from django.test import Client

from accounts.models import Activity, Task
from advocacy import survey_links
from advocacy.models import AdvocacySettings, SurveyResponse, SurveySend, Unsubscribe
from tests.factories import AccountFactory, ContactFactory, SurveyFactory, SurveySendFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def send(tenant, alice):
    account = AccountFactory(tenant=tenant, csm=alice, name="Falcon")
    contact = ContactFactory(account=account, name="Erin Exec", email="erin@falcon.example")
    survey = SurveyFactory(tenant=tenant, question="How likely are you to recommend Acme?")
    return SurveySendFactory(survey=survey, account=account, contact=contact, email=contact.email)


@pytest.fixture
def browser():
    """An anonymous browser with Django's CSRF check enforced (no session, no sign-in)."""
    return Client(enforce_csrf_checks=True)


def url(send):
    return survey_links.respond_path(send)


def answer(browser, link, **data):
    page = browser.get(link)
    token = page.cookies["csrftoken"].value if "csrftoken" in page.cookies else browser.cookies["csrftoken"].value
    return browser.post(link, {"csrfmiddlewaretoken": token, **data})


def test_the_page_shows_the_question_and_records_the_answer_once(browser, send, alice):
    link = url(send)
    page = browser.get(link)
    assert page.status_code == 200 and b"How likely are you to recommend Acme?" in page.content
    assert page.content.count(b'type="radio" name="score"') == 11 and b'name="csrfmiddlewaretoken"' in page.content
    response = answer(browser, link, score="3", comment="Too many outages")
    assert response.status_code == 200 and b"Thank you" in response.content
    recorded = SurveyResponse.all_tenants.get()
    assert (recorded.score, recorded.comment, recorded.kind, recorded.contact_id) == (3, "Too many outages", "nps", send.contact_id)
    assert SurveySend.all_tenants.get(pk=send.pk).response_id == recorded.pk
    assert Activity.all_tenants.filter(ref_type="survey_response", ref_id=recorded.pk).count() == 1
    assert Task.all_tenants.get().owner_id == alice.pk
    # Second visit: the answer recorded; a resubmission changes nothing.
    again = browser.get(link)
    assert b"You already answered" in again.content and b'id="recorded-score">3<' in again.content
    assert b'type="radio"' not in again.content
    resubmitted = answer(browser, link, score="10", comment="changed my mind")
    assert resubmitted.status_code == 200 and b'id="recorded-score">3<' in resubmitted.content
    assert SurveyResponse.all_tenants.count() == 1 and Task.all_tenants.count() == 1
    assert SurveyResponse.all_tenants.get().score == 3


def test_a_post_without_the_csrf_token_is_refused(browser, send):
    assert browser.post(url(send), {"score": "9"}).status_code == 403
    assert not SurveyResponse.all_tenants.exists()


def test_the_score_from_the_email_is_preselected(browser, send):
    page = browser.get(url(send) + "?score=9")
    assert b'id="score-9" value="9" required checked' in page.content
    assert b"checked" not in browser.get(url(send) + "?score=x").content


@pytest.mark.parametrize("score", ["", "11", "-1", "seven", "3.5"])
def test_a_bad_score_shows_the_form_again_and_records_nothing(browser, send, score):
    response = answer(browser, url(send), score=score, comment="kept")
    assert response.status_code == 400 and b'role="alert"' in response.content and b">kept</textarea>" in response.content
    assert not SurveyResponse.all_tenants.exists()


def test_csat_pages_have_five_options(browser, tenant, send):
    csat = SurveySendFactory(survey=SurveyFactory(tenant=tenant, kind="csat", purpose="csat_ticket"), account=send.account)
    assert browser.get(url(csat)).content.count(b'type="radio" name="score"') == 5
    answer(browser, url(csat), score="5")
    assert SurveyResponse.all_tenants.get().kind == "csat"


def test_an_expired_link_is_a_clear_410(browser, send, tenant):
    link = url(send)
    with time_machine.travel(timedelta(days=30, minutes=1)):
        response = browser.get(link)
        assert response.status_code == 410 and b"This survey link has expired" in response.content
        assert answer(browser, link, score="9").status_code == 410
    assert not SurveyResponse.all_tenants.exists()
    # The lifetime is the tenant's setting.
    AdvocacySettings.all_tenants.create(tenant=tenant, link_max_age_days=60)
    with time_machine.travel(timedelta(days=45)):
        assert browser.get(link).status_code == 200


@pytest.mark.parametrize("mangle", [
    lambda t: t[:-1] + ("a" if t[-1] != "a" else "b"),
    lambda t: "x" + t,
    lambda t: "not-a-token",
    lambda t: signing.dumps({"t": 1, "s": 1, "k": "0"}, salt="wrong-salt"),
    lambda t: signing.dumps("garbage", salt=survey_links.RESPOND_SALT),
    lambda t: signing.dumps({"t": "x", "s": [], "k": None}, salt=survey_links.RESPOND_SALT),
])
def test_a_tampered_link_is_a_clear_404(browser, send, mangle):
    token = survey_links.make_token(send)
    response = browser.get(f"/s/{mangle(token)}/")
    assert response.status_code == 404 and b"This survey link is not valid" in response.content


def test_another_tenants_send_under_this_tenants_id_is_404(browser, send, other_tenant):
    theirs = SurveySendFactory(survey=SurveyFactory(tenant=other_tenant))
    forged = signing.dumps({"t": send.tenant_id, "s": theirs.pk, "k": theirs.token_id.hex},
                           salt=survey_links.RESPOND_SALT, compress=True)
    assert browser.get(f"/s/{forged}/").status_code == 404
    # A stale token id (the send's key changed) is refused too.
    stale = signing.dumps({"t": send.tenant_id, "s": send.pk, "k": "0" * 32}, salt=survey_links.RESPOND_SALT, compress=True)
    assert browser.get(f"/s/{stale}/").status_code == 404


def test_an_unsubscribe_token_does_not_answer_and_the_reverse(browser, send):
    respond_token = survey_links.make_token(send)
    unsubscribe_token = survey_links.make_token(send, salt=survey_links.UNSUBSCRIBE_SALT)
    assert browser.get(f"/s/{unsubscribe_token}/").status_code == 404
    assert browser.get(f"/s/{respond_token}/unsubscribe/").status_code == 404


def test_unsubscribe_asks_then_records_once(browser, send):
    link = survey_links.unsubscribe_path(send)
    page = browser.get(link)
    assert page.status_code == 200 and b"No more surveys?" in page.content
    assert not Unsubscribe.all_tenants.exists()  # a GET (a mail scanner) changes nothing
    token = browser.cookies["csrftoken"].value
    for _ in range(2):
        done = browser.post(link, {"csrfmiddlewaretoken": token})
        assert done.status_code == 200 and b"You are unsubscribed" in done.content
    assert list(Unsubscribe.all_tenants.values_list("email", "tenant_id")) == [("erin@falcon.example", send.tenant_id)]


def test_pages_have_no_other_tenant_data(browser, send, other_tenant):
    from tests.route_objects import MARKER, tenant_world

    tenant_world(other_tenant)
    assert MARKER not in browser.get(url(send)).content.decode().lower()
