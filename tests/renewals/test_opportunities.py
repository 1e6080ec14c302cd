"""Expansion opportunities (API.md "Renewals and retention", issue 11 "Expansion"): the API, won writes one
expansion movement and the account's ARR follows, professional services never in ARR, won/lost final (409),
bad input writes nothing, stage probabilities and the weighted pipeline on known data."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import time_machine

from accounts.models import Account
from base.errors import DomainError
from renewals import opportunity_selectors, opportunity_services
from renewals.models import ArrMovement, Opportunity
from tenancy.context import tenant_context
from tests.factories import AccountFactory, OpportunityFactory, UserFactory

pytestmark = pytest.mark.django_db
D = Decimal
URL = "/api/v1/opportunities/"


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel("2026-03-15 12:00:00+00:00", tick=False):
        yield


@pytest.fixture
def account(tenant, alice):
    with tenant_context(tenant):
        account = AccountFactory(tenant=tenant, name="Falcon Networks", arr=D("0"), csm=alice)
        ArrMovement.objects.create(account=account, date=date(2025, 1, 1), kind="new", amount=D("100000"))
    Account.all_tenants.filter(pk=account.pk).update(arr=D("100000"))
    return account


def movements(account):
    return list(
        ArrMovement.all_tenants.filter(account_id=account.pk).order_by("id").values_list("kind", "amount", "source", "ref_id", "date")
    )


def arr(account):
    return Account.all_tenants.get(pk=account.pk).arr


def create(api, account, **overrides):
    body = {"account": account if isinstance(account, int) else account.pk, "kind": "seats", "amount": "25000", "close_date": "2026-05-31", **overrides}
    return api.post(URL, body, format="json")


def test_create_and_get_with_the_api_md_fields(api, account, alice):
    response = create(api, account, title="50 more seats")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert {k: body[k] for k in ("account", "kind", "stage", "amount", "close_date", "owner", "won_at", "lost_at")} == {
        "account": account.pk, "kind": "seats", "stage": "identify", "amount": "25000.00", "close_date": "2026-05-31",
        "owner": alice.email, "won_at": None, "lost_at": None,
    }
    assert api.get(f"{URL}{body['id']}/").json()["title"] == "50 more seats"
    assert movements(account)[1:] == []  # an open opportunity is not ARR


def test_list_filters_by_account_stage_and_kind(api, tenant, account):
    other = AccountFactory(tenant=tenant, arr=D("0"))
    a = OpportunityFactory(account=account, kind="seats", stage="proposal")
    b = OpportunityFactory(account=account, kind="cross_sell", stage="identify")
    c = OpportunityFactory(account=other, kind="seats", stage="proposal")

    def ids(**params):
        return sorted(o["id"] for o in api.get(URL, params).json()["results"])

    assert ids() == sorted([a.pk, b.pk, c.pk])
    assert ids(account=account.pk) == sorted([a.pk, b.pk])
    assert ids(stage="proposal") == sorted([a.pk, c.pk])
    assert ids(kind="cross_sell") == [b.pk]
    assert ids(account=account.pk, stage="proposal", kind="seats") == [a.pk]
    assert api.get(URL, {"stage": "bogus"}).status_code == 400


def test_won_writes_one_expansion_movement_and_arr_follows(api, account, alice):
    opp = create(api, account).json()
    response = api.patch(f"{URL}{opp['id']}/", {"stage": "won"}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["won_at"] == "2026-03-15T12:00:00Z"
    assert movements(account)[1:] == [("expansion", D("25000"), "opportunity", opp["id"], date(2026, 3, 15))]
    assert arr(account) == D("125000")
    # Final: any further change is 409 and writes nothing more.
    for body in ({"stage": "won"}, {"stage": "negotiation"}, {"stage": "lost"}, {"amount": "1"}):
        assert api.patch(f"{URL}{opp['id']}/", body, format="json").status_code == 409
    assert len(movements(account)) == 2 and arr(account) == D("125000")


def test_creating_as_won_writes_the_movement_once(api, account):
    response = create(api, account, stage="won", kind="tier_upgrade", amount="5000")
    assert response.status_code == 201
    assert [m[:3] for m in movements(account)[1:]] == [("expansion", D("5000"), "opportunity")]
    assert arr(account) == D("105000")


def test_professional_services_are_never_in_arr(api, account, in_tenant):
    opp = create(api, account, kind="professional_services", amount="15000").json()
    assert api.patch(f"{URL}{opp['id']}/", {"stage": "won"}, format="json").status_code == 200
    assert movements(account)[1:] == [] and arr(account) == D("100000")
    # Reported beside ARR: the one-time bookings of the period.
    assert opportunity_selectors.one_time_bookings(start=date(2026, 3, 1), end=date(2026, 3, 31)) == D("15000")
    assert opportunity_selectors.one_time_bookings(start=date(2026, 4, 1), end=date(2026, 4, 30)) == D("0")


def test_lost_is_final_and_writes_nothing(api, account):
    opp = create(api, account).json()
    response = api.patch(f"{URL}{opp['id']}/", {"stage": "lost"}, format="json")
    assert response.status_code == 200 and response.json()["lost_at"] == "2026-03-15T12:00:00Z"
    response = api.patch(f"{URL}{opp['id']}/", {"stage": "won"}, format="json")
    assert response.status_code == 409 and "stage" in response.json()
    assert movements(account)[1:] == [] and arr(account) == D("100000")
    assert Opportunity.all_tenants.get(pk=opp["id"]).stage == "lost"


def test_moving_through_open_stages(api, account):
    opp = create(api, account).json()
    for stage in ("business_case", "executive_alignment", "discussion", "proposal", "negotiation", "identify"):
        response = api.patch(f"{URL}{opp['id']}/", {"stage": stage}, format="json")
        assert response.status_code == 200 and response.json()["stage"] == stage
    assert movements(account)[1:] == []


@pytest.mark.parametrize(("overrides", "field"), [
    ({"kind": "bogus"}, "kind"),
    ({"stage": "bogus"}, "stage"),
    ({"amount": "0"}, "amount"),
    ({"amount": "-5"}, "amount"),
    ({"amount": "abc"}, "amount"),
    ({"close_date": "2026-13-01"}, "close_date"),
    ({"close_date": None}, "close_date"),
    ({"account": 999999}, "account"),
    ({"owner": "nobody@example.com"}, "owner"),
])
def test_bad_input_is_400_naming_the_field_and_writes_nothing(api, account, overrides, field):
    response = create(api, overrides.pop("account", account), **overrides)
    assert response.status_code == 400 and field in response.json(), response.json()
    assert not Opportunity.all_tenants.exists()
    assert movements(account)[1:] == []


def test_bad_patch_writes_nothing(api, account):
    opp = create(api, account).json()
    response = api.patch(f"{URL}{opp['id']}/", {"stage": "won", "amount": "0"}, format="json")
    assert response.status_code == 400 and "amount" in response.json()
    other = AccountFactory(tenant=account.tenant)
    response = api.patch(f"{URL}{opp['id']}/", {"account": other.pk}, format="json")
    assert response.status_code == 400 and "account" in response.json()
    assert Opportunity.all_tenants.get(pk=opp["id"]).stage == "identify"
    assert movements(account)[1:] == []


def test_delete_is_not_allowed(api, account):
    opp = create(api, account).json()
    assert api.delete(f"{URL}{opp['id']}/").status_code == 405


def test_read_only_key_may_not_write(api_readonly, account):
    assert create(api_readonly, account).status_code == 403
    assert not Opportunity.all_tenants.exists()


def test_another_tenants_opportunity_is_404(api, other_tenant, account):
    theirs = OpportunityFactory(account=AccountFactory(tenant=other_tenant))
    assert api.get(f"{URL}{theirs.pk}/").status_code == 404
    assert api.patch(f"{URL}{theirs.pk}/", {"stage": "won"}, format="json").status_code == 404
    assert api.get(URL).json()["results"] == []
    # Nor may one open an opportunity on another tenant's account.
    assert create(api, theirs.account).status_code == 400
    assert Opportunity.all_tenants.get(pk=theirs.pk).stage == "identify"


# --- the weighted pipeline and the stage probabilities ---------------------------------------------------


def test_weighted_pipeline_by_stage_on_known_data(api, tenant, account, in_tenant, django_assert_max_num_queries):
    OpportunityFactory(account=account, stage="identify", amount=D("10000"))      # 10% -> 1,000
    OpportunityFactory(account=account, stage="identify", amount=D("5000"))       # 10% -> 500
    OpportunityFactory(account=account, stage="proposal", amount=D("20000"))      # 65% -> 13,000
    OpportunityFactory(account=account, stage="negotiation", amount=D("1000.50"))  # 80% -> 800.40
    OpportunityFactory(account=account, stage="won", amount=D("99999"))           # closed: not pipeline
    OpportunityFactory(account=account, stage="lost", amount=D("88888"))
    with django_assert_max_num_queries(2):
        pipeline = opportunity_selectors.weighted_pipeline()
    by_stage = {s.stage: (s.count, s.amount, s.probability, s.weighted) for s in pipeline.stages}
    assert by_stage["identify"] == (2, D("15000"), 10, D("1500.00"))
    assert by_stage["proposal"] == (1, D("20000"), 65, D("13000.00"))
    assert by_stage["negotiation"] == (1, D("1000.50"), 80, D("800.40"))
    assert by_stage["discussion"] == (0, D("0"), 50, D("0.00"))
    assert "won" not in by_stage and "lost" not in by_stage
    assert (pipeline.count, pipeline.amount, pipeline.weighted) == (4, D("36000.50"), D("15300.40"))

    # Tenant-editable probabilities: the weighted totals follow.
    opportunity_services.opportunity_settings_update(stage_probabilities={"proposal": 50, "identify": 0})
    pipeline = opportunity_selectors.weighted_pipeline()
    assert pipeline.weighted == D("10800.40")
    body = api.get(f"{URL}pipeline/").json()
    assert body["weighted"] == "10800.40" and body["count"] == 4
    assert [s["stage"] for s in body["stages"]] == [
        "identify", "business_case", "executive_alignment", "discussion", "proposal", "negotiation"]


@pytest.mark.parametrize("values", [{"bogus": 10}, {"proposal": 101}, {"proposal": -1}, {"proposal": "50"},
                                    {"proposal": True}, ["proposal"]])
def test_bad_stage_probabilities_are_refused(in_tenant, values):
    with pytest.raises(DomainError) as error:
        opportunity_services.opportunity_settings_update(stage_probabilities=values)
    assert error.value.field == "stage_probabilities"
    assert opportunity_selectors.stage_probabilities()["proposal"] == 65


def test_owner_defaults_to_the_csm_and_may_be_set(api, tenant, account, member):
    bob = member()
    body = create(api, account, owner=bob.email).json()
    assert body["owner"] == bob.email
    stranger = UserFactory()
    assert api.patch(f"{URL}{body['id']}/", {"owner": stranger.email}, format="json").status_code == 400


# --- the settings endpoint ------------------------------------------------------------------------------

SETTINGS = "/api/v1/expansion-settings/"


def test_settings_show_defaults_and_take_changes(api):
    body = api.get(SETTINGS).json()
    assert body["stage_probabilities"]["proposal"] == 65 and body["stage_probabilities"]["won"] == 100
    triggers = {t["key"]: t for t in body["triggers"]}
    assert triggers["seat_utilisation"]["params"] == {"enabled": True, "percent": 90, "days": 14}
    assert triggers["usage_growth"]["params"] == {"enabled": True, "percent": 30, "days": 30}
    response = api.patch(SETTINGS, {"stage_probabilities": {"proposal": 55},
                                     "trigger_params": {"usage_growth": {"percent": 25, "enabled": False}}}, format="json")
    assert response.status_code == 200, response.json()
    body = api.get(SETTINGS).json()
    assert body["stage_probabilities"]["proposal"] == 55 and body["stage_probabilities"]["identify"] == 10
    assert {t["key"]: t for t in body["triggers"]}["usage_growth"]["params"] == {"enabled": False, "percent": 25, "days": 30}


@pytest.mark.parametrize(("body", "field"), [
    ({"stage_probabilities": {"proposal": 120}}, "stage_probabilities"),
    ({"trigger_params": {"seat_utilisation": {"percent": "high"}}}, "trigger_params"),
    ({"stage_probabilities": {"proposal": 50}, "trigger_params": {"nope": {}}}, "trigger_params"),
])
def test_bad_settings_are_400_and_write_nothing(api, body, field):
    response = api.patch(SETTINGS, body, format="json")
    assert response.status_code == 400 and field in response.json(), response.json()
    assert api.get(SETTINGS).json()["stage_probabilities"]["proposal"] == 65


def test_settings_need_the_configure_capability(tenant, client, member, api_readonly):
    csm = member()
    client.force_login(csm)
    assert client.patch(SETTINGS, {"stage_probabilities": {"proposal": 1}}, content_type="application/json").status_code == 403
    assert api_readonly.patch(SETTINGS, {"stage_probabilities": {"proposal": 1}}, format="json").status_code == 403
