"""Cadence configuration and the daily job that opens "Prepare <touchpoint>" CTAs (frozen clock)."""

from datetime import date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Activity, ActivityKind, Task, TaskStatus
from base.errors import DomainError
from renewals import cadence_selectors, cadence_services
from renewals.models import TouchpointCadence
from tests.factories import AccountFactory, ActivityFactory, TouchpointCadenceFactory, UserFactory

pytestmark = pytest.mark.django_db
TODAY = date(2026, 3, 10)
NOW = datetime.combine(TODAY, time(9), ZoneInfo("UTC"))
ENTERPRISE = Decimal("150000")


def enterprise(tenant, **kwargs):
    kwargs.setdefault("customer_since", date(2025, 12, 20))  # + 3 months = 2026-03-20: due in 10 days
    return AccountFactory(tenant=tenant, arr=ENTERPRISE, **kwargs)


def prepare_ctas():
    return Task.objects.filter(dedupe_key__startswith="cadence:")


# --------------------------------------------------------------------------- configuration


def test_create_checks_the_whole_cadence_and_writes_nothing_on_bad_input(in_tenant):
    bad = [
        ({"kind": "weekly"}, "kind"),
        ({"kind": "custom", "label": ""}, "label"),
        ({"match": "gold"}, "match"),  # not a segment of the tenant
        ({"interval_count": 0}, "interval_count"),
        ({"interval_count": 121}, "interval_count"),
        ({"interval_unit": "weeks"}, "interval_unit"),
        ({"lead_days": -1}, "lead_days"),
        ({"steps": "one step"}, "steps"),
        ({"steps": ["x" * 201]}, "steps"),
        ({"resets_on": ["system"]}, "resets_on"),
    ]
    for change, field in bad:
        data = {"kind": "qbr", "scope": "segment", "match": "enterprise", "interval_count": 3, **change}
        with pytest.raises(DomainError) as err:
            cadence_services.cadence_create(**data)
        assert err.value.field == field, change
    assert not TouchpointCadence.objects.exists()


def test_create_and_edit_and_the_one_cadence_per_touchpoint_and_target(in_tenant):
    cadence = cadence_services.cadence_create(
        kind="qbr", scope="segment", match="enterprise", interval_count=3, steps=[" Agenda ", "", "Deck"]
    )
    assert cadence.steps == ["Agenda", "Deck"] and cadence.lead_days == 14 and cadence.title == "QBR"
    with pytest.raises(DomainError) as err:
        cadence_services.cadence_create(kind="qbr", scope="segment", match="enterprise", interval_count=6)
    assert err.value.field == "match"
    tier = cadence_services.cadence_create(kind="custom", label="Roadmap session", scope="tier", match="Pro",
                                           interval_count=45, interval_unit="days")
    assert tier.title == "Roadmap session" and tier.interval_display == "45 days"
    cadence_services.cadence_update(cadence=cadence, interval_count=1)
    cadence.refresh_from_db()
    assert cadence.interval_count == 1 and cadence.match == "enterprise"
    cadence_services.cadence_update(cadence=tier, interval_unit="months")  # 45 months: within bounds
    with pytest.raises(DomainError) as err:
        cadence_services.cadence_update(cadence=tier, interval_count=500)
    assert err.value.field == "interval_count"
    tier.refresh_from_db()
    assert tier.interval_count == 45
    cadence_services.cadence_delete(cadence=tier)
    assert list(TouchpointCadence.objects.values_list("pk", flat=True)) == [cadence.pk]


# --------------------------------------------------------------------------- the daily job


@time_machine.travel(NOW, tick=False)
def test_job_opens_one_prepare_cta_per_due_account_owned_by_the_csm(tenant, in_tenant):
    csm = UserFactory()
    cadence = TouchpointCadenceFactory(tenant=tenant, steps=["Pull usage", "Book the room"])
    due = enterprise(tenant, csm=csm)
    enterprise(tenant, customer_since=date(2026, 1, 10))  # due 2026-04-10: not yet within 14 days
    AccountFactory(tenant=tenant, arr=Decimal("50000"), customer_since=date(2024, 1, 1))  # mid-market: no cadence
    enterprise(tenant, status="churned")

    assert cadence_services.touchpoints_open_due() == {"due": 1, "opened": 1}
    cta = prepare_ctas().get()
    assert cta.account_id == due.pk and cta.owner_id == csm.pk and cta.due_date == date(2026, 3, 20)
    assert cta.title == "Prepare QBR" and cta.status == TaskStatus.OPEN
    assert cta.dedupe_key == f"cadence:{cadence.pk}:{due.pk}:2026-03-20"
    assert "1. Pull usage" in cta.description and "2. Book the room" in cta.description
    assert Activity.objects.filter(ref_type="task", ref_id=cta.pk).count() == 1  # "Alert opened" on the timeline


@time_machine.travel(NOW, tick=False)
def test_job_is_idempotent_and_a_closed_cta_is_not_reopened_for_the_same_due_date(tenant, in_tenant):
    TouchpointCadenceFactory(tenant=tenant)
    enterprise(tenant)
    assert cadence_services.touchpoints_open_due()["opened"] == 1
    rows = (Task.objects.count(), Activity.objects.count())
    assert cadence_services.touchpoints_open_due() == {"due": 1, "opened": 0}
    assert (Task.objects.count(), Activity.objects.count()) == rows
    prepare_ctas().update(status=TaskStatus.DONE)
    assert cadence_services.touchpoints_open_due()["opened"] == 0


@time_machine.travel(NOW, tick=False)
def test_a_logged_qbr_resets_the_clock(tenant, in_tenant):
    TouchpointCadenceFactory(tenant=tenant)
    account = enterprise(tenant, customer_since=date(2024, 1, 1))  # long overdue
    ActivityFactory(account=account, kind=ActivityKind.MEETING, occurred_at=NOW)  # a meeting is not a QBR
    [(due, _)] = [(d.due_date, d) for d in cadence_selectors.due_touchpoints(
        cadences=cadence_selectors.active_cadences())[0]]
    assert due == date(2024, 4, 1)
    ActivityFactory(account=account, kind=ActivityKind.QBR, occurred_at=datetime(2026, 1, 5, 15, tzinfo=ZoneInfo("UTC")))
    ActivityFactory(account=account, kind=ActivityKind.QBR, occurred_at=datetime(2025, 10, 1, 15, tzinfo=ZoneInfo("UTC")))
    [row] = cadence_selectors.next_touchpoints_for_account(account)
    assert row["last_touch"] == date(2026, 1, 5) and row["due_date"] == date(2026, 4, 5)
    assert cadence_services.touchpoints_open_due()["opened"] == 0  # 2026-04-05 is 26 days away


@time_machine.travel(NOW, tick=False)
def test_the_last_touchpoint_is_the_tenants_local_day(tenant, in_tenant):
    tenant.timezone = "America/Los_Angeles"
    tenant.save()
    TouchpointCadenceFactory(tenant=tenant, interval_count=10, interval_unit="days")
    account = enterprise(tenant)
    ActivityFactory(account=account, kind=ActivityKind.QBR, occurred_at=datetime(2026, 3, 1, 3, tzinfo=ZoneInfo("UTC")))
    [row] = cadence_selectors.next_touchpoints_for_account(account)
    assert row["last_touch"] == date(2026, 2, 28)  # 3 AM UTC is the evening before in Los Angeles


@time_machine.travel(NOW, tick=False)
def test_tiers_match_case_insensitively_resets_on_is_configurable_and_automated_opens_nothing(tenant, in_tenant):
    TouchpointCadenceFactory(tenant=tenant, kind="check_in", scope="tier", match="Pro", interval_count=30,
                             interval_unit="days", resets_on=["call"])
    TouchpointCadenceFactory(tenant=tenant, kind="check_in", scope="tier", match="starter", interval_count=1,
                             automated=True)
    pro = AccountFactory(tenant=tenant, tier="PRO", customer_since=date(2025, 1, 1))
    starter = AccountFactory(tenant=tenant, tier="Starter", customer_since=date(2025, 1, 1))
    ActivityFactory(account=pro, kind=ActivityKind.QBR, occurred_at=NOW)  # not a call: does not count here
    ActivityFactory(account=pro, kind=ActivityKind.CALL, occurred_at=datetime(2026, 2, 20, 12, tzinfo=ZoneInfo("UTC")))
    assert cadence_services.touchpoints_open_due() == {"due": 1, "opened": 1}
    cta = prepare_ctas().get()
    assert cta.account_id == pro.pk and cta.due_date == date(2026, 3, 22) and cta.title == "Prepare Check-in"
    [row] = cadence_selectors.next_touchpoints_for_account(starter)
    assert row["cadence"].automated and row["overdue"]


@time_machine.travel(NOW, tick=False)
def test_job_queries_do_not_grow_with_accounts(tenant, in_tenant):
    TouchpointCadenceFactory(tenant=tenant)
    TouchpointCadenceFactory(tenant=tenant, kind="check_in", match="enterprise", interval_count=1)

    def run_with(n):
        for _ in range(n):
            account = enterprise(tenant)
            ActivityFactory(account=account, kind=ActivityKind.CALL, occurred_at=NOW)
        Task.objects.all().delete()
        with CaptureQueriesContext(connection) as first:
            opened = cadence_services.touchpoints_open_due()["opened"]
        with CaptureQueriesContext(connection) as second:
            assert cadence_services.touchpoints_open_due()["opened"] == 0
        return opened, len(first), len(second)

    small = run_with(2)
    large = run_with(30)
    assert small[0] == 2 and large[0] == 32  # the QBR is due for every account; the check-in was just made
    assert small[1] == large[1] <= 14  # incl. savepoints and cta_open_bulk's own
    assert small[2] == large[2] <= 6
