"""The handbook scorecards read advocacy's sources where their handbook scores satisfaction, NPS or references
(000 support and growth, 002 support, 003 support and relationship, 004 relationship; 001 scores none of them),
with the handbook's component weights kept; a recompute gives those measures their values."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from advocacy.models import ReferenceRequest
from health import seed
from health.models import HealthSnapshot
from health.scorecard import validate_scorecard
from health.selectors import resolve_measures
from health.services import recompute_health, scorecard_save
from tests.factories import AccountFactory, ContactFactory, SurveyResponseFactory
from tests.health.test_seed import EXPECTED

pytestmark = pytest.mark.django_db

ADVOCACY_SOURCES = {"nps_latest", "csat_average_90d", "reference_activity"}
WIRED = {
    "rag-fortress": {"support": {"csat_average_90d"}, "growth": {"nps_latest", "reference_activity"}},
    "modular-cs": {},
    "techcorp": {"support": {"csat_average_90d"}},
    "marketingai-pro": {"support": {"csat_average_90d"}, "relationship": {"nps_latest", "reference_activity"}},
    "agent-factory": {"relationship": {"nps_latest", "reference_activity", "csat_average_90d"}},
}
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize("slug", list(WIRED))
def test_advocacy_sources_where_the_handbook_scores_them(slug):
    card = resolve_measures(validate_scorecard(seed.scorecard_for(slug)))
    assert [(c["key"], c["weight"]) for c in card["components"]] == EXPECTED[slug][0]  # weights kept
    wired = {c["key"]: {m["source"] for m in c["measures"]} & ADVOCACY_SOURCES for c in card["components"]}
    assert {k: v for k, v in wired.items() if v} == WIRED[slug]
    for comp in card["components"]:
        for item in comp["measures"]:
            assert item["available"], (slug, item["key"])  # every source is registered
            if item["source"] == "reference_activity":
                assert item["weight"] == 0.5  # 0 for most accounts: a bonus more than a penalty


def test_a_recompute_scores_the_advocacy_measures(tenant, in_tenant):
    scorecard_save(data=seed.scorecard_for("agent-factory"), recompute=False)
    with time_machine.travel(NOW, tick=False):
        happy, quiet = AccountFactory(tenant=tenant), AccountFactory(tenant=tenant)
        champion = ContactFactory(account=happy, is_champion=True)
        SurveyResponseFactory(account=happy, kind="nps", score=10, responded_at=NOW - timedelta(days=20))
        SurveyResponseFactory(account=happy, kind="csat", score=4, responded_at=NOW - timedelta(days=5))
        SurveyResponseFactory(account=happy, kind="csat", score=5, responded_at=NOW - timedelta(days=200))  # too old
        ReferenceRequest.objects.create(account=happy, contact=champion, kind="reference_call", status="completed",
                                        requested_at=NOW - timedelta(days=40), completed_at=NOW - timedelta(days=30))
        recompute_health(tenant=tenant)
    measures = {
        snap.account_id: snap.measures["relationship"]
        for snap in HealthSnapshot.objects.filter(account__in=[happy, quiet])
    }
    happy, quiet = happy.pk, quiet.pk
    assert measures[happy]["nps"] == [10, 100]
    assert measures[happy]["csat"] == [4, 75]
    assert measures[happy]["references"] == [2, 50]
    assert measures[quiet]["nps"] == [None, None] and measures[quiet]["csat"] == [None, None]
    assert measures[quiet]["references"] == [0, 0]
