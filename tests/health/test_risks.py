"""Early-warning rules: each opens one CTA per account for its CSM, with the reason, and closes it
when the condition clears; thresholds are tenant settings; other apps add rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
from django.utils import timezone

from accounts.models import Activity, Contact, Task
from core.registries.health import register_risk_rule, unregister_risk_rule
from health.models import UsageRecord
from health.risks import competitor_pattern
from health.services import recompute_health, risk_settings_save
from tests.factories.accounts import AccountFactory, ActivityFactory, ContactFactory
from tests.factories.health import HealthSnapshotFactory, usage_series
from tests.health.conftest import TODAY

pytestmark = pytest.mark.django_db


def open_risks(account=None, rule=None) -> list[Task]:
    qs = Task.all_tenants.filter(status="open", source="risk")
    if account is not None:
        qs = qs.filter(account=account)
    if rule is not None:
        qs = qs.filter(dedupe_key__startswith=f"risk:{rule}:")
    return list(qs)


@pytest.fixture
def csm(member):
    return member()


@pytest.fixture
def quiet_rules(tenant):
    """Only the rule under test: the others are switched off for the tenant."""

    def only(rule: str, **params):
        rules = {key: {"enabled": key == rule} for key in
                 ("usage_drop", "band_drop", "no_touch", "champion_left", "competitor_mentioned", "payment_overdue")}
        rules[rule].update(params)
        risk_settings_save(tenant=tenant, rules=rules)

    return only


def test_usage_drop_opens_once_for_the_csm_and_closes_when_usage_recovers(tenant, csm, frozen, quiet_rules):
    quiet_rules("usage_drop")
    account = AccountFactory(tenant=tenant, csm=csm, name="Falling Co")
    steady = AccountFactory(tenant=tenant, csm=csm)
    usage_series(account, "active_users", [20] * 30 + [14] * 30, end=TODAY - timedelta(days=1))  # -30%
    usage_series(steady, "active_users", [20] * 30 + [18] * 30, end=TODAY - timedelta(days=1))  # -10%
    outcome = recompute_health(tenant=tenant)
    assert outcome.risks_opened == 1
    [task] = open_risks(account)
    assert task.dedupe_key == f"risk:usage_drop:{account.pk}" and task.owner == csm and task.source == "risk"
    assert "down 30%" in task.description and task.priority == "high"
    assert task.due_date == TODAY + timedelta(days=3)
    assert Activity.all_tenants.filter(account=account, subject="Alert opened: Usage dropped", ref_id=task.pk).exists()
    assert not open_risks(steady)
    recompute_health(tenant=tenant)
    assert len(open_risks(account)) == 1  # once, not twice
    UsageRecord.all_tenants.filter(account=account, value=14).update(value=19)
    outcome = recompute_health(tenant=tenant)
    assert outcome.risks_closed == 1 and not open_risks(account)
    task.refresh_from_db()
    assert task.status == "done"


def test_thresholds_are_tenant_settings(tenant, frozen, quiet_rules):
    account = AccountFactory(tenant=tenant)
    usage_series(account, "active_users", [20] * 30 + [14] * 30, end=TODAY - timedelta(days=1))
    quiet_rules("usage_drop", percent=40)
    recompute_health(tenant=tenant)
    assert not open_risks(account)
    quiet_rules("usage_drop", percent=30)
    recompute_health(tenant=tenant)
    assert len(open_risks(account)) == 1
    quiet_rules("payment_overdue")  # usage_drop switched off: its CTA closes
    recompute_health(tenant=tenant)
    assert not open_risks(account)


def test_band_drop_compares_with_the_band_days_ago(tenant, frozen, quiet_rules):
    quiet_rules("band_drop", days=14)
    fallen = AccountFactory(tenant=tenant)
    stable = AccountFactory(tenant=tenant)
    then = timezone.now() - timedelta(days=20)
    HealthSnapshotFactory(account=fallen, computed_at=then, score=85, status="green")
    HealthSnapshotFactory(account=stable, computed_at=then, score=10, status="red")
    recompute_health(tenant=tenant)  # neither has data: champion 0 -> red
    [task] = open_risks(fallen)
    assert "from Green to Red" in task.description
    assert not open_risks(stable)


def test_band_drop_for_an_account_scored_for_less_than_the_window(tenant, frozen, quiet_rules):
    quiet_rules("band_drop", days=14)
    young = AccountFactory(tenant=tenant)
    HealthSnapshotFactory(account=young, computed_at=timezone.now() - timedelta(days=3), score=85, status="green")
    first_ever = AccountFactory(tenant=tenant)
    recompute_health(tenant=tenant)  # neither has data: champion 0 -> red
    [task] = open_risks(young)
    assert "from Green to Red" in task.description
    assert not open_risks(first_ever)  # its first score is no drop
    recompute_health(tenant=tenant)
    assert len(open_risks(young)) == 1 and not open_risks(first_ever)


def test_churned_accounts_risks_close_on_the_next_full_recompute(tenant, frozen, quiet_rules):
    quiet_rules("payment_overdue")
    late = AccountFactory(tenant=tenant, payment_overdue=True)
    kept = AccountFactory(tenant=tenant, payment_overdue=True)
    recompute_health(tenant=tenant)
    type(late).all_tenants.filter(pk=late.pk).update(status="churned")
    recompute_health(tenant=tenant, account_ids=[kept.pk])  # a single-account run leaves others alone
    assert len(open_risks(late)) == 1
    assert recompute_health(tenant=tenant).risks_closed == 1
    assert not open_risks(late) and len(open_risks(kept)) == 1


def test_no_touch(tenant, frozen, quiet_rules):
    quiet_rules("no_touch", days=30)
    old = AccountFactory(tenant=tenant, created_at=timezone.now() - timedelta(days=200))
    recent = AccountFactory(tenant=tenant, created_at=timezone.now() - timedelta(days=200))
    ActivityFactory(account=old, kind="call", occurred_at=timezone.now() - timedelta(days=45))
    ActivityFactory(account=recent, kind="call", occurred_at=timezone.now() - timedelta(days=3))
    recompute_health(tenant=tenant)
    [task] = open_risks(old)
    assert "45 days" in task.description and task.priority == "medium"
    assert not open_risks(recent)
    ActivityFactory(account=old, kind="email", occurred_at=timezone.now() - timedelta(hours=1))
    recompute_health(tenant=tenant)
    assert not open_risks(old)


def test_champion_left_opens_and_a_new_champion_closes(tenant, frozen, quiet_rules):
    quiet_rules("champion_left")
    account = AccountFactory(tenant=tenant)
    ContactFactory(account=account, name="Pat Lee", is_champion=True, left_company=True,
                   left_company_at=timezone.now() - timedelta(days=2))
    recompute_health(tenant=tenant)
    [task] = open_risks(account)
    assert "Pat Lee left" in task.description and task.priority == "urgent"
    ContactFactory(account=account, is_champion=True)
    recompute_health(tenant=tenant)
    assert not open_risks(account)
    assert Contact.all_tenants.count() == 2


def test_competitor_named_in_a_note(tenant, frozen, quiet_rules):
    quiet_rules("competitor_mentioned", days=30)
    risk_settings_save(tenant=tenant, competitors=["Glean", "Elastic Enterprise Search", "C++ Tools"])
    named = AccountFactory(tenant=tenant)
    innocent = AccountFactory(tenant=tenant)
    ActivityFactory(account=named, kind="note", subject="Renewal call",
                    body="They are also evaluating elastic enterprise search next quarter.")
    ActivityFactory(account=innocent, kind="note", body="Gleaning insights from dashboards")  # not the word
    recompute_health(tenant=tenant)
    [task] = open_risks(named)
    assert "elastic enterprise search" in task.description.lower()
    assert not open_risks(innocent)
    assert competitor_pattern(["C++ Tools"]) == r"\m(C\+\+ Tools)\M"


def test_payment_overdue(tenant, frozen, quiet_rules):
    quiet_rules("payment_overdue")
    late = AccountFactory(tenant=tenant, payment_overdue=True)
    recompute_health(tenant=tenant)
    assert len(open_risks(late, "payment_overdue")) == 1
    late.payment_overdue = False
    late.save()
    recompute_health(tenant=tenant)
    assert not open_risks(late)


def test_single_account_recompute_leaves_other_accounts_risks(tenant, frozen, quiet_rules):
    quiet_rules("payment_overdue")
    a = AccountFactory(tenant=tenant, payment_overdue=True)
    b = AccountFactory(tenant=tenant, payment_overdue=True)
    recompute_health(tenant=tenant)
    type(b).all_tenants.filter(pk=b.pk).update(payment_overdue=False)
    recompute_health(tenant=tenant, account_ids=[a.pk])
    assert len(open_risks(b)) == 1 and len(open_risks(a)) == 1


def test_other_apps_register_rules_with_thresholds(tenant, frozen, quiet_rules):
    seen = {}

    def burst(ctx):
        seen.update(ctx.params)
        return pd.Series({ctx.account_index[0]: f"{ctx.params['count']} Sev1/Sev2 tickets in {ctx.params['days']} days"})

    register_risk_rule("sev12_test", "Burst of Sev1/Sev2 tickets", burst, params={"count": 2, "days": 14})
    try:
        quiet_rules("payment_overdue")
        risk_settings_save(tenant=tenant, rules={"sev12_test": {"count": 3}})
        account = AccountFactory(tenant=tenant)
        recompute_health(tenant=tenant)
        [task] = open_risks(account, "sev12_test")
        assert seen == {"count": 3, "days": 14} and task.description == "3 Sev1/Sev2 tickets in 14 days"
    finally:
        unregister_risk_rule("sev12_test")


def test_account_list_filters_on_risk_ctas(alice_client, tenant, frozen, quiet_rules):
    quiet_rules("payment_overdue")
    late = AccountFactory(tenant=tenant, payment_overdue=True, name="Late Payer")
    AccountFactory(tenant=tenant, name="On Time")
    recompute_health(tenant=tenant)
    html = alice_client.get("/accounts/?risk=any").content.decode()
    assert late.name in html and "On Time" not in html
    assert "Late Payer" in alice_client.get("/accounts/?risk=payment_overdue").content.decode()


def test_risks_not_evaluated_for_backfills(tenant, frozen, quiet_rules):
    quiet_rules("payment_overdue")
    AccountFactory(tenant=tenant, payment_overdue=True)
    recompute_health(tenant=tenant, as_of=TODAY - timedelta(days=7),
                     computed_at=datetime(2026, 2, 23, tzinfo=UTC))
    assert not open_risks()


def test_many_new_risks_open_in_bulk_with_the_same_meaning(tenant, csm, frozen, quiet_rules, django_assert_max_num_queries):
    from health.risks import BULK_OPEN_THRESHOLD

    quiet_rules("payment_overdue")
    accounts = [AccountFactory(tenant=tenant, csm=csm, payment_overdue=True) for _ in range(BULK_OPEN_THRESHOLD + 5)]
    with django_assert_max_num_queries(30):
        outcome = recompute_health(tenant=tenant)
    assert outcome.risks_opened == len(accounts)
    tasks = open_risks()
    assert len(tasks) == len(accounts)
    assert {t.owner_id for t in tasks} == {csm.pk} and {t.priority for t in tasks} == {"high"}
    assert Activity.all_tenants.filter(subject="Alert opened: Payment overdue", ref_type="task").count() == len(accounts)
    assert recompute_health(tenant=tenant).risks_opened == 0
