"""accounts.services.cta_open_bulk: generated CTAs opened many at once, each key at most once."""

from __future__ import annotations

import pytest

from accounts.models import Activity, Task, TaskSource, TaskStatus
from accounts.services import cta_open_bulk
from tests.factories import AccountFactory

pytestmark = pytest.mark.django_db


def cta(account, key, title="Usage dropped"):
    return Task(account_id=account.pk, title=title, dedupe_key=key, source=TaskSource.RISK, description="why")


def test_opens_each_new_key_once_with_its_timeline_entry(in_tenant, django_assert_max_num_queries):
    a, b = AccountFactory(tenant=in_tenant), AccountFactory(tenant=in_tenant)
    with django_assert_max_num_queries(7):
        opened = cta_open_bulk(ctas=[cta(a, "risk:a"), cta(b, "risk:b")])
    assert set(opened) == {"risk:a", "risk:b"}
    assert Activity.objects.filter(ref_type="task", subject="Alert opened: Usage dropped").count() == 2
    # Again: nothing new, no second timeline entry.
    assert cta_open_bulk(ctas=[cta(a, "risk:a"), cta(b, "risk:b")]) == {}
    assert Task.objects.filter(status=TaskStatus.OPEN).count() == 2
    assert Activity.objects.filter(ref_type="task").count() == 2


def test_a_closed_key_opens_again(in_tenant):
    a = AccountFactory(tenant=in_tenant)
    first = cta_open_bulk(ctas=[cta(a, "risk:a")])
    Task.objects.filter(pk=first["risk:a"]).update(status=TaskStatus.DONE)
    second = cta_open_bulk(ctas=[cta(a, "risk:a")])
    assert second["risk:a"] != first["risk:a"]


def test_nothing_to_open_runs_no_query(in_tenant, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert cta_open_bulk(ctas=[]) == {}
