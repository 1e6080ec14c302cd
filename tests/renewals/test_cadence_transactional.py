"""Cadence writes as production runs them (tests/transactional_support.py): autocommit, real commits, the
cadence row locked on edit and delete, and the daily job all-or-nothing."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import time_machine
from django.db import DataError
from django.urls import reverse

from accounts import cta_rows
from accounts.models import Activity, Task
from renewals import tasks
from renewals.models import TouchpointCadence
from tests.factories import AccountFactory, TouchpointCadenceFactory
from tests.transactional_support import autocommit, committed  # noqa: F401 (fixture)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("autocommit")]
URL = "/api/v1/touchpoint-cadences/"
FORM = {"kind": "qbr", "scope": "segment", "match": "enterprise", "interval_count": "3", "interval_unit": "months",
        "lead_days": "14", "active": "on", "steps": "Agenda"}


def cadences():
    return committed(lambda: list(TouchpointCadence.all_tenants.values_list("match", "interval_count")))


def test_settings_pages_commit_add_edit_remove(alice_client, tenant):
    assert alice_client.post(reverse("cadences:create"), FORM).status_code == 302
    assert cadences() == [("enterprise", 3)]
    pk = TouchpointCadence.all_tenants.get().pk
    assert alice_client.post(reverse("cadences:edit", args=[pk]), {**FORM, "interval_count": "6"}).status_code == 302
    assert cadences() == [("enterprise", 6)]
    assert alice_client.post(reverse("cadences:edit", args=[pk]), {**FORM, "interval_count": "0"}).status_code == 400
    assert cadences() == [("enterprise", 6)]
    assert alice_client.post(reverse("cadences:delete", args=[pk])).status_code == 302
    assert cadences() == []


def test_api_commits_create_patch_delete_and_a_400_leaves_nothing(api, tenant):
    created = api.post(URL, {"kind": "qbr", "scope": "segment", "match": "enterprise", "interval_count": 3},
                       format="json")
    assert created.status_code == 201
    assert cadences() == [("enterprise", 3)]
    detail = f"{URL}{created.json()['id']}/"
    assert api.patch(detail, {"interval_count": 2}, format="json").status_code == 200
    assert api.patch(detail, {"interval_count": 2, "kind": "custom"}, format="json").status_code == 400
    assert cadences() == [("enterprise", 2)]
    assert api.delete(detail).status_code == 204
    assert cadences() == []


@time_machine.travel(datetime(2026, 3, 10, 9, tzinfo=UTC), tick=False)
def test_daily_job_commits_once_and_is_all_or_nothing(tenant, monkeypatch):
    TouchpointCadenceFactory(tenant=tenant)
    for _ in range(3):
        AccountFactory(tenant=tenant, arr=Decimal("150000"), customer_since=date(2025, 12, 20))

    def prepare_rows():
        return committed(lambda: (Task.all_tenants.filter(dedupe_key__startswith="cadence:").count(),
                                  Activity.all_tenants.filter(ref_type="task").count()))

    with monkeypatch.context() as patch:
        # The timeline step fails midway (its entries are written in the statement that opens the CTAs).
        failing = cta_rows.CTA_OPEN_SQL.replace("LEFT('Alert opened: ' || title, 200)", "(1 / 0)::text")
        assert failing != cta_rows.CTA_OPEN_SQL
        patch.setattr(cta_rows, "CTA_OPEN_SQL", failing)
        with pytest.raises(DataError):
            tasks.open_due_touchpoints(tenant.pk)
    assert prepare_rows() == (0, 0)
    assert tasks.open_due_touchpoints(tenant.pk) == {"due": 3, "opened": 3}
    assert prepare_rows() == (3, 3)
    assert tasks.open_due_touchpoints(tenant.pk) == {"due": 3, "opened": 0}
    assert prepare_rows() == (3, 3)
