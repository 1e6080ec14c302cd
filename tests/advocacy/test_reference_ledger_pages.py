"""Recording a reward and a review or referral from an account (the References panel's links), the rewards
ledger and the reviews and referrals lists: the account's own contacts and requests only, bad input shown on
the form with nothing written, capability-checked, query counts that do not grow with the rows."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Activity
from advocacy.models import AdvocacyActivity, ReferenceReward
from tenancy.models import Role
from tests.factories import AccountFactory, ContactFactory
from tests.factories.references import (
    AdvocacyActivityFactory,
    ReferenceRequestFactory,
    ReferenceRewardFactory,
)
from tests.route_objects import fingerprint

pytestmark = pytest.mark.django_db


@pytest.fixture
def account(tenant):
    return AccountFactory(tenant=tenant, name="Harbor Labs")


@pytest.fixture
def champion(account):
    return ContactFactory(account=account, name="Casey Champion", is_champion=True)


def test_record_a_reward_from_the_account(alice_client, account, champion, tenant):
    request = ReferenceRequestFactory(account=account, contact=champion, kind="case_study", status="completed")
    ContactFactory(account=AccountFactory(tenant=tenant), name="Someone Else")  # not offered
    url = reverse("references:reward_record", args=[account.pk])
    form = alice_client.get(url).content.decode()
    assert "Casey Champion" in form and "Someone Else" not in form and "Case study · completed" in form
    response = alice_client.post(url, {
        "kind": "renewal_credit", "description": "Renewal credit for the case study", "value": "2500.00",
        "given_on": timezone.localdate().isoformat(), "contact": champion.pk, "request": request.pk,
    })
    assert response.status_code == 302 and response["Location"] == reverse("accounts:detail", args=[account.pk])
    reward = ReferenceReward.all_tenants.get(account=account)
    assert (reward.kind, reward.value, reward.contact, reward.request) == (
        "renewal_credit", Decimal("2500.00"), champion, request)
    assert Activity.all_tenants.filter(ref_type="reference_reward", ref_id=reward.pk).count() == 1


@pytest.mark.parametrize(("change", "error"), [
    ({"given_on": (date.today() + timedelta(days=3)).isoformat()}, "cannot be in the future"),
    ({"value": "-5"}, "greater than or equal to 0"),
    ({"description": ""}, "This field is required"),
    ({"kind": "cash"}, "Select a valid choice"),
    ({"contact": "other"}, "Select a valid choice"),
])
def test_a_bad_reward_shows_the_error_and_writes_nothing(alice_client, account, champion, tenant, change, error):
    other = ContactFactory(account=AccountFactory(tenant=tenant))
    data = {"kind": "gift", "description": "Swag box", "value": "150", "given_on": date.today().isoformat(),
            "contact": champion.pk, **change}
    if data["contact"] == "other":
        data["contact"] = other.pk  # another account's contact: not offered, refused
    before = fingerprint(tenant)
    response = alice_client.post(reverse("references:reward_record", args=[account.pk]), data)
    assert response.status_code == 400
    body = response.content.decode()
    assert error in body and "nothing was recorded" in body
    assert fingerprint(tenant) == before


def test_record_a_review_and_a_referral(alice_client, account, champion):
    url = reverse("references:activity_record", args=[account.pk])
    assert 'value="referral" selected' in alice_client.get(url + "?kind=referral").content.decode()
    today = timezone.localdate().isoformat()
    response = alice_client.post(url, {"kind": "review", "source": "g2", "occurred_on": today, "rating": "4.5",
                                       "url": "https://www.g2.com/products/x/reviews/1", "contact": champion.pk})
    assert response.status_code == 302
    response = alice_client.post(url, {"kind": "referral", "source": "referral", "occurred_on": today,
                                       "referred_company": "Northwind Traders", "notes": "Intro to their COO"})
    assert response.status_code == 302
    rows = {a.kind: a for a in AdvocacyActivity.all_tenants.filter(account=account)}
    assert rows["review"].rating == Decimal("4.5") and rows["review"].contact == champion
    assert rows["referral"].referred_company == "Northwind Traders"
    assert Activity.all_tenants.filter(ref_type="advocacy_activity", account=account).count() == 2


@pytest.mark.parametrize(("change", "error"), [
    ({"kind": "referral", "source": "referral", "referred_company": ""}, "Name the company the customer referred"),
    ({"rating": "6"}, "less than or equal to 5"),
    ({"source": "yelp"}, "Select a valid choice"),
    ({"url": "not a link"}, "Enter a valid URL"),
    ({"occurred_on": (date.today() + timedelta(days=2)).isoformat()}, "cannot be in the future"),
])
def test_a_bad_review_or_referral_shows_the_error_and_writes_nothing(alice_client, account, tenant, change, error):
    data = {"kind": "review", "source": "capterra", "occurred_on": date.today().isoformat(), "rating": "5", **change}
    before = fingerprint(tenant)
    response = alice_client.post(reverse("references:activity_record", args=[account.pk]), data)
    assert response.status_code == 400
    assert error in response.content.decode()
    assert fingerprint(tenant) == before


def test_recording_needs_the_write_capability(client, member, account):
    client.force_login(member(Role.VIEWER))
    for name in ("references:reward_record", "references:activity_record"):
        url = reverse(name, args=[account.pk])
        assert client.get(url).status_code == 403
        assert client.post(url, {"kind": "gift", "description": "x", "value": "1"}).status_code == 403
    assert not ReferenceReward.all_tenants.exists() and not AdvocacyActivity.all_tenants.exists()
    assert client.get(reverse("references:rewards")).status_code == 200  # reading the lists is open to members


def test_the_panel_links_to_the_forms(alice_client, account, client, member):
    body = alice_client.get(reverse("accounts:detail", args=[account.pk])).content.decode()
    assert reverse("references:reward_record", args=[account.pk]) in body
    assert reverse("references:activity_record", args=[account.pk]) in body
    client.force_login(member(Role.VIEWER))
    body = client.get(reverse("accounts:detail", args=[account.pk])).content.decode()
    assert reverse("references:reward_record", args=[account.pk]) not in body


def test_rewards_ledger_lists_filters_and_totals(alice_client, account, champion):
    ReferenceRewardFactory(account=account, contact=champion, kind="gift", description="Swag box", value=Decimal("150"))
    ReferenceRewardFactory(account=account, kind="renewal_credit", description="Credit", value=Decimal("2500"))
    body = alice_client.get(reverse("references:rewards")).content.decode()
    assert "Swag box" in body and "Casey Champion" in body and "2 rewards, 2650.00 in value" in body
    assert 'aria-current="page">Rewards' in body
    body = alice_client.get(reverse("references:rewards") + "?kind=gift").content.decode()
    assert "Swag box" in body and "Credit<" not in body and "1 reward, 150.00 in value" in body


def test_reviews_and_referrals_list_with_counts_by_source(alice_client, account):
    AdvocacyActivityFactory(account=account, kind="review", source="g2", rating=Decimal("4.0"), notes="Fast search")
    AdvocacyActivityFactory(account=account, kind="review", source="g2", rating=Decimal("5.0"))
    AdvocacyActivityFactory(account=account, kind="referral", source="referral", referred_company="Contoso")
    body = alice_client.get(reverse("references:activities")).content.decode()
    by_source = body[body.index('id="by-source"'):body.index("</table>")]
    assert "<td>G2</td><td class=\"num\">2</td><td class=\"num\">4.5</td>" in by_source.replace("\n", "")
    assert "Contoso" in body and "Fast search" in body
    body = alice_client.get(reverse("references:activities") + "?kind=referral").content.decode()
    table = body[body.index('id="activities-table"'):]
    assert "Contoso" in table and "Fast search" not in table


@pytest.mark.parametrize("n", [2, 20])
def test_list_queries_do_not_grow(alice_client, tenant, n, django_assert_max_num_queries):
    for i in range(n):
        account = AccountFactory(tenant=tenant)
        contact = ContactFactory(account=account)
        request = ReferenceRequestFactory(account=account, contact=contact)
        ReferenceRewardFactory(account=account, contact=contact, request=request, description=f"R{i}")
        AdvocacyActivityFactory(account=account, contact=contact, request=request, kind="review", source="g2")
    with django_assert_max_num_queries(12):
        assert alice_client.get(reverse("references:rewards")).status_code == 200
    with django_assert_max_num_queries(12):
        assert alice_client.get(reverse("references:activities")).status_code == 200
