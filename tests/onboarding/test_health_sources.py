"""Onboarding's scorecard sources in the health app's registry."""

from datetime import timedelta

import pandas as pd
import pytest
import time_machine

from tests.factories.accounts import AccountFactory

from .conftest import START
from .test_services import at, tick

pytestmark = pytest.mark.django_db

sources = pytest.importorskip("core.registries.health")


def test_sources_are_registered():
    for key in ("onboarding_on_track", "onboarding_progress"):
        source = sources.get_source(key)
        assert source is not None and source.category == "onboarding" and source.unit == "ratio"


@time_machine.travel(at(START + timedelta(days=3)), tick=False)
def test_values_for_accounts_with_an_active_plan(tenant, plan, in_tenant):
    tick(plan, "Kickoff meeting")
    bystander = AccountFactory(tenant=tenant)
    index = pd.Index([plan.account_id, bystander.pk])
    today = START + timedelta(days=3)
    progress = sources.fetch(sources.get_source("onboarding_progress"), tenant, None, today, None, index)
    on_track = sources.fetch(sources.get_source("onboarding_on_track"), tenant, None, today, None, index)
    assert progress[plan.account_id] == pytest.approx(0.16)
    assert on_track[plan.account_id] == 1.0
    assert pd.isna(progress[bystander.pk]) and pd.isna(on_track[bystander.pk])  # no plan: no data
    late = sources.fetch(sources.get_source("onboarding_on_track"), tenant, [plan.account_id],
                         START + timedelta(days=9), None, pd.Index([plan.account_id]))
    assert late[plan.account_id] == 0.0  # "Document success criteria" (day 6) is overdue by then


@time_machine.travel(at(START), tick=False)
def test_scorecard_scores_new_accounts_on_onboarding(tenant, plan, in_tenant):
    services = pytest.importorskip("health.services")
    from health.scorecard import DEFAULT_BANDS, component, measure

    services.scorecard_save(data={
        "components": [component("onboarding", "Onboarding", 100, [
            measure("on_track", "Plan on track", source="onboarding_on_track"),
            measure("progress", "Percent complete", source="onboarding_progress"),
        ])],
        "bands": DEFAULT_BANDS,
    })
    services.recompute_health(tenant=tenant)
    plan.account.refresh_from_db()
    assert plan.account.health_score is not None
    assert float(plan.account.health_score) == pytest.approx(50.0)  # on track 100, progress 0%
