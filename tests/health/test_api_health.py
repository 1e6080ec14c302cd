"""Account health, history, recompute, scorecard, risk rules, sources and sentiment endpoints."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest

from health.models import HealthSnapshot, Scorecard, Sentiment
from health.scorecard import default_scorecard
from health.services import recompute_health
from tenancy.context import tenant_context
from tenancy.models import Role
from tests.factories.accounts import AccountFactory, ContactFactory
from tests.factories.health import usage_series
from tests.health.conftest import TODAY

pytestmark = pytest.mark.django_db


@pytest.fixture
def scored(tenant, frozen):
    account = AccountFactory(tenant=tenant)
    usage_series(account, "active_users", [8] * 30, end=TODAY - timedelta(days=1))
    usage_series(account, "licensed_seats", [10] * 30, end=TODAY - timedelta(days=1))
    ContactFactory(account=account, is_champion=True)
    recompute_health(tenant=tenant)
    account.refresh_from_db()
    return account


def test_health_before_any_computation(api, tenant):
    account = AccountFactory(tenant=tenant)
    body = api.get(f"/api/v1/accounts/{account.pk}/health/").json()
    assert body["score"] is None and body["status"] is None and body["computed_at"] is None
    assert [(c["key"], c["weight"], c["score"]) for c in body["components"]] == [
        ("usage", 50, None), ("engagement", 25, None), ("relationship", 25, None)]
    assert api.get(f"/api/v1/accounts/{account.pk}/health/history/").json()["results"] == []


def test_health_and_history(api, scored, tenant, django_assert_max_num_queries):
    with django_assert_max_num_queries(6):
        body = api.get(f"/api/v1/accounts/{scored.pk}/health/").json()
    assert body["score"] == float(scored.health_score) and body["status"] == scored.health_status
    assert body["computed_at"].startswith("2026-03-02T12:00:00")
    components = {c["key"]: c for c in body["components"]}
    assert set(components) == {"usage", "engagement", "relationship"}
    assert components["relationship"]["score"] is not None
    assert set(components["usage"]) == {"key", "label", "weight", "score"}
    weighted = [(c["weight"], c["score"]) for c in body["components"] if c["score"] is not None]
    expected = sum(w * s for w, s in weighted) / sum(w for w, _ in weighted)
    assert abs(body["score"] - expected) <= 0.05
    recompute_health(tenant=tenant)
    with django_assert_max_num_queries(6):
        history = api.get(f"/api/v1/accounts/{scored.pk}/health/history/").json()
    assert history["count"] == 2
    entry = history["results"][0]
    assert entry["score"] == body["score"] and entry["components"] == body["components"]
    assert entry["measures"]["usage"]["seat_utilisation"][0] == pytest.approx(0.8)


def test_other_tenant_gets_404_everywhere(other_api, scored, tenant):
    for path in ("health/", "health/history/", "sentiment/"):
        assert other_api.get(f"/api/v1/accounts/{scored.pk}/{path}").status_code == 404
    assert other_api.post(f"/api/v1/accounts/{scored.pk}/sentiment/", {"score": 3}, format="json").status_code == 404
    assert other_api.get(f"/api/v1/usage/?account={scored.pk}").status_code == 404
    assert Sentiment.all_tenants.count() == 0


def test_recompute_inline_answers_200(api, scored, tenant):
    r = api.post("/api/v1/health/recompute/")
    assert r.status_code == 200, r.content
    assert r.json()["status"] == "done" and r.json()["accounts"] == 1
    assert HealthSnapshot.all_tenants.filter(account=scored).count() == 2


def test_recompute_queued_answers_202_with_job_id(api, tenant, settings, django_capture_on_commit_callbacks):
    from config.celery import app
    from core.models import OutboxMessage

    app.conf.task_always_eager = False
    try:
        with mock.patch("health.tasks.recompute_tenant.apply_async") as queued:
            with django_capture_on_commit_callbacks(execute=True):
                r = api.post("/api/v1/health/recompute/")
    finally:
        app.conf.task_always_eager = True
    assert r.status_code == 202 and r.json()["status"] == "queued"
    job_id = r.json()["job_id"]
    assert api.get(f"/api/v1/jobs/{job_id}/").json()["status"] == "queued"
    queued.assert_called_once()
    assert queued.call_args.kwargs["args"] == [tenant.pk] and queued.call_args.kwargs["kwargs"] == {"job_id": job_id}
    assert OutboxMessage.objects.get(kwargs__job_id=job_id).sent_at is not None


def test_recompute_needs_write(api_readonly, tenant):
    assert api_readonly.post("/api/v1/health/recompute/").status_code == 403


def test_scorecard_get_and_put(api, tenant, other_api, django_capture_on_commit_callbacks):
    body = api.get("/api/v1/health/scorecard/").json()
    assert body["version"] == 0
    assert body["bands"] == [{"key": "green", "label": "Green", "min_score": 80, "colour": "green"},
                             {"key": "yellow", "label": "Yellow", "min_score": 60, "colour": "yellow"},
                             {"key": "red", "label": "Red", "min_score": 0, "colour": "red"}]
    assert all(m["available"] for c in body["components"] for m in c["measures"])
    new = {
        "components": [
            {"key": "usage", "label": "Usage", "weight": 70, "measures": [{"key": "seats", "label": "Seats",
                                                                           "source": "seat_utilisation"}]},
            {"key": "support", "label": "Support", "weight": 30, "measures": [
                {"key": "tickets", "label": "Tickets", "source": "someday_source", "window_days": 90}]},
        ],
        "bands": [{"key": "healthy", "label": "Healthy", "min_score": 80}, {"key": "at_risk", "label": "At risk", "min_score": 60},
                  {"key": "critical", "label": "Critical", "min_score": 40}, {"key": "churn_risk", "label": "Churn risk", "min_score": 0}],
    }
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        r = api.put("/api/v1/health/scorecard/", new, format="json")
    assert r.status_code == 200, r.content
    assert len(callbacks) == 1  # every account is recomputed after commit
    body = r.json()
    assert body["version"] == 1 and [b["colour"] for b in body["bands"]] == ["green", "yellow", "orange", "red"]
    assert body["components"][1]["measures"][0]["available"] is False
    assert api.get("/api/v1/health/scorecard/").json() == body
    assert other_api.get("/api/v1/health/scorecard/").json()["version"] == 0


@pytest.mark.parametrize("mutate", [
    lambda d: d["components"][0].update(weight=10),
    lambda d: d.update(bands=[{"key": "only", "label": "Only", "min_score": 0}]),
    lambda d: d.update(components="nope"),
])
def test_invalid_scorecard_is_400_and_changes_nothing(api, tenant, mutate):
    data = default_scorecard()
    mutate(data)
    r = api.put("/api/v1/health/scorecard/", data, format="json")
    assert r.status_code == 400
    assert set(r.json()) & {"components", "bands", "components[0]"}
    assert not Scorecard.all_tenants.exists()


def test_scorecard_write_needs_configure(api_readonly, client, tenant, member):
    assert api_readonly.put("/api/v1/health/scorecard/", default_scorecard(), format="json").status_code == 403
    client.force_login(member(Role.CSM))
    assert client.put("/api/v1/health/scorecard/", default_scorecard(), content_type="application/json").status_code == 403
    client.force_login(member(Role.VP))
    assert client.put("/api/v1/health/scorecard/", default_scorecard(), content_type="application/json").status_code == 200


def test_sources_listing(api):
    keys = {s["key"] for s in api.get("/api/v1/health/sources/").json()}
    assert {"seat_utilisation", "usage_trend", "logins_per_user", "feature_adoption", "api_calls_trend",
            "days_since_last_touch", "meetings", "champion_present", "executive_sponsor", "csm_sentiment"} <= keys


def test_risk_rules_get_and_put(api, tenant, other_api):
    body = api.get("/api/v1/health/risk-rules/").json()
    rules = {r["key"]: r for r in body["rules"]}
    assert rules["usage_drop"]["params"] == {"percent": 25, "days": 30} and rules["usage_drop"]["enabled"]
    r = api.put("/api/v1/health/risk-rules/", {"rules": {"usage_drop": {"percent": 30}, "no_touch": {"enabled": False}},
                                              "competitors": ["Glean", " glean ", "Coveo"]}, format="json")
    assert r.status_code == 200, r.content
    rules = {r["key"]: r for r in r.json()["rules"]}
    assert rules["usage_drop"]["params"]["percent"] == 30 and rules["no_touch"]["enabled"] is False
    assert r.json()["competitors"] == ["Glean", "Coveo"]
    bad = api.put("/api/v1/health/risk-rules/", {"rules": {"usage_drop": {"percent": -1}, "nope": {}}}, format="json")
    assert bad.status_code == 400 and {"usage_drop", "nope"} <= set(bad.json())
    with tenant_context(tenant):
        tenant.refresh_from_db()
    assert tenant.settings["health_risks"]["usage_drop"]["percent"] == 30
    assert {r["key"]: r for r in other_api.get("/api/v1/health/risk-rules/").json()["rules"]}["usage_drop"]["params"][
        "percent"] == 25


def test_sentiment_api(api, tenant, frozen, django_capture_on_commit_callbacks):
    account = AccountFactory(tenant=tenant)
    with django_capture_on_commit_callbacks(execute=True):
        r = api.post(f"/api/v1/accounts/{account.pk}/sentiment/", {"score": 2, "note": "Budget cuts",
                                                                    "expires_in_days": 30}, format="json")
    assert r.status_code == 201, r.content
    assert r.json()["score"] == 2 and r.json()["current"] is True and r.json()["author"] is None
    account.refresh_from_db()
    assert account.health_score is not None  # recomputed inline without a broker
    snapshot = HealthSnapshot.all_tenants.get(account=account)
    assert snapshot.measures["relationship"]["csm_sentiment"][0] == 2
    listing = api.get(f"/api/v1/accounts/{account.pk}/sentiment/").json()
    assert listing["count"] == 1
    for bad in ({"score": 6}, {"score": 0}, {"score": "x"}, {"score": 3, "expires_in_days": 0}):
        assert api.post(f"/api/v1/accounts/{account.pk}/sentiment/", bad, format="json").status_code == 400
    assert Sentiment.all_tenants.count() == 1


def test_openapi_schema_describes_health(api):
    r = api.get("/api/v1/schema/", HTTP_ACCEPT="application/json")
    assert r.status_code == 200
    paths = r.json()["paths"] if r["content-type"].startswith("application/json") else r.content.decode()
    for path in ("/api/v1/usage/", "/api/v1/accounts/{id}/health/", "/api/v1/accounts/{id}/health/history/",
                 "/api/v1/health/recompute/", "/api/v1/health/scorecard/"):
        assert path.replace("{id}", "{pk}") in paths or path in paths


def test_query_counts_do_not_grow_with_rows(api, tenant, frozen, django_assert_max_num_queries,
                                            django_capture_on_commit_callbacks):
    accounts = [AccountFactory(tenant=tenant) for _ in range(4)]
    for account in accounts:
        for score in (2, 3, 4):
            api.post(f"/api/v1/accounts/{account.pk}/sentiment/", {"score": score}, format="json")
    account = accounts[0]
    with django_assert_max_num_queries(6):
        assert api.get(f"/api/v1/accounts/{account.pk}/sentiment/").json()["count"] == 3
    with django_assert_max_num_queries(24):  # includes the account's own recompute (a fixed number of queries)
        assert api.post(f"/api/v1/accounts/{account.pk}/sentiment/", {"score": 5}, format="json").status_code == 201
    with django_assert_max_num_queries(5):
        assert api.get("/api/v1/health/scorecard/").status_code == 200
    with django_capture_on_commit_callbacks(execute=False), django_assert_max_num_queries(10):
        assert api.put("/api/v1/health/scorecard/", default_scorecard(), format="json").status_code == 200
    with django_assert_max_num_queries(4):
        assert api.get("/api/v1/health/sources/").status_code == 200
    with django_assert_max_num_queries(4):
        assert api.get("/api/v1/health/risk-rules/").status_code == 200
    with django_assert_max_num_queries(8):
        assert api.put("/api/v1/health/risk-rules/", {"rules": {"no_touch": {"days": 60}}}, format="json").status_code == 200
    with django_assert_max_num_queries(30):
        assert api.post("/api/v1/health/recompute/").json()["accounts"] == 4


def test_malformed_settings_bodies_are_400_and_change_nothing(api, tenant):
    for body in ([], "rules", {"rules": []}):
        assert api.put("/api/v1/health/risk-rules/", body, format="json").status_code == 400
    huge = default_scorecard()
    huge["components"][0]["measures"][0]["mapping"] = {"type": "linear", "zero_at": 10**400, "full_at": 0}
    huge_band = default_scorecard()
    huge_band["bands"][0]["min_score"] = 10**400
    for body in ([], huge, huge_band):
        assert api.put("/api/v1/health/scorecard/", body, format="json").status_code == 400
    tenant.refresh_from_db()
    assert "health_risks" not in (tenant.settings or {}) and not Scorecard.all_tenants.exists()
