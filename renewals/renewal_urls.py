"""Renewal routes: the API (`api_urlpatterns`, under /api/v1/)."""

from rest_framework.routers import SimpleRouter

from renewals import renewal_api

router = SimpleRouter(trailing_slash=True)
router.register("renewals", renewal_api.RenewalViewSet, basename="api-renewal")

api_urlpatterns = router.urls
