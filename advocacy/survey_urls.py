"""Routes of surveys: the API (under /api/v1/), the pages (under /surveys/) and the public response page
(under /s/, no sign-in: reached by a signed link)."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from advocacy import survey_api, survey_public, survey_views

router = SimpleRouter()
router.register("survey-responses", survey_api.SurveyResponseViewSet, basename="api-survey-response")

api_urlpatterns = [
    *router.urls,
    path("metrics/nps/", survey_api.NpsMetricView.as_view(), name="api-metrics-nps"),
    path("metrics/csat/", survey_api.CsatMetricView.as_view(), name="api-metrics-csat"),
]

# Public (no sign-in): the signed links of the survey emails.
public_urlpatterns = [
    path("<str:token>/", survey_public.respond, name="survey_respond"),
    path("<str:token>/unsubscribe/", survey_public.unsubscribe, name="survey_unsubscribe"),
]

# Pages (under /surveys/, namespace "surveys").
urlpatterns = [
    path("", survey_views.campaigns, name="campaigns"),
    path("new/", survey_views.campaign_create, name="create"),
    path("responses/", survey_views.responses, name="responses"),
    path("report/", survey_views.report, name="report"),
    path("settings/", survey_views.settings_page, name="settings"),
    path("<int:pk>/", survey_views.campaign_detail, name="detail"),
    path("<int:pk>/edit/", survey_views.campaign_edit, name="edit"),
    path("<int:pk>/send/", survey_views.campaign_send, name="send"),
    path("<int:pk>/progress/", survey_views.campaign_progress, name="progress"),
]
