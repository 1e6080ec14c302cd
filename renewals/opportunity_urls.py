"""Expansion routes: the pipeline board (`urlpatterns`, mounted under /renewals/pipeline/ with namespace
"opportunities") and the API (`api_urlpatterns`, under /api/v1/)."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from renewals import opportunity_api, opportunity_views

router = SimpleRouter(trailing_slash=True)
router.register("opportunities", opportunity_api.OpportunityViewSet, basename="api-opportunity")

api_urlpatterns = [
    path("opportunities/pipeline/", opportunity_api.PipelineView.as_view(), name="api-opportunity-pipeline"),
    path("expansion-settings/", opportunity_api.ExpansionSettingsView.as_view(), name="api-expansion-settings"),
    *router.urls,
]

urlpatterns = [
    path("", opportunity_views.pipeline, name="pipeline"),
]
