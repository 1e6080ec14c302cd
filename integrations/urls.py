"""Webhooks and Slack notifications: the settings pages (`urlpatterns`, under /settings/integrations/, namespace
"integrations") and the API (`api_urlpatterns`, under /api/v1/)."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from integrations import api, views

router = SimpleRouter(trailing_slash=True)
router.register("webhooks", api.WebhookViewSet, basename="api-webhook")

api_urlpatterns = [
    path("webhooks/<int:pk>/deliveries/<int:delivery_id>/replay/", api.DeliveryReplayView.as_view(),
         name="api-webhook-delivery-replay"),
    *router.urls,
]

urlpatterns = [
    path("", views.endpoints_page, name="endpoints"),
    path("webhooks/new/", views.webhook_create, name="webhook_create"),
    path("slack/new/", views.slack_create, name="slack_create"),
    path("<int:pk>/", views.endpoint_detail, name="detail"),
    path("<int:pk>/edit/", views.endpoint_edit, name="edit"),
    path("<int:pk>/pause/", views.endpoint_pause, name="pause"),
    path("<int:pk>/resume/", views.endpoint_resume, name="resume"),
    path("<int:pk>/test/", views.endpoint_test, name="test"),
    path("<int:pk>/delete/", views.endpoint_delete, name="delete"),
    path("<int:pk>/replay/", views.replay_since, name="replay_since"),
    path("<int:pk>/deliveries/<int:delivery_pk>/replay/", views.delivery_replay, name="delivery_replay"),
]
