"""Pages (`urlpatterns`, mounted under the app's prefix) and API routes (`api_urlpatterns`, under /api/v1/)."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from tickets import settings_views
from tickets.api import config as api_config
from tickets.api import inbound as api_email
from tickets.api import tickets as api_tickets
from tickets.views import create, detail, queue

urlpatterns: list = [
    path("", queue.queue, name="queue"),
    path("settings/", settings_views.sla_settings, name="sla_settings"),
    path("new/", create.ticket_create, name="create"),
    path("bulk-assign/", queue.bulk_assign, name="bulk_assign"),
    path("views/", queue.save_view, name="save_view"),
    path("views/<int:pk>/delete/", queue.delete_view, name="delete_view"),
    path("<int:pk>/", detail.ticket_detail, name="detail"),
    path("<int:pk>/claim/", queue.claim, name="claim"),
    path("<int:pk>/reply/", detail.reply, name="reply"),
    path("<int:pk>/status/", detail.transition, name="transition"),
    path("<int:pk>/properties/", detail.update_properties, name="properties"),
    path("<int:pk>/escalate/", detail.escalate, name="escalate"),
    path("<int:pk>/attachments/<int:attachment_pk>/", detail.attachment_download, name="attachment"),
]

_router = SimpleRouter(trailing_slash=True)
_router.register("tickets", api_tickets.TicketViewSet, basename="api-ticket")
_router.register("inbound-email", api_email.InboundEmailViewSet, basename="api-inbound-email")

api_urlpatterns: list = [
    *_router.urls,
    path("sla-policies/", api_config.SlaPolicyView.as_view(), name="api-sla-policies"),
    path("business-hours/", api_config.BusinessHoursView.as_view(), name="api-business-hours"),
    path("support-settings/", api_config.SupportSettingsView.as_view(), name="api-support-settings"),
]
