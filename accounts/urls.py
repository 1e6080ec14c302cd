from django.urls import path
from rest_framework.routers import SimpleRouter

from accounts import api, import_views, views

router = SimpleRouter(trailing_slash=True)
router.register("accounts", api.AccountViewSet, basename="api-account")
router.register("contacts", api.ContactViewSet, basename="api-contact")

api_urlpatterns = router.urls

# The account 360 page and my tasks share this namespace (``accounts:detail``...) from workspace/urls.py.
urlpatterns = [
    path("", views.account_list, name="list"),
    path("new/", views.account_create, name="create"),
    path("export.csv", views.account_export, name="export"),
    path("import/", import_views.account_import, name="import"),
    path("<int:pk>/edit/", views.account_edit, name="edit"),
    path("<int:pk>/contacts/<int:contact_pk>/edit/", views.contact_edit, name="contact_edit"),
]
