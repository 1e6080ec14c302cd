"""Reference program pages: the pool (why / why not, recent asks, calls left), asking (capacity first, the
cap refused with nothing written), the requests board (moves by form and HTMX), willingness, the case-study
pipeline, the settings (capability-checked) and the account 360 panel; query counts do not grow."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Contact
from advocacy.models import AdvocateProfile, CaseStudy, ReferenceRequest, ReferenceSettings, SurveyResponse
from tenancy.models import Role
from tests.factories import AccountFactory, ContactFactory
from tests.factories.references import AdvocateProfileFactory, CaseStudyFactory, ReferenceRequestFactory
from tests.route_objects import fingerprint

pytestmark = pytest.mark.django_db


def promoter(tenant, name, *, willing=True, **kw):
    kw.setdefault("health_status", "green")
    kw.setdefault("customer_since", date(2020, 1, 1))
    account = AccountFactory(tenant=tenant, name=name, **kw)
    champion = ContactFactory(account=account, name=f"{name} Champion", is_champion=True)
    AdvocateProfileFactory(contact=champion, willing=willing)
    SurveyResponse.all_tenants.create(tenant=tenant, account=account, kind="nps", score=10,
                                      responded_at=timezone.now() - timedelta(days=5))
    return account


def test_pool_shows_eligible_and_one_rule_short_with_why(alice_client, tenant):
    star = promoter(tenant, "Star Corp")
    ReferenceRequestFactory(account=star, kind="reference_call", requested_at=timezone.now() - timedelta(days=3))
    promoter(tenant, "Shy Corp", willing=False)
    promoter(tenant, "Red Corp", health_status="red", willing=False)  # two rules short: not listed
    body = alice_client.get(reverse("references:pool")).content.decode()
    eligible = body[body.index('id="pool-eligible"'):body.index('id="pool-near"')]
    near = body[body.index('id="pool-near"'):]
    assert "Star Corp" in eligible and "Shy Corp" not in eligible
    assert "Reference call" in eligible and ">2 <" in eligible.replace("\n", "")  # 2 of 3 calls left
    assert "Shy Corp" in near and "No active champion marked willing" in near
    assert "Red Corp" not in body


@pytest.mark.parametrize("n", [2, 12])
def test_pool_queries_do_not_grow(alice_client, tenant, n, django_assert_max_num_queries):
    for i in range(n):
        account = promoter(tenant, f"P{i}")
        ReferenceRequestFactory(account=account, kind="webinar")
    with django_assert_max_num_queries(14):
        assert alice_client.get(reverse("references:pool")).status_code == 200


def test_ask_shows_capacity_then_requests(alice_client, tenant):
    account = promoter(tenant, "Askable")
    ReferenceRequestFactory(account=account, requested_at=timezone.now() - timedelta(days=10))
    url = reverse("references:ask", args=[account.pk])
    body = alice_client.get(url).content.decode()
    assert "<strong>2</strong> of 3 reference calls" in body
    contact = Contact.all_tenants.filter(account=account).first()
    response = alice_client.post(url, {"contact": contact.pk, "kind": "reference_call", "notes": "Fintech prospect"})
    assert response.status_code == 302
    assert ReferenceRequest.all_tenants.filter(account=account, notes="Fintech prospect").exists()


def test_ask_over_the_cap_shows_the_error_and_writes_nothing(alice_client, tenant):
    account = promoter(tenant, "Tapped out")
    for days in (1, 2, 3):
        ReferenceRequestFactory(account=account, requested_at=timezone.now() - timedelta(days=days))
    before = fingerprint(tenant)
    response = alice_client.post(reverse("references:ask", args=[account.pk]),
                                 {"contact": Contact.all_tenants.filter(account=account).first().pk, "kind": "reference_call"})
    assert response.status_code == 400
    assert "the yearly cap is 3" in response.content.decode()
    assert fingerprint(tenant) == before


def test_ask_refuses_another_accounts_contact(alice_client, tenant):
    account = promoter(tenant, "One")
    stranger = ContactFactory(account=AccountFactory(tenant=tenant))
    response = alice_client.post(reverse("references:ask", args=[account.pk]),
                                 {"contact": stranger.pk, "kind": "testimonial"})
    assert response.status_code == 400 and not ReferenceRequest.all_tenants.exists()


def test_viewer_cannot_ask_or_move(client, member, tenant):
    account = promoter(tenant, "Viewed")
    request = ReferenceRequestFactory(account=account)
    client.force_login(member(Role.VIEWER))
    assert client.get(reverse("references:ask", args=[account.pk])).status_code == 403
    assert client.post(reverse("references:request_status", args=[request.pk]), {"status": "agreed"}).status_code == 403
    assert client.get(reverse("references:board")).status_code == 200
    assert b"references/requests/" not in client.get(reverse("references:board")).content.split(b"reference-board")[1]


def test_board_moves_a_request_to_completed_on_the_timeline(alice_client, tenant):
    request = ReferenceRequestFactory(account=AccountFactory(tenant=tenant, name="Boarded"), kind="testimonial")
    url = reverse("references:request_status", args=[request.pk])
    assert alice_client.post(url, {"status": "agreed"}).status_code == 302
    assert alice_client.post(url, {"status": "completed", "outcome": "Quote on the site"}).status_code == 302
    request.refresh_from_db()
    assert (request.status, request.outcome) == ("completed", "Quote on the site")
    board = alice_client.get(reverse("references:board")).content.decode()
    completed = board[board.index('id="status-completed"'):]
    assert "Boarded" in completed and "Quote on the site" in completed
    timeline = alice_client.get(reverse("accounts:timeline", args=[request.account_id])).content.decode()
    assert "Testimonial completed" in timeline


def test_board_refused_move_says_why_and_htmx_answers_in_place(alice_client, tenant):
    request = ReferenceRequestFactory(account=AccountFactory(tenant=tenant), kind="webinar")
    url = reverse("references:request_status", args=[request.pk])
    response = alice_client.post(url, {"status": "completed"}, follow=True)
    assert "cannot move to completed" in response.content.decode()
    refused = alice_client.post(url, {"status": "completed"}, HTTP_HX_REQUEST="true")
    assert refused.status_code == 409
    moved = alice_client.post(url, {"status": "agreed"}, HTTP_HX_REQUEST="true")
    assert moved.status_code == 204 and moved["HX-Refresh"] == "true"


def test_board_filters_by_kind(alice_client, tenant):
    account = AccountFactory(tenant=tenant, name="Mixed")
    ReferenceRequestFactory(account=account, kind="webinar", notes="w")
    ReferenceRequestFactory(account=account, kind="review", notes="r")
    body = alice_client.get(reverse("references:board") + "?kind=review").content.decode()
    board = body[body.index('id="reference-board"'):]
    assert "Review" in board and "Webinar" not in board


def test_willingness_is_editable_from_the_pool(alice_client, tenant):
    account = promoter(tenant, "Toggle", willing=False)
    champion = Contact.all_tenants.get(account=account, is_champion=True)
    response = alice_client.post(reverse("references:advocate", args=[champion.pk]), {"willing": "1"})
    assert response.status_code == 302
    assert AdvocateProfile.all_tenants.get(contact=champion).willing is True
    body = alice_client.get(reverse("references:pool")).content.decode()
    assert "Toggle" in body[body.index('id="pool-eligible"'):body.index('id="pool-near"')]


def test_case_study_pipeline_and_progress(alice_client, tenant):
    account = AccountFactory(tenant=tenant, name="Storied")
    study = CaseStudyFactory(account=account, title="Ten times faster", stage="approved")
    body = alice_client.get(reverse("references:case_studies")).content.decode()
    assert "0 of 2 case studies published" in body and "Ten times faster" in body
    response = alice_client.post(reverse("references:case_study_stage", args=[study.pk]), {"stage": "published"})
    assert response.status_code == 302
    assert CaseStudy.all_tenants.get(pk=study.pk).published_at is not None
    assert "1 of 2 case studies published" in alice_client.get(reverse("references:case_studies")).content.decode()
    bad = alice_client.post(reverse("references:case_study_stage", args=[study.pk]), {"stage": "bogus"}, follow=True)
    assert "Unknown stage" in bad.content.decode()


def test_settings_saved_by_admin_and_refused_for_csm(alice_client, client, member, tenant):
    data = {"yearly_call_cap": 2, "nps_min": 8, "require_top_band": "on", "min_customer_months": 6,
            "case_study_quarterly_target": 4}
    assert alice_client.post(reverse("references:settings"), data).status_code == 302
    row = ReferenceSettings.all_tenants.get(tenant=tenant)
    assert (row.yearly_call_cap, row.nps_min, row.require_top_band, row.min_customer_months,
            row.require_willing_champion, row.case_study_quarterly_target) == (2, 8, True, 6, False, 4)
    client.force_login(member(Role.CSM))
    page = client.get(reverse("references:settings"))
    assert page.status_code == 200 and b"disabled" in page.content and b"Save settings" not in page.content
    assert client.post(reverse("references:settings"), {**data, "yearly_call_cap": 9}).status_code == 403
    assert ReferenceSettings.all_tenants.get(tenant=tenant).yearly_call_cap == 2


def test_settings_bad_input_writes_nothing(alice_client, tenant):
    before = fingerprint(tenant)
    response = alice_client.post(reverse("references:settings"), {"yearly_call_cap": -1, "nps_min": 11,
                                                                  "case_study_quarterly_target": 1})
    assert response.status_code == 400
    assert fingerprint(tenant) == before


def test_account_panel(alice_client, tenant):
    account = promoter(tenant, "Paneled")
    ReferenceRequestFactory(account=account, kind="reference_call", status="completed",
                            requested_at=timezone.now() - timedelta(days=2))
    body = alice_client.get(reverse("accounts:detail", args=[account.pk])).content.decode()
    panel = body[body.index('id="references-panel"'):]
    assert "Reference calls left: <strong>2</strong> of 3" in panel
    assert "Completed" in panel and "Ask for a reference" in panel


def test_board_keeps_the_newest_of_each_status_and_kind(in_tenant, django_assert_num_queries):
    from advocacy import reference_selectors

    account = AccountFactory(tenant=in_tenant)
    now = timezone.now()
    for i in range(4):
        ReferenceRequestFactory(account=account, kind="webinar", requested_at=now - timedelta(days=i), notes=f"w{i}")
        ReferenceRequestFactory(account=account, kind="review", requested_at=now - timedelta(hours=i), notes=f"r{i}")
    with django_assert_num_queries(1):
        board = reference_selectors.requests_board(kind="webinar", limit_per_status=3)
    assert [r.notes for r in board["requested"]] == ["w0", "w1", "w2"]
    with django_assert_num_queries(1):
        asks = reference_selectors.recent_asks([account.pk], per_account=2)
    assert [r.notes for r in asks[account.pk]] == ["r0", "w0"]  # same instant: the later id first


def test_case_study_started_from_the_account(alice_client, tenant):
    account = promoter(tenant, "Story Inc")
    champion = Contact.all_tenants.get(account=account, is_champion=True)
    url = reverse("references:case_study_start", args=[account.pk])
    assert "Start a case study" in alice_client.get(reverse("accounts:detail", args=[account.pk])).content.decode()
    assert alice_client.get(url).status_code == 200
    stranger = ContactFactory(account=AccountFactory(tenant=tenant))
    before = fingerprint(tenant)
    assert alice_client.post(url, {"title": " ", "stage": "draft"}).status_code == 400
    assert alice_client.post(url, {"title": "x", "stage": "draft", "contact": stranger.pk}).status_code == 400
    assert fingerprint(tenant) == before
    response = alice_client.post(url, {"title": "Ten times faster", "stage": "interview", "contact": champion.pk})
    assert response.status_code == 302
    study = CaseStudy.all_tenants.get(account=account)
    assert (study.title, study.stage, study.contact_id) == ("Ten times faster", "interview", champion.pk)
