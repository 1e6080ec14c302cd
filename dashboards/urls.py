"""Dashboard pages, under /dashboards/ (namespace ``dashboards``)."""

from django.urls import path

from dashboards import validation_views, views

urlpatterns = [
    path("support/", views.support, name="support"),
    path("support/export.csv", views.support_export, name="support_export"),
    path("score-validation/", validation_views.score_validation_page, name="score_validation"),
    path("refresh/", views.refresh, name="refresh"),
    path("refresh/<str:job_id>/", views.refresh_status, name="refresh_status"),
]
