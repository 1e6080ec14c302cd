"""Health's writes as production runs them: autocommit, real commits, on_commit recomputes firing.

One file of the transactional test layer (described in tests/transactional_support.py): usage upserts,
the scorecard (it locks its row), sentiment, the recompute, risk rules (they lock the tenant row) and
pruning, through the services and through the pages and API that call them.
"""

from datetime import UTC, datetime, timedelta

import pytest

from accounts.models import Account, Activity
from health import risks, services, tasks
from health.models import HealthSnapshot, Scorecard, Sentiment, UsageRecord
from health.scorecard import default_scorecard
from tenancy.models import Tenant
from tests.factories import AccountFactory
from tests.health.test_views import scorecard_post
from tests.transactional_support import Boom, autocommit, boom, committed  # noqa: F401 (fixture)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("autocommit")]


@pytest.fixture
def account(tenant):
    return AccountFactory(tenant=tenant, name="Initech", external_id="I-1")


def snapshots(account) -> int:
    return HealthSnapshot.all_tenants.filter(account_id=account.pk).count()


def score(account):
    return Account.all_tenants.get(pk=account.pk).health_score


def usage_rows(day: str = "2026-01-05") -> list[dict]:
    return [{"account_external_id": "I-1", "date": day, "metric": "active_users", "value": 7},
            {"account_external_id": "I-1", "date": day, "metric": "licensed_seats", "value": 10}]


# --- usage ----------------------------------------------------------------------------------------


def test_usage_ingest_commits_and_recomputes_after_commit(in_tenant, account):
    assert services.usage_ingest(rows=usage_rows()) == 2
    assert committed(lambda: UsageRecord.all_tenants.filter(account_id=account.pk).count()) == 2
    assert committed(lambda: snapshots(account)) == 1  # the on_commit request ran
    services.usage_ingest(rows=[{"account": account.pk, "date": "2026-01-05", "metric": "active_users", "value": 9}])
    assert committed(lambda: UsageRecord.all_tenants.get(account_id=account.pk, metric="active_users").value) == 9


def test_usage_ingest_failing_midway_writes_nothing(in_tenant, account, monkeypatch):
    monkeypatch.setattr(services.ingest, "request_account_recompute", boom)  # after the upsert
    with pytest.raises(Boom):
        services.usage_ingest(rows=usage_rows())
    assert committed(lambda: UsageRecord.all_tenants.count()) == 0


def test_usage_api_commits(api, account):
    r = api.post("/api/v1/usage/", usage_rows(), format="json")
    assert r.status_code in (200, 201, 202), r.content
    assert committed(lambda: UsageRecord.all_tenants.count()) == 2
    assert committed(lambda: score(account)) is not None


# --- scorecard (select_for_update) -----------------------------------------------------------------


def test_scorecard_save_locks_commits_and_recomputes_after_commit(in_tenant, account, alice):
    services.scorecard_save(data=default_scorecard(), actor=alice)
    assert committed(lambda: Scorecard.all_tenants.get(tenant_id=account.tenant_id).version) == 1
    assert committed(lambda: snapshots(account)) == 1
    services.scorecard_save(data=default_scorecard(), actor=alice, recompute=False)
    assert committed(lambda: Scorecard.all_tenants.get(tenant_id=account.tenant_id).version) == 2
    assert committed(lambda: snapshots(account)) == 1


def test_scorecard_save_failing_midway_writes_nothing_and_recomputes_nothing(in_tenant, account, alice, monkeypatch):
    monkeypatch.setattr(services.config, "scorecard_get", boom)  # after the row is created, locked and saved
    with pytest.raises(Boom):
        services.scorecard_save(data=default_scorecard(), actor=alice)
    assert committed(lambda: Scorecard.all_tenants.count()) == 0
    assert committed(lambda: HealthSnapshot.all_tenants.count()) == 0


def test_scorecard_api_put_and_page_post_commit(api, alice_client, account):
    r = api.put("/api/v1/health/scorecard/", default_scorecard(), format="json")
    assert r.status_code == 200, r.content
    assert committed(lambda: snapshots(account)) == 1
    r = alice_client.post("/health/scorecard/", scorecard_post())
    assert r.status_code == 302, r.content.decode()[:2000]
    card = committed(lambda: Scorecard.all_tenants.get(tenant_id=account.tenant_id))
    assert card.version == 2 and [c["weight"] for c in card.components] == [60, 40]
    assert committed(lambda: snapshots(account)) == 2


# --- sentiment ------------------------------------------------------------------------------------


def test_sentiment_commits_with_its_timeline_row_and_recomputes(in_tenant, account, alice):
    sentiment = services.sentiment_set(account=account, score=2, note="Budget cuts", actor=alice)
    assert committed(lambda: Sentiment.all_tenants.get(pk=sentiment.pk).score) == 2
    assert committed(lambda: Activity.all_tenants.filter(ref_type="sentiment", ref_id=sentiment.pk).exists())
    assert committed(lambda: snapshots(account)) >= 1  # recomputed (on commit, or at once)


def test_sentiment_failing_midway_writes_nothing(in_tenant, account, alice, monkeypatch):
    monkeypatch.setattr(services.sentiment, "activity_record", boom)
    with pytest.raises(Boom):
        services.sentiment_set(account=account, score=2, actor=alice)
    assert committed(lambda: (Sentiment.all_tenants.count(), HealthSnapshot.all_tenants.count())) == (0, 0)


def test_sentiment_page_and_api_commit(api, alice_client, account):
    r = api.post(f"/api/v1/accounts/{account.pk}/sentiment/", {"score": 4}, format="json")
    assert r.status_code == 201, r.content
    r = alice_client.post(f"/health/accounts/{account.pk}/sentiment/", {"score": "3", "expires_in_days": "10"})
    assert r.status_code in (200, 302)
    assert committed(lambda: sorted(Sentiment.all_tenants.values_list("score", flat=True))) == [3, 4]
    assert committed(lambda: score(account)) is not None


# --- recompute ------------------------------------------------------------------------------------


def test_recompute_commits_snapshots_and_scores(tenant, account):
    outcome = services.recompute_health(tenant=tenant)
    assert outcome.accounts == 1
    assert committed(lambda: (snapshots(account), score(account) is not None)) == (1, True)


def test_recompute_failing_midway_writes_nothing(tenant, account, monkeypatch):
    monkeypatch.setattr(risks, "evaluate", boom)  # after snapshots and scores were written
    with pytest.raises(Boom):
        services.recompute_health(tenant=tenant)
    assert committed(lambda: (snapshots(account), score(account))) == (0, None)


def test_recompute_api_and_page_commit(api, alice_client, account):
    r = api.post("/api/v1/health/recompute/")
    assert r.status_code in (200, 202), r.content
    assert committed(lambda: snapshots(account)) == 1
    assert alice_client.post("/health/recompute/").status_code == 302
    assert committed(lambda: snapshots(account)) == 2


# --- risk rules and retention (select_for_update on the tenant) -------------------------------------


def stored_settings(tenant) -> dict:
    return committed(lambda: Tenant.objects.get(pk=tenant.pk).settings)


def test_risk_settings_save_locks_and_commits(tenant):
    services.risk_settings_save(tenant=tenant, rules={"usage_drop": {"percent": 30}}, competitors=["Glean"],
                                retention_days={"keep_all_days": 20, "keep_daily_days": 300})
    stored = stored_settings(tenant)
    assert stored[risks.SETTINGS_KEY]["usage_drop"]["percent"] == 30 and stored["competitors"] == ["Glean"]
    assert stored["health_retention"] == {"keep_all_days": 20, "keep_daily_days": 300}


def test_risk_settings_saved_from_a_stale_tenant_keep_the_other_admins_change(tenant):
    """Two admins save different rules: the second save starts from the row it locked, not from the
    settings its request loaded before the first save committed."""
    stale = Tenant.objects.get(pk=tenant.pk)
    services.risk_settings_save(tenant=tenant, rules={"usage_drop": {"percent": 30}})
    services.risk_settings_save(tenant=stale, rules={"no_touch": {"days": 60}})
    rules = stored_settings(tenant)[risks.SETTINGS_KEY]
    assert rules["usage_drop"]["percent"] == 30 and rules["no_touch"]["days"] == 60


def test_risk_rules_api_and_page_commit(api, alice_client, tenant):
    r = api.put("/api/v1/health/risk-rules/", {"rules": {"no_touch": {"days": 60}}}, format="json")
    assert r.status_code == 200, r.content
    data = {"form": "risks", "rule-usage_drop-enabled": "on", "rule-usage_drop-percent": "35",
            "rule-usage_drop-days": "30", "rule-no_touch-enabled": "on", "rule-no_touch-days": "60",
            "competitors": "Glean"}
    assert alice_client.post("/health/scorecard/", data).status_code == 302
    stored = stored_settings(tenant)
    assert stored[risks.SETTINGS_KEY]["usage_drop"]["percent"] == 35 and stored["competitors"] == ["Glean"]


# --- pruning ----------------------------------------------------------------------------------------


def test_prune_commits_through_the_service_and_the_task(tenant, account):
    now = datetime.now(UTC)

    def history(*days):
        HealthSnapshot.all_tenants.bulk_create([
            HealthSnapshot(tenant=tenant, account=account, computed_at=now - timedelta(days=d)) for d in days
        ])

    history(600, 500)
    assert services.prune_snapshots(tenant=tenant) == 1
    assert committed(lambda: snapshots(account)) == 1
    history(700)
    assert tasks.prune_snapshots.delay(tenant.pk).get() == {"deleted": 1}
    assert committed(lambda: snapshots(account)) == 1
