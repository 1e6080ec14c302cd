"""Account updates other apps ask for (onboarding: time to value, lifecycle), written as any account update:
one change on the timeline ("Account updated", the fields changed)."""

from datetime import UTC, datetime

import pytest

from accounts import services
from accounts.models import Account, Activity
from tenancy.context import tenant_context
from tests.factories.accounts import AccountFactory

pytestmark = pytest.mark.django_db


def test_record_first_value_sets_both_fields_and_the_timeline(tenant):
    account = AccountFactory(tenant=tenant)
    at = datetime(2026, 3, 14, 9, 0, tzinfo=UTC)
    with tenant_context(tenant):
        services.account_record_first_value(account=account, at=at, time_to_value_days=12)
        fresh = Account.objects.get(pk=account.pk)
        assert (fresh.first_value_at, fresh.time_to_value_days) == (at, 12)
        entry = Activity.objects.get(account=account, subject="Account updated")
        assert entry.source == "accounts" and entry.metadata == {"changed": ["first_value_at", "time_to_value_days"]}
        services.account_record_first_value(account=fresh, at=at, time_to_value_days=12)  # the same again
        assert Activity.objects.filter(account=account, subject="Account updated").count() == 1


@pytest.mark.parametrize("stage, expected", [("onboarding", "adoption"), ("expansion", "expansion")])
def test_advance_lifecycle_only_from_the_given_stage(tenant, stage, expected):
    account = AccountFactory(tenant=tenant, lifecycle_stage=stage)
    with tenant_context(tenant):
        result = services.account_advance_lifecycle(account=account, from_stage="onboarding", to_stage="adoption")
        assert result.lifecycle_stage == expected
        assert Account.objects.get(pk=account.pk).lifecycle_stage == expected
        moved = Activity.objects.filter(account=account, subject="Account updated").exists()
        assert moved is (stage == "onboarding")
