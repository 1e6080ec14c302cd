"""Routes of surveys: the API (under /api/v1/), the pages (under /surveys/) and the public response page
(under /s/, no sign-in: reached by a signed link)."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from advocacy import survey_api, survey_public

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
