"""Reference eligibility: each rule at its edge on known data, the rules as tenant settings, and the whole
pool computed in a constant number of queries. The pure evaluation is tested on frames, the query on rows."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pandas as pd
import pytest
import time_machine

from advocacy import reference_selectors, reference_services
from advocacy.models import SurveyResponse
from advocacy.reference_eligibility import Rules, evaluate, tenure_cutoff
from tests.factories import AccountFactory, ContactFactory
from tests.factories.references import AdvocateProfileFactory, ReferenceRequestFactory

TODAY = date(2026, 6, 15)
TOP = {"key": "green", "label": "Green"}


def frame(**columns):
    base = {"name": "A", "health_status": "green", "customer_since": date(2024, 1, 1), "latest_nps": 10,
            "willing_champions": 1}
    base.update(columns)
    return pd.DataFrame([base], index=pd.Index([1], name="id"))


DEFAULT_RULES = Rules()


def verdict(rules=DEFAULT_RULES, **columns):
    return evaluate(frame(**columns), rules, today=TODAY, top_band=TOP).iloc[0]


def test_all_rules_hold():
    row = verdict()
    assert row["eligible"] and row["failing"] == 0
    assert row["why_nps"] == "Latest NPS 10" and row["why_band"] == "Health in Green"


@pytest.mark.parametrize(("score", "ok"), [(9, True), (10, True), (8, False), (0, False), (None, False)])
def test_nps_edge(score, ok):
    row = verdict(latest_nps=score)
    assert bool(row["ok_nps"]) is ok and bool(row["eligible"]) is ok
    if score is None:
        assert row["why_nps"] == "No NPS response yet"
    elif not ok:
        assert row["why_nps"] == f"Latest NPS {score}, below 9"


@pytest.mark.parametrize(("status", "ok"), [("green", True), ("yellow", False), (None, False)])
def test_top_band(status, ok):
    row = verdict(health_status=status)
    assert bool(row["ok_band"]) is ok
    assert row["why_band"] == {"green": "Health in Green", "yellow": "Health yellow, not Green",
                               None: "No health score yet"}[status]


def test_no_bands_means_no_top_band():
    assert not evaluate(frame(), Rules(), today=TODAY, top_band=None).iloc[0]["eligible"]


@pytest.mark.parametrize(("since", "ok"), [
    (date(2025, 6, 15), True),   # exactly 12 months
    (date(2025, 6, 16), False),  # a day short
    (date(2020, 1, 1), True),
    (None, False),
])
def test_tenure_edge(since, ok):
    row = verdict(customer_since=since)
    assert bool(row["ok_tenure"]) is ok
    if since == date(2025, 6, 16):
        assert row["why_tenure"] == "Customer for 11 months, under 12"
    if since == date(2025, 6, 15):
        assert row["why_tenure"] == "Customer for 12 months"


def test_tenure_month_end_clamps():
    assert tenure_cutoff(date(2026, 2, 28), 12) == date(2025, 2, 28)
    assert tenure_cutoff(date(2028, 2, 29), 12) == date(2027, 2, 28)


@pytest.mark.parametrize(("champions", "ok"), [(0, False), (1, True), (3, True)])
def test_willing_champion(champions, ok):
    row = verdict(willing_champions=champions)
    assert bool(row["ok_champion"]) is ok
    if ok and champions > 1:
        assert row["why_champion"] == "3 willing champions"


def test_rules_off_hold_for_everyone():
    rules = Rules(nps_min=None, require_top_band=False, min_customer_months=None, require_willing_champion=False)
    row = verdict(rules, latest_nps=None, health_status=None, customer_since=None, willing_champions=0)
    assert row["eligible"] and row["ok_nps"] is None and row["why_band"] == "Rule off"


def test_failing_counts_every_rule_that_fails():
    assert verdict(latest_nps=3, health_status="red")["failing"] == 2


def test_empty_frame():
    empty = pd.DataFrame(columns=["name", "health_status", "customer_since", "latest_nps", "willing_champions"])
    assert evaluate(empty, Rules(), today=TODAY, top_band=TOP).empty


# --- the query on known data --------------------------------------------------------------------------


def nps(account, score, when):
    SurveyResponse.all_tenants.create(tenant=account.tenant, account=account, kind="nps", score=score,
                                      responded_at=when)


@pytest.fixture
def world(tenant):
    """Four accounts: one eligible, and one failing each of three rules at its edge."""
    def account(name, **kw):
        kw.setdefault("health_status", "green")
        kw.setdefault("customer_since", date(2025, 6, 15))
        a = AccountFactory(tenant=tenant, name=name, **kw)
        champion = ContactFactory(account=a, is_champion=True)
        AdvocateProfileFactory(contact=champion, willing=True)
        return a

    ok = account("Eligible")
    nps(ok, 4, datetime(2025, 1, 1, tzinfo=UTC))
    nps(ok, 9, datetime(2026, 5, 1, tzinfo=UTC))  # the latest counts
    demoted = account("Demoted")
    nps(demoted, 10, datetime(2026, 1, 1, tzinfo=UTC))
    nps(demoted, 8, datetime(2026, 5, 1, tzinfo=UTC))  # latest is a passive
    new = account("New", customer_since=date(2025, 6, 16))
    nps(new, 10, datetime(2026, 5, 1, tzinfo=UTC))
    lapsed = AccountFactory(tenant=tenant, name="Lapsed champion", health_status="green",
                            customer_since=date(2020, 1, 1))
    nps(lapsed, 10, datetime(2026, 5, 1, tzinfo=UTC))
    gone = ContactFactory(account=lapsed, is_champion=True, left_company=True)
    AdvocateProfileFactory(contact=gone, willing=True)
    unwilling = ContactFactory(account=lapsed, is_champion=True)
    AdvocateProfileFactory(contact=unwilling, willing=False)
    ContactFactory(account=lapsed, is_champion=False)
    AccountFactory(tenant=tenant, name="Churned", status="churned")
    return {"ok": ok, "demoted": demoted, "new": new, "lapsed": lapsed}


@pytest.mark.django_db
def test_pool_on_known_data(in_tenant, world, django_assert_max_num_queries):
    ReferenceRequestFactory(account=world["ok"], requested_at=datetime(2026, 6, 1, tzinfo=UTC))
    with django_assert_max_num_queries(4):  # settings, facts, bands (scorecard), calls used
        pool = reference_selectors.reference_pool(today=TODAY)
    assert set(pool["name"]) == {"Eligible", "Demoted", "New", "Lapsed champion"}  # churned left out
    by_name = pool.set_index("name")
    assert by_name.loc["Eligible", "eligible"] and by_name.loc["Eligible", "latest_nps"] == 9
    assert by_name.loc["Demoted", "why_nps"] == "Latest NPS 8, below 9"
    assert not by_name.loc["New", "ok_tenure"] and by_name.loc["New", "ok_nps"]
    assert by_name.loc["Lapsed champion", "why_champion"] == "No active champion marked willing"
    assert list(pool.loc[pool["eligible"], "name"]) == ["Eligible"]


@pytest.mark.django_db
def test_pool_follows_the_tenant_rules(in_tenant, world):
    reference_services.reference_settings_update(nps_min=8, min_customer_months=None, require_willing_champion=False)
    pool = reference_selectors.reference_pool(today=TODAY).set_index("name")
    assert set(pool.index[pool["eligible"]]) == {"Eligible", "Demoted", "New", "Lapsed champion"}


@pytest.mark.django_db
def test_pool_query_count_does_not_grow(in_tenant, world, django_assert_max_num_queries):
    for i in range(20):
        a = AccountFactory(tenant=in_tenant, name=f"More {i}")
        nps(a, 10, datetime(2026, 5, 1, tzinfo=UTC))
    with django_assert_max_num_queries(4):
        assert len(reference_selectors.reference_pool(today=TODAY)) == 24


@pytest.mark.django_db
def test_pool_api(api, in_tenant, world):
    with time_machine.travel(datetime(2026, 6, 15, 12, tzinfo=UTC), tick=False):
        response = api.get("/api/v1/references/pool/")
        others = api.get("/api/v1/references/pool/?eligible=false&limit=2").json()["results"]
    assert response.status_code == 200
    data = response.json()
    assert (data["accounts"], data["eligible"]) == (4, 1)
    assert [r["name"] for r in data["results"]] == ["Eligible"]
    assert data["results"][0]["rules"]["nps"] == {"ok": True, "why": "Latest NPS 9"}
    assert [r["name"] for r in others] == ["Demoted", "Lapsed champion"]
    assert others[0]["rules"]["nps"]["ok"] is False and others[0]["failing"] == 1
    assert api.get("/api/v1/references/pool/?limit=0").status_code == 400
