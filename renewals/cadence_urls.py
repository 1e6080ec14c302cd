"""Touchpoint cadence routes: pages (`urlpatterns`, mounted under /renewals/cadences/ with namespace
"cadences") and the API (`api_urlpatterns`, under /api/v1/)."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from renewals import cadence_api, cadence_views

router = SimpleRouter(trailing_slash=True)
router.register("touchpoint-cadences", cadence_api.TouchpointCadenceViewSet, basename="api-touchpoint-cadence")

api_urlpatterns = router.urls

urlpatterns = [
    path("", cadence_views.cadences, name="list"),
    path("new/", cadence_views.cadence_create, name="create"),
    path("<int:pk>/", cadence_views.cadence_edit, name="edit"),
    path("<int:pk>/delete/", cadence_views.cadence_delete, name="delete"),
]
