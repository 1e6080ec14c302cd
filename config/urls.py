from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from accounts import urls as accounts_urls
from advocacy import reference_urls, survey_urls
from core import views as core_views
from core.api.jobs import JobView
from dashboards import urls as dashboards_urls
from health import urls as health_urls
from integrations import urls as integrations_urls
from knowledge import urls as knowledge_urls
from onboarding import urls as onboarding_urls
from renewals import cadence_urls, opportunity_urls, renewal_urls
from renewals import ledger_urls as renewals_ledger_urls
from tenancy import urls as tenancy_urls
from tickets import urls as tickets_urls
from workspace import urls as workspace_urls
from workspace import views as workspace_views

# Each app's urls.py holds `urlpatterns` (pages) and `api_urlpatterns` (under /api/v1/).
api_v1 = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    # Redoc without Google Fonts or cdn.redoc.ly (no CDN): templates/api/redoc.html.
    path(
        "redoc/",
        SpectacularRedocView.as_view(url_name="api-schema", template_name="api/redoc.html"),
        name="api-redoc",
    ),
    *accounts_urls.api_urlpatterns,
    *health_urls.api_urlpatterns,
    *tickets_urls.api_urlpatterns,
    *knowledge_urls.api_urlpatterns,
    *onboarding_urls.api_urlpatterns,
    *cadence_urls.api_urlpatterns,
    *renewals_ledger_urls.api_urlpatterns,
    *renewal_urls.api_urlpatterns,
    *opportunity_urls.api_urlpatterns,
    *reference_urls.api_urlpatterns,
    *survey_urls.api_urlpatterns,
    *dashboards_urls.api_urlpatterns,
    *integrations_urls.api_urlpatterns,
    path("jobs/<str:id>/", JobView.as_view(), name="api-job"),
]

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
    path("", workspace_views.dashboard, name="dashboard"),
    path("overview/", workspace_views.overview, name="overview"),
    path("accessibility/", core_views.accessibility, name="accessibility"),
    path("api/v1/", include(api_v1)),
    path("admin/", admin.site.urls),
    path("", include(tenancy_urls)),
    path("settings/integrations/", include((integrations_urls.urlpatterns, "integrations"))),
    path("accounts/", include((accounts_urls.urlpatterns + workspace_urls.account_urlpatterns, "accounts"))),
    path("health/", include((health_urls.urlpatterns, "health"))),
    path("tickets/", include((tickets_urls.urlpatterns, "tickets"))),
    path("kb/", include((knowledge_urls.urlpatterns, "knowledge"))),
    path("onboarding/", include((onboarding_urls.urlpatterns, "onboarding"))),
    path("renewals/cadences/", include((cadence_urls.urlpatterns, "cadences"))),
    path("renewals/pipeline/", include((opportunity_urls.urlpatterns, "opportunities"))),
    path("renewals/", include((renewal_urls.urlpatterns, "renewals"))),
    path("advocacy/references/", include((reference_urls.urlpatterns, "references"))),
    path("surveys/", include((survey_urls.urlpatterns, "surveys"))),
    path("s/", include(survey_urls.public_urlpatterns)),
    path("dashboards/", include((dashboards_urls.urlpatterns, "dashboards"))),
]
