"""Pages (`urlpatterns`, mounted under the app's prefix) and API routes (`api_urlpatterns`, under /api/v1/)."""

urlpatterns: list = []
api_urlpatterns: list = []
