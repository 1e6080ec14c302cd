"""API routes of the expansion pipeline (under /api/v1/)."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from renewals import opportunity_api

router = SimpleRouter(trailing_slash=True)
router.register("opportunities", opportunity_api.OpportunityViewSet, basename="api-opportunity")

api_urlpatterns = [
    path("opportunities/pipeline/", opportunity_api.PipelineView.as_view(), name="api-opportunity-pipeline"),
    *router.urls,
]
