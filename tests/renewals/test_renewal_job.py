"""The daily renewal job, the forecast from health, the risk CTA, the motions as tenant data, and an open
renewal following its account's renewal date (frozen clock, known data)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts import services as account_services
from accounts.models import Task, TaskStatus
from base.errors import DomainError
from renewals import renewal_services, renewal_tasks
from renewals.models import Renewal, RenewalSettings
from renewals.renewal_jobs import renewals_open
from tests.factories import AccountFactory, UserFactory

pytestmark = pytest.mark.django_db
D = Decimal
TODAY = date(2026, 3, 15)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel("2026-03-15 12:00:00+00:00", tick=False):
        yield


def renewing(tenant, days, **kwargs):
    kwargs.setdefault("arr", D("50000"))
    return AccountFactory(tenant=tenant, renewal_date=TODAY + timedelta(days=days), **kwargs)


def motions(renewal):
    return list(
        Task.objects.filter(dedupe_key__startswith=f"renewal:{renewal.pk}:motion:")
        .order_by("due_date").values_list("due_date", "owner_id", "status")
    )


def test_opens_one_renewal_per_active_account_within_the_window(in_tenant, tenant):
    csm = UserFactory()
    inside = renewing(tenant, 30, csm=csm, name="Falcon Networks", arr=D("42000"))
    edge = renewing(tenant, 120)
    renewing(tenant, 121)  # outside the default 120-day window
    renewing(tenant, 30, status="churned")
    renewing(tenant, -1)  # already past
    AccountFactory(tenant=tenant, renewal_date=None)
    assert renewals_open() == {"opened": 2, "motions": 6, "forecasts": 0, "risk_ctas": 0}
    rows = {r.account_id: r for r in Renewal.objects.all()}
    assert set(rows) == {inside.pk, edge.pk}
    falcon = rows[inside.pk]
    assert (falcon.contract_end, falcon.arr, falcon.stage, falcon.outcome) == (TODAY + timedelta(days=30), D("42000"), "open", None)
    # The handbook's motions: 90, 60 and 30 days before the contract end, for the CSM.
    end = falcon.contract_end
    assert motions(falcon) == [(end - timedelta(days=d), csm.pk, "open") for d in (90, 60, 30)]
    titles = list(Task.objects.filter(dedupe_key__startswith=f"renewal:{falcon.pk}:").order_by("due_date").values_list("title", flat=True))
    assert titles[0].startswith("Renewal, 90 days out: Health score review, Stakeholder mapping")
    assert "Renewal meeting" in titles[1] and "Contract finalization" in titles[2]


def test_the_job_is_idempotent_with_a_constant_number_of_queries(in_tenant, tenant):
    for days in range(5):
        renewing(tenant, 10 + days)
    with CaptureQueriesContext(connection) as few:
        assert renewals_open()["opened"] == 5
    with CaptureQueriesContext(connection) as again:
        assert renewals_open() == {"opened": 0, "motions": 0, "forecasts": 0, "risk_ctas": 0}
    assert Renewal.objects.count() == 5 and Task.objects.count() == 15
    for days in range(40):
        renewing(tenant, 20 + days % 90)
    with CaptureQueriesContext(connection) as many:
        assert renewals_open()["opened"] == 40
    assert Renewal.objects.count() == 45 and Task.objects.count() == 135
    # The same queries for 5 accounts as for 40 (set-based), and a second run does less.
    assert len(many.captured_queries) == len(few.captured_queries) <= 16
    assert len(again.captured_queries) <= 10


def test_never_two_renewals_for_one_account(in_tenant, tenant):
    account = renewing(tenant, 30)
    renewals_open()
    # The renewal date moves outside the job (a bulk write without hooks): the open renewal still stands alone.
    type(account).objects.filter(pk=account.pk).update(renewal_date=TODAY + timedelta(days=40))
    assert renewals_open()["opened"] == 0
    assert Renewal.objects.filter(account=account).count() == 1


def test_the_window_and_motions_are_tenant_data(in_tenant, tenant):
    renewal_services.renewal_settings_update(
        window_days=30, motions=[{"offset": 45, "steps": ["Check the budget", " "]}, {"offset": 7, "steps": ["Sign"]}],
    )
    near = renewing(tenant, 20)
    renewing(tenant, 31)
    assert renewals_open()["opened"] == 1
    renewal = Renewal.objects.get(account=near)
    assert [d for d, _, _ in motions(renewal)] == [renewal.contract_end - timedelta(days=45), renewal.contract_end - timedelta(days=7)]
    assert RenewalSettings.objects.get().motions == [{"offset": 45, "steps": ["Check the budget"]}, {"offset": 7, "steps": ["Sign"]}]


@pytest.mark.parametrize(("data", "field"), [
    ({"window_days": 0}, "window_days"),
    ({"window_days": "90"}, "window_days"),
    ({"term_months": 500}, "term_months"),
    ({"motions": [{"offset": 30, "steps": []}]}, "motions"),
    ({"motions": [{"offset": 30, "steps": ["a"]}, {"offset": 30, "steps": ["b"]}]}, "motions"),
    ({"motions": "90"}, "motions"),
    ({"churn_reasons": "Budget"}, "churn_reasons"),
])
def test_bad_settings_write_nothing(in_tenant, data, field):
    with pytest.raises(DomainError) as error:
        renewal_services.renewal_settings_update(**data)
    assert error.value.field == field
    assert not RenewalSettings.objects.exists()


def test_default_settings_come_from_the_handbook(in_tenant):
    settings = renewal_services.renewal_settings_update()
    assert (settings.window_days, settings.term_months) == (120, 12)
    assert [m["offset"] for m in settings.motions] == [90, 60, 30]
    assert "Competitor" in settings.churn_reasons


# --- forecast ---------------------------------------------------------------------------------------


def test_forecast_defaults_from_the_band_and_follows_it_until_overridden(in_tenant, tenant):
    green = renewing(tenant, 100, health_status="green")
    yellow = renewing(tenant, 100, health_status="yellow")
    red = renewing(tenant, 100, health_status="red")
    none = renewing(tenant, 100, health_status=None)
    renewals_open()
    forecast = lambda a: Renewal.objects.get(account=a).forecast  # noqa: E731
    assert [forecast(a) for a in (green, yellow, red, none)] == ["commit", "probable", "at_risk", "probable"]
    # Health moves: the forecast follows (one UPDATE in the daily job).
    type(green).objects.filter(pk__in=[green.pk, yellow.pk]).update(health_status="red")
    assert renewals_open()["forecasts"] == 2
    assert [forecast(a) for a in (green, yellow)] == ["at_risk", "at_risk"]
    # A person overrides with a reason: kept, with who and when, and health no longer moves it.
    vp = UserFactory(full_name="Vera VP")
    renewal = Renewal.objects.get(account=green)
    renewal_services.renewal_update(renewal=renewal, forecast="commit", forecast_reason="Signed PO in hand", actor=vp)
    type(green).objects.filter(pk=green.pk).update(health_status="yellow")
    renewals_open()
    renewal.refresh_from_db()
    assert (renewal.forecast, renewal.forecast_reason, renewal.forecast_overridden_by) == ("commit", "Signed PO in hand", vp)
    assert renewal.forecast_overridden_at is not None


def test_an_override_needs_a_reason(in_tenant, tenant):
    account = renewing(tenant, 50)
    renewals_open()
    renewal = Renewal.objects.get(account=account)
    for reason in (None, "", "   "):
        with pytest.raises(DomainError) as error:
            renewal_services.renewal_update(renewal=renewal, forecast="lost", forecast_reason=reason)
        assert error.value.field == "forecast_reason"
    renewal.refresh_from_db()
    assert (renewal.forecast, renewal.forecast_overridden_at) == ("probable", None)


def test_a_red_account_renewing_within_60_days_gets_one_risk_cta(in_tenant, tenant):
    csm = UserFactory()
    red = renewing(tenant, 45, health_status="red", health_score=D("42"), csm=csm, name="Falcon Networks")
    renewing(tenant, 61, health_status="red")  # not yet
    renewing(tenant, 10, health_status="yellow")
    assert renewals_open()["risk_ctas"] == 1
    risk = Task.objects.get(dedupe_key__endswith=":risk")
    assert (risk.account_id, risk.owner_id, risk.priority, risk.source) == (red.pk, csm.pk, "high", "renewal")
    assert "Falcon Networks" in risk.title
    assert renewals_open()["risk_ctas"] == 0
    Task.objects.filter(pk=risk.pk).update(status=TaskStatus.DONE)
    assert renewals_open()["risk_ctas"] == 0  # closed by hand: not reopened
    assert Task.objects.filter(dedupe_key__endswith=":risk").count() == 1


# --- the renewal date moves ------------------------------------------------------------------------


def test_the_open_renewal_and_its_motions_follow_the_renewal_date(in_tenant, tenant):
    account = renewing(tenant, 100)
    renewals_open()
    renewal = Renewal.objects.get(account=account)
    moved = TODAY + timedelta(days=110)
    account_services.account_update(account=account, renewal_date=moved)
    renewal.refresh_from_db()
    assert renewal.contract_end == moved
    assert [d for d, _, _ in motions(renewal)] == [moved - timedelta(days=d) for d in (90, 60, 30)]
    assert renewals_open()["opened"] == 0


def test_a_closed_renewal_does_not_follow(in_tenant, tenant):
    account = renewing(tenant, 100)
    renewals_open()
    Renewal.objects.update(outcome="renewed", renewed_arr=D("50000"), stage="closed")
    account_services.account_update(account=account, renewal_date=TODAY + timedelta(days=300))
    assert Renewal.objects.get().contract_end == TODAY + timedelta(days=100)


def test_the_task_fans_out_per_tenant(tenant, other_tenant):
    AccountFactory(tenant=tenant, renewal_date=TODAY + timedelta(days=5))
    AccountFactory(tenant=other_tenant, renewal_date=TODAY + timedelta(days=5))
    assert renewal_tasks.open_renewals_all_tenants() == 2
    assert Renewal.all_tenants.count() == 2
    assert renewal_tasks.open_renewals(999999) is None


def test_beat_runs_the_job_daily_with_expires(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["renewals-open-renewals"]
    assert entry["task"] == "renewals.open_renewals_all_tenants" and entry["options"]["expires"] > 0
