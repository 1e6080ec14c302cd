"""Expansion triggers (issue 11 "Expansion"): the built-ins on known usage (seat utilisation above 90% over
14 days, usage growth above 30% over 30 days), one suggestion CTA per account and trigger, not repeated while
open, set-based with a query count that does not grow with accounts, tenant thresholds, the registry, and
the daily job (fan-out with expires)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from unittest import mock

import pandas as pd
import pytest
import time_machine
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Task, TaskStatus
from base.errors import DomainError
from renewals import expansion_triggers, opportunity_services, opportunity_tasks
from tenancy.context import tenant_context
from tests.factories import AccountFactory, UsageRecordFactory

pytestmark = pytest.mark.django_db
TODAY = date(2026, 3, 15)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel("2026-03-15 12:00:00+00:00", tick=False):
        yield


def usage(account, *, active, days, seats=None, start=1):
    """``active`` users on each of the ``days`` days before today (starting ``start`` days back)."""
    for back in range(start, start + days):
        UsageRecordFactory(account=account, metric="active_users", date=TODAY - timedelta(days=back), value=active)
        if seats is not None:
            UsageRecordFactory(account=account, metric="licensed_seats", date=TODAY - timedelta(days=back), value=seats)


@pytest.fixture
def world(tenant, alice):
    full = AccountFactory(tenant=tenant, name="Full", csm=alice, arr=Decimal("1000"))
    usage(full, active=95, days=14, seats=100)                      # 95% over 14 days
    roomy = AccountFactory(tenant=tenant, name="Roomy", arr=Decimal("1000"))
    usage(roomy, active=85, days=14, seats=100)                     # 85%
    churned = AccountFactory(tenant=tenant, name="Gone", status="churned", arr=Decimal("0"))
    usage(churned, active=99, days=14, seats=100)
    growing = AccountFactory(tenant=tenant, name="Growing", arr=Decimal("1000"))
    usage(growing, active=10, days=30, start=31)                    # 300 user-days the 30 days before
    usage(growing, active=14, days=30, seats=1000)                  # 420 now: +40%
    steady = AccountFactory(tenant=tenant, name="Steady", arr=Decimal("1000"))
    usage(steady, active=10, days=30, start=31)
    usage(steady, active=12, days=30, seats=1000)                   # +20%
    return {"full": full, "roomy": roomy, "churned": churned, "growing": growing, "steady": steady}


def open_ctas():
    return sorted(
        (t.dedupe_key, t.account.name, t.owner_id, t.source, t.due_date)
        for t in Task.all_tenants.filter(status=TaskStatus.OPEN, dedupe_key__startswith="expansion:").select_related("account")
    )


BUILTINS = ("seat_utilisation", "usage_growth")


def builtins_only(result):
    """The renewals built-ins' counts (other apps' triggers, e.g. advocacy's promoter_response, run too)."""
    return {part: {k: n for k, n in counts.items() if k in BUILTINS} for part, counts in result.items()}


def evaluate(tenant):
    with tenant_context(tenant):
        return builtins_only(expansion_triggers.triggers_evaluate(tenant=tenant))


def run(tenant):
    """What the run opened, by trigger."""
    return evaluate(tenant)["opened"]


def test_builtins_open_one_suggestion_per_account_and_trigger(tenant, world, alice):
    assert run(tenant) == {"seat_utilisation": 1, "usage_growth": 1}
    due = TODAY + timedelta(days=7)
    assert open_ctas() == [
        (f"expansion:seat_utilisation:{world['full'].pk}", "Full", alice.pk, "renewal", due),
        (f"expansion:usage_growth:{world['growing'].pk}", "Growing", None, "renewal", due),
    ]
    task = Task.all_tenants.get(dedupe_key=f"expansion:seat_utilisation:{world['full'].pk}")
    assert task.title == "Expansion: Seats nearly full"
    assert "95%" in task.description and "each of the last 14 days" in task.description
    assert "40%" in Task.all_tenants.get(dedupe_key__startswith="expansion:usage_growth").description


def test_a_second_run_opens_nothing_while_open_and_again_once_closed(tenant, world):
    run(tenant)
    assert run(tenant) == {"seat_utilisation": 0, "usage_growth": 0}
    assert len(open_ctas()) == 2
    Task.all_tenants.filter(dedupe_key__startswith="expansion:seat_utilisation").update(status=TaskStatus.DONE)
    assert run(tenant) == {"seat_utilisation": 1, "usage_growth": 0}


def test_thresholds_are_tenant_settings(tenant, world):
    with tenant_context(tenant):
        opportunity_services.opportunity_settings_update(trigger_params={
            "seat_utilisation": {"percent": 80}, "usage_growth": {"enabled": False},
        })
    assert run(tenant) == {"seat_utilisation": 2}
    assert {name for _, name, *_ in open_ctas()} == {"Full", "Roomy"}


@pytest.mark.parametrize("values", [
    {"bogus": {}}, {"seat_utilisation": {"percent": -1}}, {"seat_utilisation": {"nope": 1}},
    {"seat_utilisation": {"enabled": "yes"}}, {"usage_growth": 5}, [],
])
def test_bad_thresholds_are_refused(in_tenant, values):
    with pytest.raises(DomainError) as error:
        opportunity_services.opportunity_settings_update(trigger_params=values)
    assert error.value.field == "trigger_params"


def test_set_based_query_count_does_not_grow_with_accounts(tenant, world):
    with CaptureQueriesContext(connection) as few:
        run(tenant)
    Task.all_tenants.update(status=TaskStatus.DONE)
    for i in range(15):
        extra = AccountFactory(tenant=tenant, name=f"Extra {i}", arr=Decimal("1000"))
        usage(extra, active=99, days=14, seats=100)
    with CaptureQueriesContext(connection) as many:
        assert run(tenant)["seat_utilisation"] == 16
    assert len(many.captured_queries) == len(few.captured_queries) <= 12, [q["sql"][:90] for q in many.captured_queries]


def test_other_tenants_are_untouched(tenant, other_tenant, world):
    theirs = AccountFactory(tenant=other_tenant, arr=Decimal("1000"))
    usage(theirs, active=99, days=14, seats=100)
    run(tenant)
    assert not Task.all_tenants.filter(tenant=other_tenant).exists()
    assert run(other_tenant)["seat_utilisation"] == 1


def test_registry_takes_another_apps_trigger(tenant, world):
    def promoter(ctx):
        return {world["steady"].pk: "Scored 10 on the last NPS survey", 999_999: "not an account of this tenant"}

    # A key of its own: advocacy registers the real "promoter_response", which must stay registered.
    expansion_triggers.register_expansion_trigger("test_other_app", "Another app's trigger", promoter)
    try:
        with tenant_context(tenant):
            assert expansion_triggers.triggers_evaluate(tenant=tenant)["opened"]["test_other_app"] == 1
        assert f"expansion:test_other_app:{world['steady'].pk}" in [k for k, *_ in open_ctas()]
    finally:
        expansion_triggers.unregister_expansion_trigger("test_other_app")
    with pytest.raises(ValueError):
        expansion_triggers.register_expansion_trigger("Bad Key", "x", promoter)


def test_beat_runs_the_fan_out_daily_with_expires(tenant, other_tenant):
    entry = settings.CELERY_BEAT_SCHEDULE["renewals-expansion-triggers"]
    assert entry["task"] == opportunity_tasks.expansion_triggers_all_tenants.name
    assert entry["options"]["expires"] == opportunity_tasks.EXPANSION_TRIGGERS_EXPIRES
    with mock.patch.object(opportunity_tasks.expansion_triggers_tenant, "apply_async") as apply_async:
        assert opportunity_tasks.expansion_triggers_all_tenants() == 2
    assert sorted(c.kwargs["args"][0] for c in apply_async.call_args_list) == sorted([tenant.pk, other_tenant.pk])
    assert {c.kwargs["expires"] for c in apply_async.call_args_list} == {opportunity_tasks.EXPANSION_TRIGGERS_EXPIRES}


def test_the_per_tenant_task_runs_the_triggers(tenant, world):
    none = {"seat_utilisation": 0, "usage_growth": 0}
    first, second = (builtins_only(opportunity_tasks.expansion_triggers_tenant(tenant.pk)) for _ in range(2))
    assert first == {"opened": {"seat_utilisation": 1, "usage_growth": 1}, "closed": none}
    assert second == {"opened": none, "closed": none}
    assert opportunity_tasks.expansion_triggers_tenant(987654) is None


def test_seat_trigger_needs_every_day_above_the_threshold_not_the_average(tenant, world):
    dip = AccountFactory(tenant=tenant, name="Dip", arr=Decimal("1000"))
    usage(dip, active=96, days=13, seats=100, start=2)               # 96% on 13 days ...
    usage(dip, active=80, days=1, seats=100)                         # ... 80% yesterday: average 94.9%
    gap = AccountFactory(tenant=tenant, name="Gap", arr=Decimal("1000"))
    usage(gap, active=99, days=13, seats=100)                        # a day without a report
    seats_once = AccountFactory(tenant=tenant, name="Seats once", arr=Decimal("1000"))
    usage(seats_once, active=92, days=14)                            # seats reported on one day only
    UsageRecordFactory(account=seats_once, metric="licensed_seats", date=TODAY - timedelta(days=3), value=100)
    assert run(tenant)["seat_utilisation"] == 2
    assert {name for key, name, *_ in open_ctas() if "seat_utilisation" in key} == {"Full", "Seats once"}
    with tenant_context(tenant):
        from core.registries.health import fetch, get_source

        floor = fetch(get_source("seat_utilisation_floor"), tenant, None, TODAY, 14,
                      pd.Index([dip.pk, gap.pk, world["full"].pk, world["roomy"].pk]))
    assert floor[dip.pk] == pytest.approx(0.80) and floor[world["full"].pk] == pytest.approx(0.95)
    assert floor[world["roomy"].pk] == pytest.approx(0.85) and pd.isna(floor[gap.pk])


def test_suggestions_whose_condition_cleared_are_closed_in_one_update(tenant, world):
    assert run(tenant) == {"seat_utilisation": 1, "usage_growth": 1}
    manual = Task.all_tenants.create(tenant=tenant, account=world["roomy"], title="Call them", dedupe_key="",
                                     status=TaskStatus.OPEN)
    with tenant_context(tenant):
        opportunity_services.opportunity_settings_update(trigger_params={"seat_utilisation": {"percent": 96}})
    with CaptureQueriesContext(connection) as queries:
        result = evaluate(tenant)
    assert result == {"opened": {"seat_utilisation": 0, "usage_growth": 0},
                      "closed": {"seat_utilisation": 1, "usage_growth": 0}}
    assert sum(q["sql"].startswith('UPDATE "accounts_task"') for q in queries.captured_queries) == 1
    done = Task.all_tenants.get(dedupe_key=f"expansion:seat_utilisation:{world['full'].pk}")
    assert done.status == TaskStatus.DONE and done.completed_at is not None
    assert [k for k, *_ in open_ctas()] == [f"expansion:usage_growth:{world['growing'].pk}"]
    manual.refresh_from_db()
    assert manual.status == TaskStatus.OPEN                           # other CTAs are untouched
    assert evaluate(tenant)["closed"] == {"seat_utilisation": 0, "usage_growth": 0}


def test_a_churned_account_loses_its_suggestion_and_a_disabled_trigger_keeps_its_own(tenant, world):
    run(tenant)
    Account = type(world["growing"])
    Account.all_tenants.filter(pk=world["growing"].pk).update(status="churned")
    with tenant_context(tenant):
        opportunity_services.opportunity_settings_update(trigger_params={"seat_utilisation": {"enabled": False}})
    assert evaluate(tenant)["closed"] == {"usage_growth": 1}
    assert [k for k, *_ in open_ctas()] == [f"expansion:seat_utilisation:{world['full'].pk}"]
