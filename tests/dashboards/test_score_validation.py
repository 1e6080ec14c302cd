"""Score validation: the pure figures by hand, the rank AUC against a brute-force pairwise count, the
observations read from renewals and snapshot history, and the page."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import given
from hypothesis import strategies as st

from dashboards.score_validation import Observation, auc, auc_from_counts, validate
from health.scorecard import DEFAULT_BANDS
from tenancy.context import tenant_context
from tests.dashboards.conftest import at
from tests.factories import AccountFactory, HealthSnapshotFactory, RenewalFactory


def obs(name, outcome, score, band):
    return Observation(account_id=hash(name) % 1000, account_name=name, outcome=outcome, outcome_on=date(2026, 1, 1),
                       score=score, band=band)


def test_validation_by_hand():
    v = validate([
        obs("g1", "renewed", 90, "green"), obs("g2", "expanded", 85, "green"), obs("g3", "renewed", 80, "green"),
        obs("g4", "churned", 80, "green"), obs("y1", "renewed", 60, "yellow"), obs("y2", "downgraded", 55, "yellow"),
        obs("r1", "churned", 30, "red"), obs("r2", "churned", 20, "red"), obs("u1", "churned", None, None),
    ], DEFAULT_BANDS)
    assert [(b.key, b.accounts, b.lost, b.rate) for b in v.bands] == [
        ("green", 4, 1, 25.0), ("yellow", 2, 1, 50.0), ("red", 2, 2, 100.0), ("", 1, 1, 100.0)]
    assert v.lift == 4.0
    # 16 kept x lost pairs: 90 and 85 beat all 4 lost, 80 beats 3 and ties 1 (half), 60 beats 3 -> 14.5 / 16.
    assert v.auc == 14.5 / 16
    assert [o.account_name for o in v.churned_while_top] == ["g4"]
    assert (v.total, v.lost, v.scored) == (9, 5, 8)


def test_no_lift_or_auc_without_both_groups():
    v = validate([obs("g1", "renewed", 90, "green")], DEFAULT_BANDS)
    assert v.auc is None and v.lift is None
    assert validate([], DEFAULT_BANDS).bands[0].rate is None


def brute_force_auc(kept, lost):
    pairs = [(k > x) + 0.5 * (k == x) for k in kept for x in lost]
    return sum(pairs) / len(pairs)


@given(st.lists(st.integers(0, 10), min_size=1, max_size=40), st.lists(st.integers(0, 10), min_size=1, max_size=40))
def test_rank_auc_equals_the_pairwise_count(kept, lost):
    assert auc(kept, lost) == pytest.approx(brute_force_auc(kept, lost), abs=1e-12)


def _closed(account, outcome, *, closed, end=date(2026, 6, 1)):
    renewal = RenewalFactory(account=account, contract_end=end, arr=Decimal("1000"))
    with tenant_context(account.tenant):
        type(renewal).objects.filter(pk=renewal.pk).update(outcome=outcome, stage="closed", closed_at=at(closed))
    return renewal


@pytest.fixture
def outcomes(tenant, other_tenant):
    a, b, c, d, e = (AccountFactory(tenant=tenant, name=n) for n in ("Alpha", "Bravo", "Charlie", "Delta", "Echo"))
    snap = HealthSnapshotFactory
    snap(account=a, computed_at=at("2026-02-10 00:00"), score=Decimal("85"), status="green")
    snap(account=a, computed_at=at("2026-03-01 00:00"), score=Decimal("20"), status="red")  # after the cutoff
    snap(account=b, computed_at=at("2026-02-15 00:00"), score=Decimal("30"), status="red")
    snap(account=c, computed_at=at("2026-02-05 00:00"), score=Decimal("90"), status="green")
    snap(account=d, computed_at=at("2025-12-01 00:00"), score=Decimal("95"), status="green")  # too old then
    _closed(a, "churned", closed="2026-05-20 10:00")  # cutoff: 90 days before 20 May = 19 February
    _closed(b, "downgraded", closed="2026-05-20 10:00")
    _closed(c, "renewed", closed="2026-07-01 00:00")  # recorded late: the contract end (1 June) counts
    _closed(d, "renewed", closed="2026-05-20 10:00")
    RenewalFactory(account=e)  # still open
    _closed(AccountFactory(tenant=other_tenant, name="Globex lost"), "churned", closed="2026-05-20 10:00")


@pytest.mark.django_db
def test_observations_from_renewals_and_history(tenant, outcomes):
    from dashboards.validation_selectors import score_validation

    with tenant_context(tenant):
        v = score_validation()
    assert [(b.key, b.accounts, b.lost) for b in v.bands] == [("green", 2, 1), ("yellow", 0, 0), ("red", 1, 1),
                                                              ("", 1, 0)]
    assert v.lift == 2.0 and v.auc == 1.0  # the one kept scored account (90) beat both lost ones (85, 30)
    assert [(o.account_name, o.outcome_on, o.score) for o in v.churned_while_top] == [("Alpha", date(2026, 5, 20), 85.0)]


@pytest.mark.django_db
def test_the_page(alice_client, tenant, outcomes):
    with CaptureQueriesContext(connection) as captured:
        response = alice_client.get("/dashboards/score-validation/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Alpha" in html and "Globex lost" not in html and "1.000" in html and "2.00×" in html
    assert len(captured) <= 8
    assert "/dashboards/score-validation/" in alice_client.get("/health/scorecard/").content.decode()


@pytest.mark.django_db
def test_the_full_refresh_materialises_the_observations_the_page_then_reads(alice_client, tenant, other_tenant, outcomes):
    from dashboards.refresh import refresh_all
    from dashboards.validation_selectors import (
        materialised_observations,
        outcome_observations,
        score_validation,
    )

    assert "validation" not in refresh_all(tenant=tenant, full=True)  # the first ever leaves them to the next
    assert alice_client.get("/dashboards/score-validation/").context["refreshed"] is None  # computed live
    assert refresh_all(tenant=tenant, full=False)["validation"]["rows"] == 4  # due: never written
    assert "validation" not in refresh_all(tenant=tenant, full=False)  # the 5-minute runs leave them alone then
    assert refresh_all(tenant=tenant, full=True)["validation"]["rows"] == 4  # rewritten, not added to
    with tenant_context(tenant):
        key = lambda o: o.account_name  # noqa: E731
        assert sorted(score_validation(materialised=True).churned_while_top, key=key) == sorted(
            score_validation().churned_while_top, key=key)
        assert sorted(outcome_observations(), key=key) == sorted(materialised_observations(), key=key)
    with CaptureQueriesContext(connection) as captured:
        response = alice_client.get("/dashboards/score-validation/")
    assert response.context["refreshed"] is not None and "snapshot" not in " ".join(q["sql"] for q in captured)
    html = response.content.decode()
    assert "Alpha" in html and "Globex lost" not in html and "1.000" in html and "2.00×" in html


@pytest.mark.django_db
def test_the_churned_while_green_list_is_capped_and_says_so(alice_client, tenant, outcomes, monkeypatch):
    from dashboards import validation_views

    monkeypatch.setattr(validation_views, "CHURNED_SHOWN", 0)
    response = alice_client.get("/dashboards/score-validation/")
    assert response.context["churned_shown"] == [] and "The 0 most recent of 1." in response.content.decode()


# --------------------------------------------------------------------------- counted by the database


def per_observation_validation(observations, bands):
    """The page's figures as they were computed before the database counted them: one pass over the
    observations, the AUC from average ranks (the reference the counts must equal)."""
    order = [b["key"] for b in bands]
    rows, unscored = {key: [0, 0] for key in order}, [0, 0]
    kept, lost = [], []
    for o in observations:
        row = unscored if o.band is None and o.score is None else rows.setdefault(o.band or "", [0, 0])
        row[0] += 1
        row[1] += o.lost
        if o.score is not None:
            (lost if o.lost else kept).append(o.score)
    churned = sorted((o for o in observations if o.lost and o.band == order[0]),
                     key=lambda o: (str(o.outcome_on), o.account_name), reverse=True)
    return {"bands": [(key, *row) for key, row in rows.items()] + ([("", *unscored)] if unscored[0] else []),
            "auc": auc(kept, lost), "counts": (len(observations), sum(o.lost for o in observations), len(kept), len(lost)),
            "churned": churned}


def figures_of(v):
    return {"bands": [(b.key, b.accounts, b.lost) for b in v.bands], "auc": v.auc,
            "counts": (v.total, v.lost, v.retained_scored, v.lost_scored), "churned": v.churned_while_top}


@given(st.lists(st.tuples(st.integers(0, 12), st.booleans()), min_size=1, max_size=60))
def test_the_auc_from_counts_is_the_rank_auc_exactly(scored):
    kept = [s / 2 for s, is_lost in scored if not is_lost]
    lost = [s / 2 for s, is_lost in scored if is_lost]
    counts = [(s, int(not is_lost), int(is_lost)) for s, is_lost in ((s / 2, x) for s, x in scored)]
    assert auc_from_counts(counts) == auc(kept, lost)  # equal to the last bit, not approximately


@given(st.lists(st.tuples(st.sampled_from(["green", "yellow", "red", "gone", None]), st.integers(0, 8),
                          st.sampled_from(["renewed", "expanded", "churned", "downgraded"]), st.integers(0, 3)),
                max_size=40))
def test_the_figures_from_counts_equal_the_per_observation_ones(specs):
    observations = [Observation(account_id=i, account_name=f"n{i % 5}", outcome=outcome, outcome_on=date(2026, 1, 1 + day),
                                score=None if band is None and score == 0 else float(score * 10), band=band)
                    for i, (band, score, outcome, day) in enumerate(specs)]
    v = validate(observations, DEFAULT_BANDS)
    assert figures_of(v) == per_observation_validation(observations, DEFAULT_BANDS)
    assert v.churned_while_top_total == len(v.churned_while_top)


@pytest.fixture
def tied_outcomes(tenant, other_tenant):
    """Twelve outcomes with tied scores across kept and lost, lost green accounts on one day whose names sort
    differently by code point and by locale, a band no longer on the card, and an unscored one."""
    specs = [("Émile", "85", "green", "churned"), ("zeta", "85", "green", "churned"), ("Zulu", "85", "green", "renewed"),
             ("alpha", "85", "green", "downgraded"), ("Bravo", "90", "green", "expanded"),
             ("Kilo", "60.5", "yellow", "churned"), ("Lima", "60.5", "yellow", "renewed"),
             ("Mike", "60.5", "yellow", "renewed"), ("Oscar", "30", "red", "churned"), ("Papa", "30", "red", "renewed"),
             ("Quebec", "45", "amber", "churned"), ("Romeo", None, None, "renewed")]
    for name, score, band, outcome in specs:
        account = AccountFactory(tenant=tenant, name=name)
        if score is not None:
            HealthSnapshotFactory(account=account, computed_at=at("2026-02-10 00:00"), score=Decimal(score), status=band)
        _closed(account, outcome, closed="2026-05-20 10:00")
    _closed(AccountFactory(tenant=other_tenant, name="Globex lost"), "churned", closed="2026-05-20 10:00")


@pytest.mark.django_db
def test_the_figures_the_database_counts_equal_the_per_observation_computation(tenant, tied_outcomes):
    from dashboards.refresh import refresh_all
    from dashboards.validation_selectors import (
        materialised_observations,
        outcome_observations,
        score_validation,
    )

    refresh_all(tenant=tenant, full=False)
    refresh_all(tenant=tenant, full=False)  # the run after the first writes the observations
    with tenant_context(tenant):
        reference = per_observation_validation(outcome_observations(), DEFAULT_BANDS)
        assert per_observation_validation(materialised_observations(), DEFAULT_BANDS) == reference
        assert reference["auc"] not in (None, 0.5, 1.0) and reference["counts"] == (12, 6, 5, 6)
        assert [o.account_name for o in reference["churned"]] == ["Émile", "zeta", "alpha"]
        for materialised in (False, True):
            with CaptureQueriesContext(connection) as captured:
                v = score_validation(materialised=materialised)
            assert figures_of(v) == reference and v.churned_while_top_total == 3
            assert len(captured) <= 2
            capped = score_validation(materialised=materialised, churned_limit=2)
            assert capped.churned_while_top == reference["churned"][:2] and capped.churned_while_top_total == 3
            assert capped.auc == reference["auc"] and [b.key for b in v.bands] == ["green", "yellow", "red", "amber", ""]
