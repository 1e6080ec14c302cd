"""What surveys give health and renewals through the registries: the latest NPS and the CSAT average as
health sources (one query each, windows, mappings to 0-100), and the "promoter response" expansion trigger
opening one suggestion CTA through renewals' daily evaluation."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pandas as pd
import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Task
from advocacy import nps_sources
from core.registries.expansion import TriggerContext, get_trigger
from core.registries.health import fetch, get_source
from renewals import expansion_triggers
from tenancy.context import tenant_context
from tests.factories import AccountFactory, SurveyResponseFactory

pytestmark = pytest.mark.django_db
TODAY = date(2026, 12, 1)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel("2026-12-01 12:00:00+00:00", tick=False):
        yield


def at(y, m, d):
    return datetime(y, m, d, 12, tzinfo=UTC)


@pytest.fixture
def world(tenant, alice):
    fan = AccountFactory(tenant=tenant, name="Fan", csm=alice)
    SurveyResponseFactory(account=fan, kind="nps", score=3, responded_at=at(2026, 9, 1))
    SurveyResponseFactory(account=fan, kind="nps", score=10, responded_at=at(2026, 11, 20))  # latest
    lapsed = AccountFactory(tenant=tenant, name="Lapsed")
    SurveyResponseFactory(account=lapsed, kind="nps", score=9, responded_at=at(2026, 11, 1))
    SurveyResponseFactory(account=lapsed, kind="nps", score=4, responded_at=at(2026, 11, 25))  # latest: detractor
    old = AccountFactory(tenant=tenant, name="Old fan")
    SurveyResponseFactory(account=old, kind="nps", score=10, responded_at=at(2025, 6, 1))  # beyond 365 days
    SurveyResponseFactory(account=old, kind="csat", score=5, responded_at=at(2026, 11, 30))
    SurveyResponseFactory(account=old, kind="csat", score=2, responded_at=at(2026, 11, 29))
    SurveyResponseFactory(account=old, kind="csat", score=1, responded_at=at(2026, 8, 1))  # beyond 90 days
    silent = AccountFactory(tenant=tenant, name="Silent")
    return {"fan": fan, "lapsed": lapsed, "old": old, "silent": silent}


def test_latest_nps_source(tenant, world):
    source = get_source("nps_latest")
    assert source.category == "relationship" and source.default_mapping == {"type": "linear", "zero_at": 0, "full_at": 10}
    ids = [a.pk for a in world.values()]
    with tenant_context(tenant), CaptureQueriesContext(connection) as queries:
        values = fetch(source, tenant, None, TODAY, None, pd.Index(ids))
    assert len(queries) == 1
    assert values.dropna().to_dict() == {world["fan"].pk: 10.0, world["lapsed"].pk: 4.0}
    assert values.isna().sum() == 2  # old (answered over 365 days ago) and silent: no data


def test_csat_source_averages_the_window(tenant, world):
    with tenant_context(tenant):
        series = nps_sources.csat_average(tenant, None, TODAY)
        assert series.to_dict() == {world["old"].pk: 3.5}
        assert nps_sources.csat_average(tenant, [world["fan"].pk], TODAY).empty
        assert nps_sources.csat_average(tenant, None, TODAY, window_days=200).to_dict() == {world["old"].pk: pytest.approx(8 / 3)}
    assert get_source("csat_average_90d").default_mapping == {"type": "linear", "zero_at": 1, "full_at": 5}


def test_promoter_trigger_opens_one_cta_for_the_latest_promoters(tenant, world, alice):
    assert get_trigger("promoter_response").params == {"days": 90}
    with tenant_context(tenant):
        counts = expansion_triggers.triggers_evaluate(tenant=tenant, as_of=TODAY)
        assert counts["opened"]["promoter_response"] == 1
        task = Task.objects.get(dedupe_key=f"expansion:promoter_response:{world['fan'].pk}")
        assert task.owner_id == alice.pk and "Latest NPS answer 10 on 2026-11-20" in task.description
        assert expansion_triggers.triggers_evaluate(tenant=tenant, as_of=TODAY)["opened"]["promoter_response"] == 0


def test_promoter_trigger_is_one_query_and_scoped_to_the_tenant(tenant, other_tenant, world):
    theirs = AccountFactory(tenant=other_tenant)
    SurveyResponseFactory(account=theirs, kind="nps", score=10, responded_at=at(2026, 11, 20))
    ids = pd.Index([a.pk for a in world.values()] + [theirs.pk])
    with tenant_context(tenant), CaptureQueriesContext(connection) as queries:
        reasons = nps_sources.promoter_response(TriggerContext(tenant=tenant, as_of=TODAY, account_ids=ids, params={"days": 90}))
    assert len(queries) == 1 and set(reasons) == {world["fan"].pk}
