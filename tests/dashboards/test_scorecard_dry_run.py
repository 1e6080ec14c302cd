"""The scorecard dry run: a proposed card replayed on stored history (accounts changing band, the band
distribution, validation under both cards) against hand-computed figures; nothing saved; admin-only; bad
weights shown on the form; another tenant's history never read."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pandas as pd
import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from health.models import HealthSnapshot, Scorecard
from health.services import scorecard_save, snapshots_write_history
from renewals.models import Renewal
from tenancy.context import tenant_context
from tenancy.models import Role
from tests.dashboards.conftest import NOW
from tests.factories import AccountFactory, RenewalFactory
from tests.route_objects import fingerprint

URL = "/dashboards/scorecard-dry-run/"
LINEAR = {"type": "linear", "zero_at": 0, "full_at": 1}
BANDS = [{"key": "green", "label": "Green", "min_score": 80}, {"key": "yellow", "label": "Yellow", "min_score": 60},
         {"key": "red", "label": "Red", "min_score": 0}]


def scorecard(usage_weight=50, adoption_weight=50, bands=BANDS, extra=()):
    return {"components": [
        {"key": "usage", "label": "Usage", "weight": usage_weight,
         "measures": [{"key": "seats", "label": "Seats", "source": "seat_utilisation", "mapping": LINEAR}]},
        {"key": "adoption", "label": "Adoption", "weight": adoption_weight,
         "measures": [{"key": "features", "label": "Features", "source": "feature_adoption",
                       "mapping": {"type": "linear", "zero_at": 0, "full_at": 10}}, *extra]},
    ], "bands": bands}


def post_data(card: dict) -> dict:
    """The settings form's fields for ``card`` (what the page posts)."""
    data = {"form": "scorecard", "c-TOTAL_FORMS": len(card["components"]), "c-INITIAL_FORMS": len(card["components"]),
            "b-TOTAL_FORMS": len(card["bands"]), "b-INITIAL_FORMS": len(card["bands"])}
    for i, comp in enumerate(card["components"]):
        data.update({f"c-{i}-key": comp["key"], f"c-{i}-label": comp["label"], f"c-{i}-weight": comp["weight"],
                     f"c-{i}-m-TOTAL_FORMS": len(comp["measures"]), f"c-{i}-m-INITIAL_FORMS": len(comp["measures"])})
        for j, item in enumerate(comp["measures"]):
            mapping = item.get("mapping") or {}
            data.update({f"c-{i}-m-{j}-{k}": v for k, v in {
                "key": item["key"], "label": item["label"], "source": item["source"], "window_days": "",
                "weight": "", "mapping_type": mapping.get("type", ""), "zero_at": mapping.get("zero_at", ""),
                "full_at": mapping.get("full_at", ""), "ranges": ""}.items()})
    for i, band in enumerate(card["bands"]):
        data.update({f"b-{i}-key": band["key"], f"b-{i}-label": band["label"], f"b-{i}-min_score": band["min_score"],
                     f"b-{i}-colour": ""})
    return data


@pytest.fixture
def history(tenant, other_tenant, frozen):
    """Three acme accounts scored 50/50 today and 100 days ago from the same raw values (seats, features):
    Able 0.9, 8 -> 85 green; Baker 1.0, 6 -> 80 green; Cole 0.2, 9 -> 55 red (and 101 days ago). 10 days ago Baker churned, Able
    and Cole renewed (their snapshots 101 days ago are the latest 90 days before). Globex has its own green
    account (never to be seen)."""
    accounts = {}
    with tenant_context(tenant):
        scorecard_save(data=scorecard(), recompute=False)
        for name, seats, features, outcome in (("Able", 0.9, 8, "renewed"), ("Baker", 1.0, 6, "churned"),
                                                ("Cole", 0.2, 9, "renewed")):
            account = AccountFactory(tenant=tenant, name=name, health_status="green")
            accounts[name] = (account, seats, features, outcome)
        rows = pd.DataFrame([
            {"account_id": a.pk, "computed_at": when, "usage.seats": seats, "adoption.features": features}
            for a, seats, features, _ in accounts.values() for when in (NOW - timedelta(days=101), NOW - timedelta(hours=1))
        ])
        assert snapshots_write_history(tenant=tenant, rows=rows) == 6
        for account, _, _, outcome in accounts.values():
            renewal = RenewalFactory(account=account, contract_end=(NOW - timedelta(days=10)).date(), arr=Decimal("1000"))
            Renewal.objects.filter(pk=renewal.pk).update(outcome=outcome, stage="closed", closed_at=NOW - timedelta(days=10))
    with tenant_context(other_tenant):
        scorecard_save(data=scorecard(), recompute=False)
        globex = AccountFactory(tenant=other_tenant, name="Globex green")
        snapshots_write_history(tenant=other_tenant, rows=pd.DataFrame([
            {"account_id": globex.pk, "computed_at": NOW - timedelta(hours=1), "usage.seats": 1.0, "adoption.features": 10}]))
    return {name: row[0] for name, row in accounts.items()}


@pytest.mark.django_db
def test_stored_scores_are_the_hand_computed_ones(tenant, history):
    with tenant_context(tenant):
        latest = {s.account_id: (float(s.score), s.status) for s in HealthSnapshot.objects.filter(computed_at__gt=NOW - timedelta(days=1))}
    assert latest == {history["Able"].pk: (85.0, "green"), history["Baker"].pk: (80.0, "green"),
                      history["Cole"].pk: (55.0, "red")}


@pytest.mark.django_db
def test_dry_run_by_hand(tenant, history):
    from dashboards.dry_run_selectors import scorecard_dry_run
    from health.scorecard import validate_scorecard

    with tenant_context(tenant):
        # 20/80: Able 18 + 64 = 82 green; Baker 20 + 48 = 68 yellow; Cole 4 + 72 = 76 yellow.
        page = scorecard_dry_run(proposed=validate_scorecard(scorecard(20, 80)))
    r = page.result
    assert (r.compared, r.changed) == (3, 2)
    assert [(page.names[m.account_id], m.old_band, m.new_band, m.old_score, m.new_score, m.delta) for m in r.moves] == [
        ("Baker", "green", "yellow", 80.0, 68.0, -12.0), ("Cole", "red", "yellow", 55.0, 76.0, 21.0)]
    today = r.distribution[-1]
    assert today.at == NOW and (today.old, today.new) == ({"green": 2, "red": 1}, {"green": 1, "yellow": 2})
    assert all(row.accounts == 0 for row in r.distribution[:-1])  # nothing else within a week of those dates
    # Current: kept 85 and 55 against lost 80 -> 0.5; proposed: kept 82 and 76 against lost 68 -> 1.0.
    old, new = r.validation_old, r.validation_new
    assert (old.auc, new.auc) == (0.5, 1.0)
    assert [(b.key, b.accounts, b.lost) for b in old.bands] == [("green", 2, 1), ("yellow", 0, 0), ("red", 1, 0)]
    assert [(b.key, b.accounts, b.lost) for b in new.bands] == [("green", 1, 0), ("yellow", 2, 1), ("red", 0, 0)]
    assert [o.account_name for o in old.churned_while_top] == ["Baker"] and new.churned_while_top == []


@pytest.mark.django_db
def test_the_same_card_changes_nothing(tenant, history):
    from dashboards.dry_run_selectors import scorecard_dry_run
    from health.scorecard import validate_scorecard

    with tenant_context(tenant):
        page = scorecard_dry_run(proposed=validate_scorecard(scorecard()))
    assert page.result.changed == 0 and page.result.validation_old.auc == page.result.validation_new.auc == 0.5


@pytest.mark.django_db
def test_the_page_saves_nothing_and_shows_the_figures(alice_client, tenant, other_tenant, history):
    before, before_other = fingerprint(tenant), fingerprint(other_tenant)
    with CaptureQueriesContext(connection) as captured:
        response = alice_client.post(URL, post_data(scorecard(20, 80)))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Nothing has been saved" in html and 'data-testid="changed">2 ' in html
    assert "Baker" in html and "Cole" in html and f"/accounts/{history['Baker'].pk}/" in html
    assert "0.500 → 1.000" in html and "Globex green" not in html
    assert 'name="c-0-weight" value="20"' in html  # "Save these settings" posts what was replayed
    assert len(captured) <= 12
    assert fingerprint(tenant) == before and fingerprint(other_tenant) == before_other
    with tenant_context(tenant):
        assert Scorecard.objects.get().version == 1


@pytest.mark.django_db
def test_a_measure_history_cannot_replay_is_named(alice_client, history):
    extra = ({"key": "nps", "label": "Latest NPS", "source": "nps_latest", "mapping": {}},)
    html = alice_client.post(URL, post_data(scorecard(extra=extra))).content.decode()
    assert "Not replayable from history" in html and "Latest NPS" in html


@pytest.mark.django_db
def test_bad_weights_show_on_the_form_and_nothing_runs(alice_client, tenant, history):
    before = fingerprint(tenant)
    response = alice_client.post(URL, post_data(scorecard(50, 40)))
    assert response.status_code == 400
    html = response.content.decode()
    assert "Not run (nothing was saved)." in html and "must sum to 100 (they sum to 90)" in html
    assert 'name="c-1-weight" value="40"' in html  # the form as posted, to correct
    assert fingerprint(tenant) == before


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.CSM, Role.VIEWER, Role.SUPPORT_ENGINEER])
def test_only_those_who_configure_the_scorecard(client, member, history, role):
    client.force_login(member(role))
    assert client.post(URL, post_data(scorecard(20, 80))).status_code == 403


@pytest.mark.django_db
def test_post_only_and_signed_in_only(alice_client, history):
    assert alice_client.get(URL).status_code == 405
    assert Client().post(URL, post_data(scorecard())).status_code == 302  # to sign in


@pytest.mark.django_db
def test_another_tenants_admin_sees_only_their_own(bob_client, other_tenant, history):
    html = bob_client.post(URL, post_data(scorecard(20, 80))).content.decode()
    assert "Baker" not in html and "Able" not in html and 'data-testid="changed">0 <span class="muted small">of 1' in html


@pytest.mark.django_db
def test_the_settings_page_offers_the_dry_run(alice_client, history):
    html = alice_client.get("/health/scorecard/").content.decode()
    assert f'formaction="{URL}"' in html


@pytest.mark.django_db
def test_a_tenant_without_history(alice_client, tenant, frozen):
    AccountFactory(tenant=tenant, name="Never scored")
    response = alice_client.post(URL, post_data(scorecard(20, 80)))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="changed">0 <span class="muted small">of 0' in html and "No account changes band." in html
