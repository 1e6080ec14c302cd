"""The rewards ledger, the case-study pipeline (progress to the quarterly target) and reviews and referrals
with their source: API, links to the account, bad input writes nothing, timeline entries."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
import time_machine

from accounts.models import Activity
from advocacy import reference_selectors
from advocacy.models import CaseStudy
from tests.factories import AccountFactory, ContactFactory
from tests.factories.references import CaseStudyFactory, ReferenceRequestFactory
from tests.route_objects import fingerprint as _fingerprint

pytestmark = pytest.mark.django_db


def fingerprint(tenant):
    return {t: d for t, d in _fingerprint(tenant).items() if t != "tenancy_apikey"}


@pytest.fixture
def account(tenant):
    return AccountFactory(tenant=tenant, name="Advocate Inc")


@pytest.fixture
def contact(account):
    return ContactFactory(account=account, name="Robin Reviewer")


def test_reward_is_recorded_with_its_value_and_request(api, in_tenant, account, contact):
    request = ReferenceRequestFactory(account=account, contact=contact, status="completed")
    body = {"account": account.pk, "contact": contact.pk, "request": request.pk, "kind": "renewal_credit",
            "description": "5% credit on renewal", "value": "1250.50", "given_on": "2026-01-20"}
    response = api.post("/api/v1/reference-rewards/", body, format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert (data["value"], data["given_on"], data["request"]) == ("1250.50", "2026-01-20", request.pk)
    assert reference_selectors.account_rewards_total(account_id=account.pk) == {"total": Decimal("1250.50"),
                                                                                "count": 1}
    assert Activity.objects.filter(ref_type="reference_reward", account=account).count() == 1


@pytest.mark.parametrize("bad", [{"value": "-1"}, {"kind": "cash"}, {"description": "  "}, {"given_on": "2999-01-01"},
                                 {"value": "1e20"}])
def test_bad_reward_is_400_naming_the_field_and_writes_nothing(api, tenant, account, contact, bad):
    body = {"account": account.pk, "kind": "gift", "description": "Swag", "value": "10", **bad}
    before = fingerprint(tenant)
    response = api.post("/api/v1/reference-rewards/", body, format="json")
    assert response.status_code == 400 and set(bad) <= set(response.json())
    assert fingerprint(tenant) == before


def test_links_to_another_account_are_refused(api, tenant, account):
    other = AccountFactory(tenant=tenant)
    stranger = ContactFactory(account=other)
    foreign_request = ReferenceRequestFactory(account=other)
    before = fingerprint(tenant)
    for path, body in [
        ("/api/v1/reference-rewards/", {"kind": "gift", "description": "x", "contact": stranger.pk}),
        ("/api/v1/reference-rewards/", {"kind": "gift", "description": "x", "request": foreign_request.pk}),
        ("/api/v1/case-studies/", {"title": "x", "contact": stranger.pk}),
        ("/api/v1/advocacy-activities/", {"kind": "review", "source": "g2", "request": foreign_request.pk}),
    ]:
        response = api.post(path, {"account": account.pk, **body}, format="json")
        assert response.status_code == 400, (path, response.json())
        assert {"contact", "request"} & set(response.json())
    assert fingerprint(tenant) == before


def test_another_tenants_ids_in_the_body_do_not_exist(api, account, other_tenant):
    foreign = AccountFactory(tenant=other_tenant)
    response = api.post("/api/v1/case-studies/", {"account": foreign.pk, "title": "x"}, format="json")
    assert response.status_code == 400 and "account" in response.json()
    foreign_contact = ContactFactory(account=foreign)
    assert api.post("/api/v1/advocates/", {"contact": foreign_contact.pk, "willing": True},
                    format="json").status_code == 404


# --- case studies -----------------------------------------------------------------------------------


def test_case_study_moves_to_published_and_counts_for_the_quarter(api, in_tenant, account, contact):
    with time_machine.travel(datetime(2026, 5, 10, 15, tzinfo=UTC), tick=False):
        response = api.post("/api/v1/case-studies/", {"account": account.pk, "contact": contact.pk,
                                                      "title": "Search at scale"}, format="json")
        assert response.status_code == 201 and response.json()["stage"] == "identified"
        pk = response.json()["id"]
        for stage in ("interview", "draft", "customer_review", "approved", "published"):
            assert api.patch(f"/api/v1/case-studies/{pk}/", {"stage": stage}, format="json").status_code == 200
        assert CaseStudy.objects.get(pk=pk).published_at is not None
        assert Activity.objects.filter(ref_type="case_study", ref_id=pk).count() == 1
        progress = api.get("/api/v1/case-studies/progress/").json()
        assert progress == {"quarter_start": "2026-04-01", "quarter_end": "2026-07-01", "published": 1, "target": 2,
                            "percent": 50, "to_go": 1}


def test_progress_counts_only_this_quarter_and_follows_the_target(api, in_tenant, account):
    CaseStudyFactory(account=account, stage="published", published_at=datetime(2026, 3, 31, 23, tzinfo=UTC))
    CaseStudyFactory(account=account, stage="published", published_at=datetime(2026, 4, 1, 0, 30, tzinfo=UTC))
    CaseStudyFactory(account=account, stage="draft")
    api.patch("/api/v1/reference-settings/", {"case_study_quarterly_target": 3}, format="json")
    with time_machine.travel(datetime(2026, 6, 30, 12, tzinfo=UTC), tick=False):
        progress = reference_selectors.case_study_progress()
    # The tenant's time zone decides the quarter (UTC for the factory tenant).
    assert (progress["published"], progress["target"], progress["to_go"], progress["percent"]) == (1, 3, 2, 33)


def test_unpublishing_clears_published_at(api, in_tenant, account):
    study = CaseStudyFactory(account=account, stage="published", published_at=datetime(2026, 4, 2, tzinfo=UTC))
    assert api.patch(f"/api/v1/case-studies/{study.pk}/", {"stage": "customer_review"}, format="json").status_code == 200
    study.refresh_from_db()
    assert study.published_at is None


def test_bad_stage_is_400_and_writes_nothing(api, tenant, account):
    study = CaseStudyFactory(account=account)
    before = fingerprint(tenant)
    assert api.patch(f"/api/v1/case-studies/{study.pk}/", {"stage": "shipped"}, format="json").status_code == 400
    assert api.patch(f"/api/v1/case-studies/{study.pk}/", {"title": " "}, format="json").status_code == 400
    assert fingerprint(tenant) == before


# --- reviews and referrals --------------------------------------------------------------------------


def test_review_and_referral_are_tracked_with_their_source(api, in_tenant, account, contact):
    review = {"account": account.pk, "contact": contact.pk, "kind": "review", "source": "g2", "rating": "4.5",
              "url": "https://www.g2.com/products/x/reviews/1", "occurred_on": "2026-01-05"}
    assert api.post("/api/v1/advocacy-activities/", review, format="json").status_code == 201
    referral = {"account": account.pk, "kind": "referral", "source": "referral", "referred_company": "Initech"}
    assert api.post("/api/v1/advocacy-activities/", referral, format="json").status_code == 201
    rows = api.get("/api/v1/advocacy-activities/?source=g2").json()["results"]
    assert [(r["kind"], r["rating"]) for r in rows] == [("review", "4.5")]
    assert api.get("/api/v1/advocacy-activities/?kind=referral").json()["results"][0]["referred_company"] == "Initech"
    subjects = set(Activity.objects.filter(ref_type="advocacy_activity").values_list("subject", flat=True))
    assert subjects == {"Review on G2", "Referral given"}


@pytest.mark.parametrize("bad", [{"source": "yelp"}, {"rating": "6"}, {"kind": "referral", "referred_company": ""},
                                 {"occurred_on": "2999-01-01"}])
def test_bad_activity_is_400_and_writes_nothing(api, tenant, account, bad):
    body = {"account": account.pk, "kind": "review", "source": "capterra", **bad}
    before = fingerprint(tenant)
    response = api.post("/api/v1/advocacy-activities/", body, format="json")
    assert response.status_code == 400
    assert (set(bad) - {"kind"}) <= set(response.json())
    assert fingerprint(tenant) == before


def test_ledgers_are_not_edited(api, account):
    response = api.post("/api/v1/reference-rewards/", {"account": account.pk, "kind": "gift", "description": "Mug"},
                        format="json")
    pk = response.json()["id"]
    assert api.patch(f"/api/v1/reference-rewards/{pk}/", {"value": "99"}, format="json").status_code == 405
    assert api.delete(f"/api/v1/reference-rewards/{pk}/").status_code == 405
