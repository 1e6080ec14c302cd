"""Dashboard pages, under /dashboards/ (namespace ``dashboards``), and the API (``api_urlpatterns``, under /api/v1/)."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from dashboards import (
    digest_views,
    dry_run_views,
    kpi_api,
    kpi_views,
    portfolio_views,
    validation_views,
    views,
)

router = SimpleRouter(trailing_slash=True)
router.register("kpi-targets", kpi_api.KpiTargetViewSet, basename="api-kpi-target")

api_urlpatterns = router.urls

urlpatterns = [
    path("support/", views.support, name="support"),
    path("support/export.csv", views.support_export, name="support_export"),
    path("portfolio/", portfolio_views.portfolio, name="portfolio"),
    path("portfolio/export.csv", portfolio_views.portfolio_export, name="portfolio_export"),
    path("my-book/", portfolio_views.my_book, name="my_book"),
    path("digest/", digest_views.digest_preferences, name="digest_preferences"),
    path("score-validation/", validation_views.score_validation_page, name="score_validation"),
    path("targets/", kpi_views.kpi_targets, name="kpi_targets"),
    path("targets/new/", kpi_views.kpi_target_create, name="kpi_target_create"),
    path("targets/<int:pk>/", kpi_views.kpi_target_edit, name="kpi_target_edit"),
    path("targets/<int:pk>/delete/", kpi_views.kpi_target_delete, name="kpi_target_delete"),
    path("scorecard-dry-run/", dry_run_views.scorecard_dry_run_page, name="scorecard_dry_run"),
    path("refresh/", views.refresh, name="refresh"),
    path("refresh/<str:job_id>/", views.refresh_status, name="refresh_status"),
]
