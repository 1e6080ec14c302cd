"""Factories for the health app (re-exported from tests.factories once the lead adds the line)."""

from datetime import date, timedelta

import factory
from django.utils import timezone

from health.models import HealthSnapshot, Scorecard, Sentiment, UsageRecord
from health.scorecard import default_scorecard
from tests.factories.accounts import AccountFactory, TenantOwnedFactory

__all__ = ["UsageRecordFactory", "ScorecardFactory", "HealthSnapshotFactory", "SentimentFactory", "usage_series"]


class UsageRecordFactory(TenantOwnedFactory):
    class Meta:
        model = UsageRecord

    account = factory.SubFactory(AccountFactory)
    tenant = factory.LazyAttribute(lambda o: o.account.tenant)
    metric = "active_users"
    date = factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=1))
    value = 10.0


class ScorecardFactory(TenantOwnedFactory):
    class Meta:
        model = Scorecard

    components = factory.LazyFunction(lambda: default_scorecard()["components"])
    bands = factory.LazyFunction(lambda: default_scorecard()["bands"])
    version = 1


class HealthSnapshotFactory(TenantOwnedFactory):
    class Meta:
        model = HealthSnapshot

    account = factory.SubFactory(AccountFactory)
    tenant = factory.LazyAttribute(lambda o: o.account.tenant)
    computed_at = factory.LazyFunction(timezone.now)
    score = 75
    status = "yellow"
    components = factory.LazyFunction(list)
    measures = factory.LazyFunction(dict)


class SentimentFactory(TenantOwnedFactory):
    class Meta:
        model = Sentiment

    account = factory.SubFactory(AccountFactory)
    tenant = factory.LazyAttribute(lambda o: o.account.tenant)
    score = 4
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=30))


def usage_series(account, metric: str, values: list[float], *, end: date | None = None) -> list[UsageRecord]:
    """Daily rows of ``metric`` for ``account``, the last value on ``end`` (default yesterday), in one INSERT."""
    end = end or timezone.localdate() - timedelta(days=1)
    start = end - timedelta(days=len(values) - 1)
    rows = [UsageRecord(tenant_id=account.tenant_id, account_id=account.pk, metric=metric,
                        date=start + timedelta(days=i), value=float(v)) for i, v in enumerate(values)]
    return UsageRecord.all_tenants.bulk_create(rows)
