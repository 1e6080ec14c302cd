"""Pages (`urlpatterns`, mounted under the app's prefix) and API routes (`api_urlpatterns`, under /api/v1/)."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from tickets import api, settings_views, views

urlpatterns: list = [
    path("", views.queue, name="queue"),
    path("settings/", settings_views.sla_settings, name="sla_settings"),
    path("new/", views.ticket_create, name="create"),
    path("bulk-assign/", views.bulk_assign, name="bulk_assign"),
    path("views/", views.save_view, name="save_view"),
    path("views/<int:pk>/delete/", views.delete_view, name="delete_view"),
    path("<int:pk>/", views.ticket_detail, name="detail"),
    path("<int:pk>/claim/", views.claim, name="claim"),
    path("<int:pk>/reply/", views.reply, name="reply"),
    path("<int:pk>/status/", views.transition, name="transition"),
    path("<int:pk>/properties/", views.update_properties, name="properties"),
    path("<int:pk>/escalate/", views.escalate, name="escalate"),
    path("<int:pk>/attachments/<int:attachment_pk>/", views.attachment_download, name="attachment"),
    path("<int:pk>/articles/", views.link_article, name="link_article"),
    path("<int:pk>/articles/search/", views.article_search, name="article_search"),
    path("<int:pk>/articles/<int:article_pk>/unlink/", views.unlink_article, name="unlink_article"),
]

_router = SimpleRouter(trailing_slash=True)
_router.register("tickets", api.TicketViewSet, basename="api-ticket")
_router.register("inbound-email", api.InboundEmailViewSet, basename="api-inbound-email")

api_urlpatterns: list = [
    *_router.urls,
    path("sla-policies/", api.SlaPolicyView.as_view(), name="api-sla-policies"),
    path("business-hours/", api.BusinessHoursView.as_view(), name="api-business-hours"),
    path("support-settings/", api.SupportSettingsView.as_view(), name="api-support-settings"),
]
