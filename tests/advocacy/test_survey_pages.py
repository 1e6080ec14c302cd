"""Survey pages: campaigns (list, create with the tenant's default wording, edit, preview, send with live
progress), the responses list's filters, the NPS / CSAT report (charts with their tables, breakdowns), the
account page's survey history; roles, 404 across tenants and constant query counts."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from accounts.models import Account
from advocacy.models import AdvocacySettings, Survey, SurveyStatus
from tenancy.models import Role
from tests.factories import AccountFactory, ContactFactory, SurveyFactory, SurveyResponseFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel("2026-12-01 12:00:00+00:00", tick=False):
        yield


@pytest.fixture
def account(tenant, alice):
    account = AccountFactory(tenant=tenant, name="Falcon Networks", csm=alice, tier="Gold")
    ContactFactory(account=account, name="Erin Exec", email="erin@falcon.example", role="executive")
    return account


def test_nav_has_advocacy_and_its_two_areas_link_each_other(alice_client):
    body = alice_client.get(reverse("dashboard")).content.decode()
    assert '<a href="/surveys/report/" >Advocacy</a>' in body
    surveys = alice_client.get(reverse("surveys:report")).content.decode()
    assert '<a href="/surveys/report/" aria-current="page">Advocacy</a>' in surveys
    assert '<a href="/advocacy/references/">Reference program</a>' in surveys
    references = alice_client.get("/advocacy/references/").content.decode()
    assert '<a href="/surveys/report/" aria-current="page">Advocacy</a>' in references
    assert '<a href="/surveys/report/">Surveys</a>' in references


def test_create_a_campaign_with_default_wording_then_send_it(alice_client, account, django_capture_on_commit_callbacks):
    page = alice_client.get(reverse("surveys:create"))
    assert page.status_code == 200 and b'name="target_roles"' in page.content
    response = alice_client.post(reverse("surveys:create"), {"name": "Q4 NPS", "target_roles": ["executive"]})
    survey = Survey.all_tenants.get()
    assert response.status_code == 302 and response["Location"] == reverse("surveys:detail", args=[survey.pk])
    assert survey.question == "How likely are you to recommend us to a friend or colleague?"
    detail = alice_client.get(response["Location"])
    assert b"Email preview" in detail.content and b"Send now" in detail.content
    # The HTML email sits escaped in the preview frame's srcdoc (a raw quote would end the attribute).
    assert b'srcdoc="&lt;!doctype html&gt;' in detail.content
    with django_capture_on_commit_callbacks(execute=True):
        sent = alice_client.post(reverse("surveys:send", args=[survey.pk]))
    assert sent.status_code == 302 and [m.to for m in mail.outbox] == [["erin@falcon.example"]]
    survey.refresh_from_db()
    assert survey.status == SurveyStatus.SENT
    progress = alice_client.get(reverse("surveys:progress", args=[survey.pk]))
    assert b'id="stat-sent"' in progress.content and b"hx-trigger" not in progress.content  # done: no more polling
    again = alice_client.post(reverse("surveys:send", args=[survey.pk]), follow=True)
    assert b"already sending or sent" in again.content and len(mail.outbox) == 1
    listing = alice_client.get(reverse("surveys:campaigns"))
    assert b"Q4 NPS" in listing.content and b"0.0%" in listing.content


def test_a_sending_campaign_polls_its_progress(alice_client, tenant):
    survey = SurveyFactory(tenant=tenant, status="sending", recipients=10, sent_count=4)
    page = alice_client.get(reverse("surveys:progress", args=[survey.pk]))
    assert b'hx-trigger="every 2s"' in page.content and b"4 of 10 processed (40%)" in page.content


def test_bad_campaign_input_is_shown_and_saves_nothing(alice_client):
    response = alice_client.post(reverse("surveys:create"), {"name": "Q", "scheduled_for": "2020-01-01T10:00"})
    assert response.status_code == 400 and b"Schedule it in the future" in response.content
    assert not Survey.all_tenants.exists()


def test_edit_a_draft(alice_client, tenant):
    survey = SurveyFactory(tenant=tenant)
    response = alice_client.post(reverse("surveys:edit", args=[survey.pk]), {
        "name": "Renamed", "question": "Would you recommend Acme?", "email_subject": "Hi", "email_body": "Body"})
    assert response.status_code == 302
    survey.refresh_from_db()
    assert (survey.name, survey.question) == ("Renamed", "Would you recommend Acme?")


def test_a_viewer_reads_but_cannot_create_or_send(client, member, tenant, account):
    viewer = member(Role.VIEWER)
    client.force_login(viewer)
    survey = SurveyFactory(tenant=tenant)
    assert client.get(reverse("surveys:campaigns")).status_code == 200
    assert b"Send now" not in client.get(reverse("surveys:detail", args=[survey.pk])).content
    assert client.get(reverse("surveys:create")).status_code == 403
    assert client.post(reverse("surveys:send", args=[survey.pk])).status_code == 403
    assert not mail.outbox


def test_responses_filters(alice_client, tenant, account):
    big = AccountFactory(tenant=tenant, name="Big Heron", arr=900_000)
    SurveyResponseFactory(account=account, kind="nps", score=2, comment="detractor comment",
                          responded_at=datetime(2026, 11, 2, tzinfo=UTC))
    SurveyResponseFactory(account=account, kind="nps", score=10, comment="promoter comment",
                          responded_at=datetime(2026, 10, 2, tzinfo=UTC))
    SurveyResponseFactory(account=big, kind="csat", score=5, comment="csat comment",
                          responded_at=datetime(2026, 11, 20, tzinfo=UTC))
    url = reverse("surveys:responses")

    def shown(**params):
        body = alice_client.get(url, params).content.decode()
        return {c for c in ("detractor comment", "promoter comment", "csat comment") if c in body}

    assert shown() == {"detractor comment", "promoter comment", "csat comment"}
    assert shown(kind="csat") == {"csat comment"}
    assert shown(category="detractor") == {"detractor comment"}
    assert shown(segment=big.segment) == {"csat comment"}
    assert shown(start="2026-11-01", end="2026-11-10") == {"detractor comment"}


def test_report_charts_tables_and_breakdowns(alice_client, tenant, account):
    for score in (10, 9, 3):
        SurveyResponseFactory(account=account, kind="nps", score=score, responded_at=datetime(2026, 11, 5, tzinfo=UTC))
    SurveyResponseFactory(account=account, kind="csat", score=4, responded_at=datetime(2026, 10, 5, tzinfo=UTC))
    page = alice_client.get(reverse("surveys:report"))
    body = page.content.decode()
    assert page.status_code == 200 and body.count('role="img"') == 2 and "<polyline" in body
    assert '<th scope="row">Nov 2026</th><td class="num">3</td><td class="num">2</td><td class="num">0</td><td class="num">1</td><td class="num">33.3</td>' in body
    assert 'id="nps-now">33.3<' in body
    by_csm = alice_client.get(reverse("surveys:report"), {"by": "csm"}).content.decode()
    assert "Alice Admin" in by_csm
    assert "Gold" in alice_client.get(reverse("surveys:report"), {"by": "tier"}).content.decode()
    Account.all_tenants.filter(pk=account.pk).update(segment="mid_market")
    by_segment = alice_client.get(reverse("surveys:report")).content.decode()
    assert '<th scope="row">Mid-Market</th>' in by_segment and "mid_market</th>" not in by_segment
    assert '<option value="mid_market">Mid-Market</option>' in by_segment


def test_the_account_page_shows_the_survey_history(alice_client, account):
    SurveyResponseFactory(account=account, kind="nps", score=9, comment="Love the product",
                          responded_at=datetime(2026, 11, 5, tzinfo=UTC))
    body = alice_client.get(reverse("accounts:detail", args=[account.pk])).content.decode()
    assert 'id="survey-panel"' in body and "Latest NPS answer <strong>9</strong> (promoter)" in body
    assert "Love the product" in body


@pytest.mark.parametrize("n", [3, 30])
def test_queries_do_not_grow(alice_client, tenant, account, n, django_assert_max_num_queries):
    for i in range(n):
        other = AccountFactory(tenant=tenant)
        SurveyResponseFactory(account=other, kind="nps" if i % 2 else "csat", score=4,
                              contact=ContactFactory(account=other))
        SurveyFactory(tenant=tenant, name=f"Campaign {i}")
    for url, bound in ((reverse("surveys:campaigns"), 8), (reverse("surveys:responses"), 10),
                       (reverse("surveys:report"), 12), (reverse("surveys:report") + "?by=csm", 13)):
        with django_assert_max_num_queries(bound, info=url):
            assert alice_client.get(url).status_code == 200


def test_another_tenants_campaign_is_404(alice_client, other_tenant):
    theirs = SurveyFactory(tenant=other_tenant)
    for name in ("surveys:detail", "surveys:edit", "surveys:progress"):
        assert alice_client.get(reverse(name, args=[theirs.pk])).status_code == 404
    assert alice_client.post(reverse("surveys:send", args=[theirs.pk])).status_code == 404
    assert Survey.all_tenants.get(pk=theirs.pk).status == "draft"


def test_settings_page(alice_client, client, member, tenant):
    page = alice_client.get(reverse("surveys:settings"))
    assert page.status_code == 200 and b'value="30, 60, 90"' in page.content
    bad = alice_client.post(reverse("surveys:settings"), {"fatigue_days": "-1", "csat_contact_days": "7",
                                                          "link_max_age_days": "30", "post_implementation_days": "30, x"})
    assert bad.status_code == 400 and not AdvocacySettings.all_tenants.exists()
    saved = alice_client.post(reverse("surveys:settings"), {
        "fatigue_days": "45", "csat_contact_days": "14", "link_max_age_days": "20", "post_implementation_days": "90, 30"})
    assert saved.status_code == 302
    stored = AdvocacySettings.all_tenants.get(tenant=tenant)
    assert (stored.fatigue_days, stored.csat_contact_days, stored.link_max_age_days, stored.csat_on_ticket_resolved,
            stored.post_implementation_days) == (45, 14, 20, False, [30, 90])
    client.force_login(member(Role.CSM))
    assert client.get(reverse("surveys:settings")).status_code == 200
    assert client.post(reverse("surveys:settings"), {"fatigue_days": "1"}).status_code == 403
    assert AdvocacySettings.all_tenants.get(tenant=tenant).fatigue_days == 45
