"""The "reference_activity" health source: points per account over the window (completed 2, agreed 1,
review/referral 1, reward 1), at the window's edges, in one query, mapped 0-100 by its default mapping."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine

from advocacy.reference_health import reference_activity
from core.registries.health import get_source
from tests.factories import AccountFactory
from tests.factories.references import (
    AdvocacyActivityFactory,
    ReferenceRequestFactory,
    ReferenceRewardFactory,
)

pytestmark = pytest.mark.django_db
AS_OF = date(2026, 6, 30)
NOW = datetime(2026, 7, 1, 12, tzinfo=UTC)  # after the end of AS_OF: the window ends at AS_OF's midnight


def test_registered_as_a_relationship_source():
    source = get_source("reference_activity")
    assert source is not None and source.category == "relationship" and source.fill_missing == 0
    assert source.default_mapping == {"type": "linear", "zero_at": 0, "full_at": 4}


def test_points_by_account_and_window_edges(in_tenant, django_assert_num_queries):
    busy, quiet, old = (AccountFactory(tenant=in_tenant, name=n) for n in ("Busy", "Quiet", "Old"))
    end = datetime(2026, 7, 1, tzinfo=UTC)  # the end of AS_OF in the tenant's zone (UTC)
    ReferenceRequestFactory(account=busy, kind="case_study", status="completed", requested_at=end - timedelta(days=400),
                            completed_at=end - timedelta(days=10))                     # 2 (completed in the window)
    ReferenceRequestFactory(account=busy, kind="webinar", status="agreed", requested_at=end - timedelta(days=5))  # 1
    ReferenceRequestFactory(account=busy, kind="review", status="requested", requested_at=end - timedelta(days=5))  # 0
    ReferenceRequestFactory(account=busy, kind="review", status="declined", requested_at=end - timedelta(days=5))  # 0
    AdvocacyActivityFactory(account=busy, occurred_on=AS_OF)                               # 1 (last day included)
    ReferenceRewardFactory(account=busy, given_on=AS_OF - timedelta(days=364))             # 1 (first day included)
    ReferenceRewardFactory(account=old, given_on=AS_OF - timedelta(days=365))              # 0 (the day before)
    ReferenceRequestFactory(account=old, kind="case_study", status="completed",
                            requested_at=end - timedelta(days=500), completed_at=end - timedelta(days=365))  # 0
    with time_machine.travel(NOW, tick=False), django_assert_num_queries(1):
        values = reference_activity(in_tenant, None, AS_OF, window_days=365)
    assert values.to_dict() == {busy.pk: 5.0}
    assert quiet.pk not in values.index  # no activity: filled with 0 by the source's fill_missing
    with time_machine.travel(NOW, tick=False):
        assert reference_activity(in_tenant, [old.pk], AS_OF, window_days=366).to_dict() == {old.pk: 3.0}  # both now inside


def test_only_the_asked_accounts(in_tenant):
    a, b = AccountFactory(tenant=in_tenant), AccountFactory(tenant=in_tenant)
    AdvocacyActivityFactory(account=a, occurred_on=AS_OF)
    AdvocacyActivityFactory(account=b, occurred_on=AS_OF)
    with time_machine.travel(NOW, tick=False):
        assert list(reference_activity(in_tenant, [b.pk], AS_OF).index) == [b.pk]


def test_other_tenants_activity_is_not_counted(in_tenant, other_tenant):
    mine = AccountFactory(tenant=in_tenant)
    AdvocacyActivityFactory(account=AccountFactory(tenant=other_tenant), occurred_on=AS_OF)
    with time_machine.travel(NOW, tick=False):
        assert reference_activity(in_tenant, [mine.pk], AS_OF).empty
        assert reference_activity(in_tenant, None, AS_OF).empty
