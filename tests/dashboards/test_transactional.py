"""The refresh as production runs it: committed, under its advisory lock, and two refreshes of one tenant at
once never leave double rows (the second waits for the first, then rewrites the same window)."""

from __future__ import annotations

import threading

import pytest
from django.db import connections

from dashboards.models import DashboardRefresh, SupportDay
from dashboards.refresh import refresh_all, refresh_support
from tests.transactional_support import Boom, autocommit, committed  # noqa: F401 (fixture)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("autocommit")]


def _rows():
    return sorted(SupportDay.objects.values_list("day", "segment", "severity", "engineer_id", "opened", "resolved"))


def test_refresh_commits(tenant, support_history):
    refresh_all(tenant=tenant)
    assert len(committed(_rows, tenant=tenant)) == 4
    assert committed(lambda: DashboardRefresh.objects.count(), tenant=tenant) == 3  # portfolio, support (full)


def test_concurrent_refreshes_do_not_double_rows(tenant, support_history):
    errors = []

    def run():
        try:
            refresh_support(tenant=tenant)
        except BaseException as exc:  # re-raised below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert len(committed(_rows, tenant=tenant)) == 4


def test_a_failed_refresh_leaves_the_previous_rows(tenant, support_history, monkeypatch):
    from dashboards import refresh

    refresh_support(tenant=tenant)
    before = committed(_rows, tenant=tenant)
    monkeypatch.setattr(refresh, "_record", lambda *args, **kwargs: (_ for _ in ()).throw(Boom("after the insert")))
    with pytest.raises(Boom):
        refresh_support(tenant=tenant)
    assert committed(_rows, tenant=tenant) == before
