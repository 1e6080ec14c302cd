"""The renewal and expansion settings pages, spliced into the renewal pages (namespace "renewals", under
/renewals/)."""

from django.urls import path

from renewals import settings_views

urlpatterns = [
    path("settings/", settings_views.renewal_settings, name="settings"),
    path("settings/expansion/", settings_views.expansion_settings, name="expansion_settings"),
]
