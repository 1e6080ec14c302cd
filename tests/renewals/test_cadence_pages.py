"""The cadence settings pages (list, add, edit, remove), the account page's "Next touchpoints" panel, and
the daily job's Celery tasks."""

from datetime import date, datetime, time
from decimal import Decimal
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.test import RequestFactory
from django.urls import reverse

from accounts.models import ActivityKind, Task
from renewals import tasks
from renewals.cadence_views import account_panel_context
from renewals.models import TouchpointCadence
from tenancy.context import tenant_context
from tenancy.models import Role
from tests.factories import AccountFactory, ActivityFactory, TouchpointCadenceFactory

pytestmark = pytest.mark.django_db
NOW = datetime.combine(date(2026, 3, 10), time(9), ZoneInfo("UTC"))

FORM = {
    "kind": "qbr", "label": "", "scope": "segment", "match": "enterprise", "interval_count": "3",
    "interval_unit": "months", "lead_days": "14", "active": "on", "steps": "Pull usage\n\nDraft the agenda\n",
}


def all_cadences():
    return TouchpointCadence.all_tenants.all()


# --------------------------------------------------------------------------- settings pages


def test_list_page_shows_the_tenants_cadences_only(alice_client, tenant, other_tenant):
    TouchpointCadenceFactory(tenant=tenant, kind="executive_review", steps=["Invite the sponsor"])
    TouchpointCadenceFactory(tenant=other_tenant, kind="custom", label="zqx other")
    html = alice_client.get(reverse("cadences:list")).content.decode()
    assert "Executive review" in html and "Invite the sponsor" in html and "zqx other" not in html
    assert reverse("cadences:create") in html
    assert reverse("cadences:list") in alice_client.get(reverse("settings")).content.decode()


def test_add_a_cadence(alice_client, tenant):
    response = alice_client.post(reverse("cadences:create"), FORM)
    assert response.status_code == 302 and response.url == reverse("cadences:list")
    cadence = all_cadences().get()
    assert cadence.tenant == tenant and cadence.steps == ["Pull usage", "Draft the agenda"]
    assert (cadence.interval_count, cadence.interval_unit, cadence.lead_days) == (3, "months", 14)


@pytest.mark.parametrize(("change", "field"), [
    ({"interval_count": "0"}, "interval_count"),
    ({"interval_count": "x"}, "interval_count"),
    ({"kind": "custom"}, "label"),
    ({"match": "platinum"}, "match"),  # not a segment
    ({"steps": "\n".join(f"step {i}" for i in range(31))}, "steps"),
    ({"lead_days": "400"}, "lead_days"),
])
def test_bad_input_re_renders_the_form_with_its_error_and_writes_nothing(alice_client, change, field):
    response = alice_client.post(reverse("cadences:create"), {**FORM, **change})
    assert response.status_code == 400
    assert response.context["form"].errors.get(field), response.context["form"].errors
    assert not all_cadences().exists()


def test_duplicate_is_a_form_error(alice_client, tenant):
    TouchpointCadenceFactory(tenant=tenant)
    response = alice_client.post(reverse("cadences:create"), FORM)
    assert response.status_code == 400 and "already has a cadence" in response.content.decode()
    assert all_cadences().count() == 1


def test_edit_and_remove(alice_client, tenant):
    cadence = TouchpointCadenceFactory(tenant=tenant)
    page = alice_client.get(reverse("cadences:edit", args=[cadence.pk]))
    assert page.status_code == 200 and "Pull usage trends" in page.content.decode()
    response = alice_client.post(reverse("cadences:edit", args=[cadence.pk]),
                                 {**FORM, "interval_count": "6", "resets_on": ["qbr", "meeting"]})
    assert response.status_code == 302
    cadence.refresh_from_db()
    assert cadence.interval_count == 6 and cadence.resets_on == ["qbr", "meeting"]
    assert alice_client.post(reverse("cadences:delete", args=[cadence.pk])).status_code == 302
    assert not all_cadences().exists()


def test_a_csm_reads_the_list_but_may_not_configure(client, tenant, member):
    cadence = TouchpointCadenceFactory(tenant=tenant)
    client.force_login(member(Role.CSM))
    html = client.get(reverse("cadences:list")).content.decode()
    assert "QBR" in html and reverse("cadences:create") not in html
    assert client.post(reverse("cadences:create"), FORM).status_code == 403
    assert client.post(reverse("cadences:edit", args=[cadence.pk]), FORM).status_code == 403
    assert client.post(reverse("cadences:delete", args=[cadence.pk])).status_code == 403
    assert all_cadences().count() == 1


def test_another_tenants_cadence_is_404(alice_client, other_tenant):
    cadence = TouchpointCadenceFactory(tenant=other_tenant)
    assert alice_client.get(reverse("cadences:edit", args=[cadence.pk])).status_code == 404
    assert alice_client.post(reverse("cadences:edit", args=[cadence.pk]), FORM).status_code == 404
    assert alice_client.post(reverse("cadences:delete", args=[cadence.pk])).status_code == 404
    assert all_cadences().count() == 1


# --------------------------------------------------------------------------- account panel


@time_machine.travel(NOW, tick=False)
def test_account_page_shows_the_next_touchpoints(alice_client, tenant):
    TouchpointCadenceFactory(tenant=tenant)
    TouchpointCadenceFactory(tenant=tenant, kind="check_in", interval_count=1, automated=True)
    account = AccountFactory(tenant=tenant, arr=Decimal("150000"), customer_since=date(2025, 1, 1))
    ActivityFactory(account=account, kind=ActivityKind.QBR, occurred_at=datetime(2026, 1, 20, 12, tzinfo=ZoneInfo("UTC")))
    html = alice_client.get(reverse("accounts:detail", args=[account.pk])).content.decode()
    assert "Next touchpoints" in html
    assert "due 2026-04-20" in html and "in 41 days" in html and "last 2026-01-20" in html
    assert "Automated" in html and "days overdue" in html  # the monthly check-in, none logged since 2025


def test_account_panel_query_count_is_constant(tenant, alice, django_assert_max_num_queries):
    TouchpointCadenceFactory(tenant=tenant)
    TouchpointCadenceFactory(tenant=tenant, kind="check_in", interval_count=1)
    account = AccountFactory(tenant=tenant, arr=Decimal("150000"), customer_since=date(2025, 1, 1))
    for kind in (ActivityKind.QBR, ActivityKind.CALL, ActivityKind.MEETING) * 10:
        ActivityFactory(account=account, kind=kind)
    request = RequestFactory().get("/")
    request.user, request.tenant = alice, tenant
    with tenant_context(tenant):
        request.membership = alice.memberships.get()
        with django_assert_max_num_queries(3):
            context = account_panel_context(request, account)
    assert [t["cadence"].kind for t in context["touchpoints"]] == ["check_in", "qbr"]


def test_account_without_cadence_says_so(alice_client, tenant):
    account = AccountFactory(tenant=tenant, arr=Decimal("1000"))
    html = alice_client.get(reverse("accounts:detail", args=[account.pk])).content.decode()
    assert "No touchpoint cadence for this account." in html


# --------------------------------------------------------------------------- Celery


def test_beat_runs_the_fan_out_task_daily_with_expires():
    entry = settings.CELERY_BEAT_SCHEDULE["renewals-open-due-touchpoints"]
    assert entry["task"] == tasks.open_due_touchpoints_all_tenants.name == "renewals.open_due_touchpoints_all_tenants"
    assert entry["options"]["expires"] == tasks.OPEN_DUE_TOUCHPOINTS_EXPIRES
    assert tasks.open_due_touchpoints.name == "renewals.open_due_touchpoints"


def test_fan_out_one_task_per_tenant(tenant, other_tenant):
    with mock.patch.object(tasks.open_due_touchpoints, "apply_async") as apply_async:
        assert tasks.open_due_touchpoints_all_tenants() == 2
    assert sorted(c.kwargs["args"][0] for c in apply_async.call_args_list) == sorted([tenant.pk, other_tenant.pk])
    assert {c.kwargs["expires"] for c in apply_async.call_args_list} == {tasks.OPEN_DUE_TOUCHPOINTS_EXPIRES}


@time_machine.travel(NOW, tick=False)
def test_job_runs_per_tenant_and_a_second_run_opens_nothing(tenant, other_tenant):
    for t in (tenant, other_tenant):
        TouchpointCadenceFactory(tenant=t)
        AccountFactory(tenant=t, arr=Decimal("150000"), customer_since=date(2025, 12, 20))
    tasks.open_due_touchpoints_all_tenants.delay()  # eager in tests
    assert Task.all_tenants.filter(dedupe_key__startswith="cadence:").count() == 2
    assert tasks.open_due_touchpoints(tenant.pk) == {"due": 1, "opened": 0}
    assert tasks.open_due_touchpoints(987654) is None
