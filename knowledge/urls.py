"""Pages (`urlpatterns`, mounted under /kb/) and API routes (`api_urlpatterns`, under /api/v1/)."""

urlpatterns: list = []
api_urlpatterns: list = []
