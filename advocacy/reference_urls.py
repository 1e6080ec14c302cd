"""Reference program routes: the pages (`urlpatterns`, mounted under /advocacy/references/ with namespace
"references") and the API (`api_urlpatterns`, under /api/v1/)."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from advocacy import (
    reference_api,
    reference_ledger_views,
    reference_program_api,
    reference_program_views,
    reference_views,
)

router = SimpleRouter(trailing_slash=True)
router.register("references", reference_api.ReferenceRequestViewSet, basename="api-reference")
router.register("reference-rewards", reference_program_api.RewardViewSet, basename="api-reference-reward")
router.register("case-studies", reference_program_api.CaseStudyViewSet, basename="api-case-study")
router.register("advocacy-activities", reference_program_api.AdvocacyActivityViewSet, basename="api-advocacy-activity")

api_urlpatterns = [
    path("references/pool/", reference_api.PoolView.as_view(), name="api-reference-pool"),
    path("references/capacity/", reference_api.CapacityView.as_view(), name="api-reference-capacity"),
    path("reference-settings/", reference_api.ReferenceSettingsView.as_view(), name="api-reference-settings"),
    path("case-studies/progress/", reference_program_api.CaseStudyProgressView.as_view(),
         name="api-case-study-progress"),
    path("advocates/", reference_api.AdvocateView.as_view(), name="api-advocates"),
    *router.urls,
]

urlpatterns = [
    path("", reference_views.pool, name="pool"),
    path("requests/", reference_views.board, name="board"),
    path("requests/<int:pk>/status/", reference_views.request_status, name="request_status"),
    path("accounts/<int:pk>/ask/", reference_views.ask, name="ask"),
    path("contacts/<int:pk>/advocate/", reference_views.advocate, name="advocate"),
    path("case-studies/", reference_program_views.case_studies, name="case_studies"),
    path("accounts/<int:pk>/case-study/", reference_program_views.case_study_start, name="case_study_start"),
    path("case-studies/<int:pk>/stage/", reference_program_views.case_study_stage, name="case_study_stage"),
    path("settings/", reference_program_views.program_settings, name="settings"),
    path("rewards/", reference_ledger_views.rewards, name="rewards"),
    path("reviews-and-referrals/", reference_ledger_views.activities, name="activities"),
    path("accounts/<int:pk>/reward/", reference_ledger_views.reward_record, name="reward_record"),
    path("accounts/<int:pk>/review-or-referral/", reference_ledger_views.activity_record, name="activity_record"),
]
