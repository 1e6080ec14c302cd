"""seed_demo's revenue data (issue 11: "seed_demo gives each of the five tenants two years of ARR history and
renewals in every state"): over all five handbook tenants, an account's ARR is the signed sum of its
movements; history spans two years; renewals are open with every forecast and closed with every outcome
(churn reasons from the tenant's list); opportunities in several stages and kinds; RAG Fortress's Falcon
Networks renews tomorrow, red, at risk on the desk with its risk CTA; a second run writes nothing."""

from __future__ import annotations

import io
import random
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db.models import Case, DecimalField, F, Sum, When
from django.utils import timezone

from accounts.models import Account, Task, TaskStatus
from core.seeding import SeedContext
from ops.demo.handbooks import HANDBOOKS
from renewals import seed
from renewals.models import ArrMovement, Forecast, Opportunity, Renewal, RenewalOutcome, RenewalSettings
from renewals.models.opportunities import OPEN_STAGES
from tenancy.context import tenant_context
from tenancy.models import Membership, Role, Tenant

pytestmark = pytest.mark.django_db(transaction=False)

SIGNED = Case(When(kind__in=["new", "expansion", "reactivation"], then=F("amount")), default=-F("amount"),
              output_field=DecimalField())


def ledger_balances(tenant, today):
    return dict(ArrMovement.all_tenants.filter(tenant=tenant, date__lte=today).values("account_id")
                .annotate(total=Sum(SIGNED)).values_list("account_id", "total"))


def counts():
    return (ArrMovement.all_tenants.count(), Renewal.all_tenants.count(), Opportunity.all_tenants.count(),
            Task.all_tenants.count(), Account.all_tenants.count())


def test_seed_demo_revenue_data_for_the_five_tenants(client):
    call_command("seed_demo", stdout=io.StringIO())
    assert Tenant.objects.filter(slug__in=list(HANDBOOKS)).count() == 5
    for tenant in Tenant.objects.filter(slug__in=list(HANDBOOKS)):
        today = timezone.localdate(timezone=tenant.tzinfo)
        with tenant_context(tenant):
            # The ledger rule, for every account (churned ones at 0).
            balances = ledger_balances(tenant, today)
            arrs = dict(Account.objects.values_list("id", "arr"))
            assert {pk: balances.get(pk, 0) for pk in arrs} == arrs, tenant.slug
            assert not ArrMovement.objects.filter(date__gt=today).exists()
            # Two years of history, every kind of movement.
            first = ArrMovement.objects.order_by("date").first().date
            assert first == today - timedelta(days=730), tenant.slug
            assert set(ArrMovement.objects.values_list("kind", flat=True)) == {
                "new", "expansion", "contraction", "churn", "reactivation"}, tenant.slug
            assert Account.objects.filter(status="churned", arr=0).exists()
            # Closed renewals with every outcome, in the past, churn reasons from the tenant's list.
            closed = Renewal.objects.filter(outcome__isnull=False)
            assert set(closed.values_list("outcome", flat=True)) == set(RenewalOutcome.values), tenant.slug
            assert not closed.filter(closed_at__date__gt=today).exists()
            reasons = set(RenewalSettings.objects.first().churn_reasons if RenewalSettings.objects.exists()
                          else seed.history.renewal_selectors.renewal_settings_get().churn_reasons)
            churned = closed.filter(outcome=RenewalOutcome.CHURNED)
            assert set(churned.values_list("churn_reason", flat=True)) <= reasons
            assert "" not in set(churned.values_list("churn_reason", flat=True))
            # Open renewals with every forecast; overrides carry a reason.
            open_ = Renewal.objects.filter(outcome__isnull=True)
            assert set(open_.values_list("forecast", flat=True)) == set(Forecast.values), tenant.slug
            assert not open_.filter(forecast_overridden_at__isnull=False, forecast_reason="").exists()
            # Opportunities: several open stages and kinds, a won one, a professional-services one.
            stages = set(Opportunity.objects.values_list("stage", flat=True))
            assert set(OPEN_STAGES) <= stages and {"won", "lost"} <= stages
            assert Opportunity.objects.filter(kind="professional_services", stage="won").exists()
            assert len(set(Opportunity.objects.values_list("kind", flat=True))) == 5

    rag = Tenant.objects.get(slug="rag-fortress")
    with tenant_context(rag):
        falcon = Account.objects.get(name="Falcon Networks")
        today = timezone.localdate(timezone=rag.tzinfo)
        assert falcon.renewal_date == today + timedelta(days=1)
        assert falcon.health_status == "red"
        renewal = Renewal.objects.get(account=falcon, outcome__isnull=True)
        assert renewal.forecast == Forecast.AT_RISK
        assert Task.objects.get(dedupe_key=f"renewal:{renewal.pk}:risk").status == TaskStatus.OPEN
        user = Membership.objects.filter(role=Role.CSM).first().user
    client.force_login(user)
    page = client.get("/renewals/?forecast=at_risk", secure=True)
    assert page.status_code == 200
    assert b"Falcon Networks" in page.content

    before = counts()
    call_command("seed_demo", stdout=io.StringIO())  # existing tenants are left as they are
    assert counts() == before
    for tenant in Tenant.objects.filter(slug__in=list(HANDBOOKS)):  # and each step is idempotent on its own
        profile = HANDBOOKS[tenant.slug]
        with tenant_context(tenant):
            ctx = SeedContext(tenant=tenant, slug=tenant.slug, profile=profile, accounts=list(Account.objects.all()),
                              users={}, rng=random.Random(1), today=timezone.localdate(timezone=tenant.tzinfo),
                              progress=lambda msg: None)
            seed.seed_history(ctx)
            seed.seed_tenant(ctx)
    assert counts() == before
