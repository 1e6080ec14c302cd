"""Pages (`urlpatterns`, mounted at /health/ with namespace "health") and API routes (`api_urlpatterns`, under /api/v1/)."""

from django.urls import path

from health import api, views

urlpatterns = [
    path("scorecard/", views.scorecard_settings, name="scorecard"),
    path("accounts/<int:pk>/sentiment/", views.account_sentiment, name="sentiment"),
    path("accounts/<int:pk>/panel/", views.account_panel, name="account_panel"),
    path("recompute/", views.recompute, name="recompute"),
]

api_urlpatterns = [
    path("usage/", api.UsageView.as_view(), name="api-usage"),
    path("accounts/<int:pk>/health/", api.AccountHealthView.as_view(), name="api-account-health"),
    path("accounts/<int:pk>/health/history/", api.AccountHealthHistoryView.as_view(), name="api-account-health-history"),
    path("accounts/<int:pk>/sentiment/", api.SentimentView.as_view(), name="api-account-sentiment"),
    path("health/recompute/", api.RecomputeView.as_view(), name="api-health-recompute"),
    path("health/scorecard/", api.ScorecardView.as_view(), name="api-health-scorecard"),
    path("health/sources/", api.SourcesView.as_view(), name="api-health-sources"),
    path("health/risk-rules/", api.RiskRulesView.as_view(), name="api-health-risk-rules"),
]
