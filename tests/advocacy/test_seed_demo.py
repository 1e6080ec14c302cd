"""seed_demo's advocacy data: every handbook tenant has about 18 months of survey history (sent NPS campaigns
with realistic response rates, CSAT after resolved tickets, post-implementation surveys), each response with
the timeline entry the response service writes and a follow-up CTA only for the alerts of the last 30 days;
the NPS metric endpoint answers; the reference program has requests in every status, rewards, a case-study
pipeline with one published this quarter, reviews and a referral, and an eligible account in at least three
tenants; health scored the new inputs; a second run (and each step on its own) writes nothing."""

from __future__ import annotations

import io
import random
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Account, Activity, Task
from advocacy import nps as math
from advocacy import reference_selectors
from advocacy.models import (
    AdvocacyActivity,
    AdvocateProfile,
    CaseStudy,
    CaseStudyStage,
    ReferenceRequest,
    ReferenceReward,
    ReferenceStatus,
    SendStatus,
    Survey,
    SurveyKind,
    SurveyPurpose,
    SurveyResponse,
    SurveySend,
    SurveyStatus,
    Unsubscribe,
)
from advocacy.reference_rules import quarter_bounds
from core.registries.bands import tenant_bands
from core.seeding import SeedContext
from health.models import HealthSnapshot
from ops.demo.advocacy import seed_advocacy
from ops.demo.handbooks import HANDBOOKS
from tenancy.context import tenant_context
from tenancy.models import Tenant
from tests.factories import make_api_key

pytestmark = pytest.mark.django_db(transaction=False)

MODELS = [Survey, SurveySend, SurveyResponse, Unsubscribe, AdvocateProfile, ReferenceRequest, ReferenceReward,
          CaseStudy, AdvocacyActivity, Activity, Task, HealthSnapshot]


def counts():
    return tuple(model.all_tenants.count() for model in MODELS)


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """The five tenants, seeded once for the module in a transaction rolled back at its end."""
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("seed_demo", stdout=io.StringIO())
        yield list(Tenant.objects.filter(slug__in=list(HANDBOOKS)).order_by("pk"))
        transaction.set_rollback(True)


def test_survey_history_for_every_tenant(seeded):
    assert len(seeded) == 5
    for tenant in seeded:
        now = timezone.now()
        with tenant_context(tenant):
            responses = SurveyResponse.objects.all()
            assert responses.filter(kind=SurveyKind.NPS).count() > 50, tenant.slug
            assert responses.filter(kind=SurveyKind.CSAT).count() > 20, tenant.slug
            oldest = responses.order_by("responded_at").first().responded_at
            assert now - timedelta(days=560) < oldest < now - timedelta(days=300), tenant.slug  # ~18 months
            assert not responses.filter(responded_at__gt=now).exists()
            # Sent NPS campaigns (semi-annual at TechCorp), each with its sends and a 20-45% response rate.
            campaigns = Survey.objects.filter(purpose=SurveyPurpose.NPS_QUARTERLY)
            assert campaigns.count() == (3 if tenant.slug == "techcorp" else 6)
            assert set(campaigns.values_list("status", flat=True)) == {SurveyStatus.SENT}
            for survey in campaigns.annotate(answered=Count("sends", filter=Q(sends__response__isnull=False))):
                sent = survey.sends.filter(status=SendStatus.SENT).count()
                assert survey.sent_count == sent and survey.recipients == survey.sends.count() > 0
                assert 20 <= survey.answered * 100 / sent <= 45, (tenant.slug, survey.name)
            # Automatic surveys: CSAT per resolved ticket, post-implementation milestones (future ones pending).
            csat = Survey.objects.get(automatic=True, purpose=SurveyPurpose.CSAT_TICKET)
            assert csat.sends.filter(occasion__startswith="ticket:", response__isnull=False).exists()
            post = Survey.objects.get(automatic=True, purpose=SurveyPurpose.POST_IMPLEMENTATION)
            assert post.sends.filter(occasion__startswith="plan:", response__isnull=False).exists()
            assert not post.sends.filter(status=SendStatus.PENDING, due_at__lte=now).exists()
            assert not SurveySend.objects.filter(status=SendStatus.SENT, sent_at__gt=now).exists()
            # Fatigue and the unsubscribe were applied as the batches apply them.
            reasons = set(SurveySend.objects.filter(status=SendStatus.SKIPPED).values_list("skip_reason", flat=True))
            assert "unsubscribed" in reasons and reasons <= {"unsubscribed", "fatigue", "csat_recently"}
            # Every response came from a send, and has its one timeline entry.
            assert SurveySend.objects.filter(response__isnull=False).count() == responses.count()
            entries = Activity.objects.filter(ref_type="survey_response")
            assert entries.count() == responses.count()
            assert set(entries.values_list("ref_id", flat=True)) == set(responses.values_list("pk", flat=True))
            # Follow-up CTAs exactly for the alerts of the last 30 days, with the service's dedupe key.
            recent = [r for r in responses.filter(responded_at__gte=now - timedelta(days=30))
                      if math.is_alert(r.kind, r.score)]
            keys = set(Task.objects.filter(dedupe_key__startswith="survey-response:").values_list("dedupe_key", flat=True))
            assert keys == {f"survey-response:{r.pk}" for r in recent}, tenant.slug


def test_answers_follow_health_and_the_handbook_targets(seeded):
    nps = {}
    for tenant in seeded:
        with tenant_context(tenant):
            bands = [band["key"] for band in tenant_bands()]
            latest = SurveyResponse.objects.filter(kind=SurveyKind.NPS)
            shares = []
            for group in (latest.filter(account__health_status=bands[0]),
                          latest.exclude(account__health_status=bands[0])):
                mix = group.aggregate(n=Count("pk"), p=Count("pk", filter=Q(score__gte=9)),
                                      d=Count("pk", filter=Q(score__lte=6)))
                shares.append((mix["p"] / mix["n"], mix["d"] / mix["n"]))
            # The top band answers as promoters more often than the others, and as detractors less often.
            assert shares[0][0] > shares[1][0] and shares[0][1] < shares[1][1], tenant.slug
            counts_ = latest.aggregate(n=Count("pk"), p=Count("pk", filter=Q(score__gte=9)),
                                       d=Count("pk", filter=Q(score__lte=6)))
            nps[tenant.slug] = (counts_["p"] - counts_["d"]) * 100 / counts_["n"]
    assert nps["marketingai-pro"] > 70  # handbook 003: NPS above 70
    assert min(nps.values()) > 20


def test_metric_endpoints_answer(seeded):
    for tenant in seeded:
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=f"Bearer {make_api_key(tenant)}")
        body = api.get("/api/v1/metrics/nps/").json()
        assert body["nps"] is not None and body["responses"] > 0, tenant.slug
        assert 20 <= float(body["response_rate"]) <= 45
        csat = api.get("/api/v1/metrics/csat/").json()
        assert csat["average"] is not None, tenant.slug
        if tenant.slug == "marketingai-pro":
            assert float(csat["average"]) > 4.5  # handbook 003: CSAT above 4.5


def test_reference_program(seeded):
    with_eligible = 0
    for tenant in seeded:
        with tenant_context(tenant):
            pool = reference_selectors.reference_pool()
            with_eligible += bool(pool["eligible"].any())
            assert AdvocateProfile.objects.filter(willing=True).exists()
            assert set(ReferenceRequest.objects.values_list("status", flat=True)) == set(ReferenceStatus.values)
            cap = reference_selectors.reference_settings().yearly_call_cap
            assert max(pool["calls_used"]) == cap - 1, tenant.slug  # one account one call short of the cap
            completed = ReferenceRequest.objects.filter(status=ReferenceStatus.COMPLETED)
            assert Activity.objects.filter(ref_type="reference_request").count() == completed.count()
            assert ReferenceReward.objects.filter(request__in=completed).exists()
            assert set(CaseStudy.objects.values_list("stage", flat=True)) == set(CaseStudyStage.values)
            assert reference_selectors.case_study_progress()["published"] >= 1
            start, _ = quarter_bounds(timezone.localdate())
            assert CaseStudy.objects.filter(published_at__date__lt=start).exists()
            assert set(AdvocacyActivity.objects.values_list("source", flat=True)) == {"g2", "capterra", "referral"}
    assert with_eligible >= 3


def test_health_scored_the_new_inputs(seeded):
    for tenant in seeded:
        if tenant.slug == "modular-cs":  # handbook 001 scores no satisfaction, NPS or references
            continue
        with tenant_context(tenant):
            account = (SurveyResponse.objects.filter(kind=SurveyKind.CSAT, account__status="active")
                       .order_by("-responded_at").first().account)
            snapshot = HealthSnapshot.objects.filter(account=account).order_by("-computed_at").first()
            measures = {key: value for comp in snapshot.measures.values() for key, value in comp.items()}
            assert measures["csat"][0] is not None, tenant.slug


def test_a_second_run_writes_nothing(seeded):
    before = counts()
    call_command("seed_demo", stdout=io.StringIO())  # existing tenants are left as they are
    assert counts() == before
    for tenant in seeded:  # and the step is a no-op on its own
        with tenant_context(tenant):
            ctx = SeedContext(tenant=tenant, slug=tenant.slug, profile=HANDBOOKS[tenant.slug],
                              accounts=list(Account.objects.all()), users={}, rng=random.Random(1),
                              today=timezone.localdate(timezone=tenant.tzinfo), progress=lambda msg: None)
            seed_advocacy(ctx)
    assert counts() == before
