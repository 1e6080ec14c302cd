"""Renewal routes: the pages (`urlpatterns`, mounted under /renewals/ with namespace "renewals") and the
API (`api_urlpatterns`, under /api/v1/)."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from renewals import renewal_api, renewal_settings_api, renewal_views, retention_urls, settings_urls

router = SimpleRouter(trailing_slash=True)
router.register("renewals", renewal_api.RenewalViewSet, basename="api-renewal")

api_urlpatterns = [
    path("renewal-settings/", renewal_settings_api.RenewalSettingsView.as_view(), name="api-renewal-settings"),
    *router.urls,
]

urlpatterns = [
    path("", renewal_views.desk, name="desk"),
    path("<int:pk>/", renewal_views.renewal_detail, name="detail"),
    path("<int:pk>/forecast/", renewal_views.renewal_forecast, name="forecast"),
    path("<int:pk>/outcome/", renewal_views.renewal_outcome, name="outcome"),
    *retention_urls.urlpatterns,
    *settings_urls.urlpatterns,
]
