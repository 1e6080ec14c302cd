"""Dashboard pages, under /dashboards/ (namespace ``dashboards``)."""

from django.urls import path

from dashboards import dry_run_views, portfolio_views, validation_views, views

urlpatterns = [
    path("support/", views.support, name="support"),
    path("support/export.csv", views.support_export, name="support_export"),
    path("portfolio/", portfolio_views.portfolio, name="portfolio"),
    path("portfolio/export.csv", portfolio_views.portfolio_export, name="portfolio_export"),
    path("my-book/", portfolio_views.my_book, name="my_book"),
    path("score-validation/", validation_views.score_validation_page, name="score_validation"),
    path("scorecard-dry-run/", dry_run_views.scorecard_dry_run_page, name="scorecard_dry_run"),
    path("refresh/", views.refresh, name="refresh"),
    path("refresh/<str:job_id>/", views.refresh_status, name="refresh_status"),
]
