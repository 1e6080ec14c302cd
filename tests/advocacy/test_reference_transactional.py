"""Reference requests as production runs them (tests/transactional_support.py): a request commits; a
completion commits the status and its timeline entry together, or neither; and two concurrent reference-call
requests for an account with one call of capacity left cannot both pass the cap (the account row lock)."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Activity
from advocacy import reference_services
from advocacy.models import ReferenceRequest
from tests.factories import AccountFactory, ContactFactory, make_api_key
from tests.factories.references import ReferenceRequestFactory
from tests.transactional_support import Boom, autocommit, boom, committed  # noqa: F401 (fixture)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("autocommit")]


def client(tenant):
    c = APIClient()
    c.credentials(HTTP_AUTHORIZATION=f"Bearer {make_api_key(tenant)}")
    return c


@pytest.fixture
def contact(tenant):
    return ContactFactory(account=AccountFactory(tenant=tenant, name="Busy reference"))


def test_create_commits(tenant, contact):
    body = {"account": contact.account_id, "contact": contact.pk, "kind": "testimonial"}
    response = client(tenant).post("/api/v1/references/", body, format="json")
    assert response.status_code == 201
    assert committed(lambda: ReferenceRequest.all_tenants.filter(pk=response.json()["id"]).exists())


def test_completion_failing_midway_writes_nothing(tenant, contact, monkeypatch):
    request = ReferenceRequestFactory(account=contact.account, contact=contact, kind="webinar", status="agreed")
    monkeypatch.setattr(reference_services, "activity_record", boom)
    with pytest.raises(Boom):
        client(tenant).patch(f"/api/v1/references/{request.pk}/", {"status": "completed"}, format="json")
    assert committed(lambda: (ReferenceRequest.all_tenants.get(pk=request.pk).status,
                              Activity.all_tenants.filter(ref_type="reference_request").count())) == ("agreed", 0)


def test_completion_commits_with_its_timeline_entry(tenant, contact):
    request = ReferenceRequestFactory(account=contact.account, contact=contact, kind="webinar", status="agreed")
    response = client(tenant).patch(f"/api/v1/references/{request.pk}/", {"status": "completed"}, format="json")
    assert response.status_code == 200
    assert committed(lambda: (ReferenceRequest.all_tenants.get(pk=request.pk).status,
                              Activity.all_tenants.filter(ref_id=request.pk, ref_type="reference_request").count())
                     ) == ("completed", 1)


def test_two_concurrent_calls_cannot_pass_the_cap(tenant, contact, monkeypatch):
    now = timezone.now()
    for days in (20, 10):  # two of the three calls used: one left
        ReferenceRequestFactory(account=contact.account, contact=contact, requested_at=now - timedelta(days=days))
    original = reference_services.check_call_cap

    def slow_check(**kwargs):
        original(**kwargs)
        time.sleep(0.5)  # hold the account lock while the other request arrives
        return None

    monkeypatch.setattr(reference_services, "check_call_cap", slow_check)
    barrier, statuses, errors = threading.Barrier(2), [], []
    api = client(tenant)
    body = {"account": contact.account_id, "contact": contact.pk, "kind": "reference_call"}

    def post():
        try:
            barrier.wait()
            response = api.post("/api/v1/references/", body, format="json")
            statuses.append((response.status_code, list(response.json())))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    codes = sorted(code for code, _ in statuses)
    assert codes == [201, 400]
    assert [keys for code, keys in statuses if code == 400] == [["account"]]
    assert committed(lambda: ReferenceRequest.all_tenants.filter(
        account_id=contact.account_id, kind="reference_call").count()) == 3


def test_settings_refusal_writes_nothing(tenant):
    api = client(tenant)
    assert api.patch("/api/v1/reference-settings/", {"yearly_call_cap": 2}, format="json").status_code == 200
    response = api.patch("/api/v1/reference-settings/", {"yearly_call_cap": 5, "nps_min": 11}, format="json")
    assert response.status_code == 400 and "nps_min" in response.json()
    from advocacy.models import ReferenceSettings
    assert committed(lambda: list(ReferenceSettings.all_tenants.values_list("yearly_call_cap", "nps_min"))) == [(2, 9)]


@pytest.mark.parametrize(("path", "extra", "model"), [
    ("/api/v1/reference-rewards/", {"kind": "gift", "description": "Swag box", "value": "80"}, "ReferenceReward"),
    ("/api/v1/advocacy-activities/", {"kind": "review", "source": "trustradius"}, "AdvocacyActivity"),
    ("/api/v1/case-studies/", {"title": "Launch story", "stage": "published"}, "CaseStudy"),
])
def test_program_writes_commit_with_their_timeline_or_not_at_all(tenant, contact, monkeypatch, path, extra, model):
    from advocacy import models, reference_program_services

    api = client(tenant)
    body = {"account": contact.account_id, **extra}

    def rows():
        return (getattr(models, model).all_tenants.count(), Activity.all_tenants.filter(source="advocacy").count())

    with monkeypatch.context() as patched:
        patched.setattr(reference_program_services, "activity_record", boom)
        with pytest.raises(Boom):
            api.post(path, body, format="json")
    assert committed(rows) == (0, 0)
    assert api.post(path, body, format="json").status_code == 201
    assert committed(rows) == (1, 1)


def test_advocate_willingness_commits(tenant, contact):
    from advocacy.models import AdvocateProfile

    response = client(tenant).post("/api/v1/advocates/", {"contact": contact.pk, "willing": True,
                                                          "kinds": ["reference_call"]}, format="json")
    assert response.status_code == 200
    assert committed(lambda: list(AdvocateProfile.all_tenants.values_list("willing", "kinds"))) == [
        (True, ["reference_call"])]
