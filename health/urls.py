"""Pages (`urlpatterns`, mounted at /health/ with namespace "health") and API routes (`api_urlpatterns`, under /api/v1/)."""

from django.urls import path

from health import api, events_api, views

urlpatterns = [
    path("scorecard/", views.scorecard_settings, name="scorecard"),
    path("accounts/<int:pk>/sentiment/", views.account_sentiment, name="sentiment"),
    path("accounts/<int:pk>/panel/", views.account_panel, name="account_panel"),
    path("recompute/", views.recompute, name="recompute"),
    path("events/", views.event_mappings, name="event_mappings"),
    path("events/<int:pk>/delete/", views.event_mapping_delete, name="event_mapping_delete"),
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
    path("events/track", events_api.TrackView.as_view(), name="api-events-track"),
    path("events/identify", events_api.IdentifyView.as_view(), name="api-events-identify"),
    path("events/group", events_api.GroupView.as_view(), name="api-events-group"),
    path("events/batch", events_api.BatchView.as_view(), name="api-events-batch"),
    path("event-mappings/", events_api.EventMappingViewSet.as_view({"get": "list", "post": "create"}),
         name="api-event-mappings"),
    path("event-mappings/<int:pk>/",
         events_api.EventMappingViewSet.as_view({"get": "retrieve", "delete": "destroy"}), name="api-event-mapping"),
]
