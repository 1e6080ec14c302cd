"""API routes of the ARR ledger and the retention metrics (under /api/v1/)."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from renewals import ledger_api

router = SimpleRouter()
router.register("arr-movements", ledger_api.ArrMovementViewSet, basename="api-arr-movement")

api_urlpatterns = [
    *router.urls,
    path("metrics/retention/", ledger_api.RetentionView.as_view(), name="api-metrics-retention"),
    path("metrics/retention/monthly/", ledger_api.RetentionMonthlyView.as_view(), name="api-metrics-retention-monthly"),
]
