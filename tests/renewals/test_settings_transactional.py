"""The settings pages' saves as production runs them (tests/transactional_support.py): a save commits, a
refusal writes nothing, and two first saves at once (both services lock the tenant's one row, creating it
when missing) both land on one row instead of one of them failing on the unique key."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection
from django.test import Client

from renewals import opportunity_services, renewal_services
from renewals.models import OpportunitySettings, RenewalSettings
from tests.renewals.test_settings_pages import EXPANSION, RENEWAL, expansion_form, renewal_form
from tests.transactional_support import autocommit, committed  # noqa: F401 (fixture)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("autocommit")]


def rows(model):
    return committed(lambda: list(model.all_tenants.values_list("tenant_id", flat=True)))


def test_renewal_settings_save_commits_and_a_refusal_writes_nothing(tenant, alice):
    client = Client()
    client.force_login(alice)
    assert client.post(RENEWAL, renewal_form(window_days="0")).status_code == 400
    assert rows(RenewalSettings) == []
    assert client.post(RENEWAL, renewal_form()).status_code == 302
    assert committed(lambda: list(RenewalSettings.all_tenants.values_list("window_days", "term_months"))) == [(90, 24)]


def test_expansion_settings_save_commits_and_a_refusal_writes_nothing(tenant, alice):
    client = Client()
    client.force_login(alice)
    assert client.post(EXPANSION, expansion_form(stage__won="101")).status_code == 400
    assert rows(OpportunitySettings) == []
    assert client.post(EXPANSION, expansion_form()).status_code == 302
    assert committed(lambda: OpportunitySettings.all_tenants.get().stage_probabilities["proposal"]) == 60


def _twice(alice, url, forms):
    barrier, statuses, errors = threading.Barrier(2), [], []

    def save(form):
        try:
            client = Client()
            client.force_login(alice)
            barrier.wait()
            statuses.append(client.post(url, form).status_code)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=save, args=(form,)) for form in forms]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    return statuses


def _slowly(monkeypatch, module, name):
    original = getattr(module, name)

    def slow(*args, **kwargs):
        result = original(*args, **kwargs)
        time.sleep(0.4)  # inside the transaction: the other save arrives meanwhile
        return result

    monkeypatch.setattr(module, name, slow)


def test_two_first_expansion_saves_at_once_both_land(tenant, alice, monkeypatch):
    _slowly(monkeypatch, opportunity_services.expansion_triggers, "clean_params")
    statuses = _twice(alice, EXPANSION, [expansion_form(stage__proposal="41"), expansion_form(stage__proposal="42")])
    assert statuses == [302, 302]
    assert rows(OpportunitySettings) == [tenant.pk]
    assert committed(lambda: OpportunitySettings.all_tenants.get().stage_probabilities["proposal"]) in (41, 42)


def test_two_first_renewal_saves_at_once_both_land(tenant, alice, monkeypatch):
    _slowly(monkeypatch, renewal_services, "clean_reasons")
    statuses = _twice(alice, RENEWAL, [renewal_form(window_days="91"), renewal_form(window_days="92")])
    assert statuses == [302, 302]
    assert rows(RenewalSettings) == [tenant.pk]
    assert committed(lambda: RenewalSettings.all_tenants.get().window_days) in (91, 92)
