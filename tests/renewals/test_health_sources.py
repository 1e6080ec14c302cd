"""Renewals' scorecard sources (issue 11 "Health link"): ``renewal_outlook`` (days to renewal by forecast:
commit full, probable the days, at risk a quarter, lost 0) and ``open_expansion`` (open recurring pipeline /
ARR), on known data, one query each whatever the number of accounts, and scored by a scorecard's "growth"
component through their default mappings."""

from __future__ import annotations

import math
from datetime import date, timedelta
from decimal import Decimal

import pandas as pd
import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Account
from core.registries.health import get_source
from health.scorecard import component, measure
from health.services import recompute_health, scorecard_save
from renewals.health_sources import open_expansion, outlook_days, renewal_outlook
from tests.factories import AccountFactory, OpportunityFactory, RenewalFactory

pytestmark = pytest.mark.django_db
TODAY = date(2026, 3, 15)
D = Decimal


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel("2026-03-15 12:00:00+00:00", tick=False):
        yield


def renewing(tenant, name, days, forecast=None, **extra):
    account = AccountFactory(tenant=tenant, name=name, arr=D("40000"), renewal_date=TODAY + timedelta(days=days),
                             **extra)
    if forecast is not None:
        RenewalFactory(account=account, contract_end=TODAY + timedelta(days=days), forecast=forecast)
    return account


@pytest.fixture
def world(tenant):
    return {
        "commit": renewing(tenant, "Commit", 10, "commit"),
        "probable": renewing(tenant, "Probable", 45, "probable"),
        "at_risk": renewing(tenant, "At risk", 40, "at_risk"),
        "lost": renewing(tenant, "Lost", 80, "lost"),
        "overdue": renewing(tenant, "Overdue", -5, "probable"),
        "far": renewing(tenant, "Far", 200),                 # no open renewal yet: days to the renewal date
        "very_far": renewing(tenant, "Very far", 500),       # capped at 365
        "undated": AccountFactory(tenant=tenant, name="Undated", arr=D("40000"), renewal_date=None),
        "churned": renewing(tenant, "Gone", 30, status="churned"),
    }


def values(fn, tenant, world, ids=None):
    series = fn(tenant, ids, TODAY)
    return {name: (None if math.isnan(v) else round(v, 4)) for name, account in world.items()
            for v in [series.get(account.pk, math.nan)]}


def test_renewal_outlook_on_known_data(in_tenant, world):
    assert values(renewal_outlook, in_tenant, world) == {
        "commit": 365, "probable": 45, "at_risk": 10, "lost": 0, "overdue": 0, "far": 200, "very_far": 365,
        "undated": None, "churned": None,
    }
    # A closed renewal does not count: the account's renewal date does.
    closed = renewing(in_tenant, "Closed", 20)
    RenewalFactory(account=closed, contract_end=TODAY - timedelta(days=300), forecast="lost", outcome="renewed",
                   renewed_arr=D("40000"))
    assert renewal_outlook(in_tenant, [closed.pk], TODAY).to_dict() == {closed.pk: 20}


def test_outlook_mapping_is_pure():
    days = pd.Series([10.0, 10.0, 10.0, 10.0, 400.0, -3.0])
    forecast = pd.Series(["commit", "probable", "at_risk", "lost", "probable", "at_risk"])
    assert outlook_days(days, forecast).tolist() == [365, 10, 2.5, 0, 365, 0]


def test_open_expansion_on_known_data(in_tenant, world):
    probable = world["probable"]
    OpportunityFactory(account=probable, stage="proposal", amount=D("6000"))
    OpportunityFactory(account=probable, stage="identify", kind="tier_upgrade", amount=D("4000"))
    OpportunityFactory(account=probable, stage="proposal", kind="professional_services", amount=D("9000"))  # one-time
    OpportunityFactory(account=probable, stage="won", amount=D("9000"))  # closed
    OpportunityFactory(account=world["churned"], stage="proposal", amount=D("9000"))
    zero = AccountFactory(tenant=in_tenant, name="No ARR", arr=D("0"))
    OpportunityFactory(account=zero, stage="proposal", amount=D("1000"))
    got = open_expansion(in_tenant, None, TODAY)
    assert got[probable.pk] == pytest.approx(0.25)
    assert got[world["commit"].pk] == 0
    assert world["churned"].pk not in got and zero.pk not in got


def test_one_query_each_whatever_the_number_of_accounts(in_tenant, world):
    for fn in (renewal_outlook, open_expansion):
        with CaptureQueriesContext(connection) as few:
            fn(in_tenant, None, TODAY)
        for i in range(10):
            account = renewing(in_tenant, f"Extra {fn.__name__} {i}", 30 + i, "probable")
            OpportunityFactory(account=account, stage="discussion")
        with CaptureQueriesContext(connection) as many:
            fn(in_tenant, None, TODAY)
        assert len(few) == len(many) == 1


def test_registered_with_documented_default_mappings():
    outlook, expansion = get_source("renewal_outlook"), get_source("open_expansion")
    assert outlook.default_mapping == {"type": "linear", "zero_at": 0, "full_at": 90}
    assert expansion.default_mapping == {"type": "linear", "zero_at": 0, "full_at": 0.25}
    assert "commit 365" in outlook.description and "at risk a quarter" in outlook.description
    assert outlook.unit == "days" and expansion.unit == "ratio"


def test_a_growth_component_scores_them(in_tenant, world):
    OpportunityFactory(account=world["probable"], stage="proposal", amount=D("5000"))  # 0.125 of ARR: 50 points
    scorecard_save(data={
        "components": [component("growth", "Growth", 100, [
            measure("renewal_outlook", "Renewal outlook"), measure("open_expansion", "Open expansion"),
        ])],
        "bands": [{"key": "green", "label": "Green", "min_score": 80}, {"key": "yellow", "label": "Yellow", "min_score": 60},
                  {"key": "red", "label": "Red", "min_score": 0}],
    }, recompute=False)
    recompute_health(tenant=in_tenant)
    scores = dict(Account.objects.values_list("name", "health_score"))
    assert scores["Probable"] == D("50.0")   # (45/90 -> 50 + 0.125/0.25 -> 50) / 2
    assert scores["Commit"] == D("50.0")     # (100 + 0) / 2
    assert scores["At risk"] == D("5.6")     # (10/90 -> 11.1 + 0) / 2
    assert scores["Lost"] == D("0.0")
