"""The retention report's routes, spliced into the renewal pages (namespace "renewals", under /renewals/)."""

from django.urls import path

from renewals import retention_views

urlpatterns = [
    path("retention/", retention_views.retention_page, name="retention"),
    path("retention/export.csv", retention_views.retention_export, name="retention_export"),
]
