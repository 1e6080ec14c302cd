"""Pages (`urlpatterns`, mounted under /kb/) and API routes (`api_urlpatterns`, under /api/v1/)."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from knowledge import api, ticket_links, views

router = SimpleRouter(trailing_slash=True)
router.register("kb/articles", api.ArticleViewSet, basename="api-kb-article")
router.register("kb/categories", api.CategoryViewSet, basename="api-kb-category")

api_urlpatterns = router.urls

urlpatterns = [
    path("", views.kb_home, name="home"),
    path("categories/new/", views.category_create, name="category_create"),
    path("categories/defaults/", views.categories_defaults, name="categories_defaults"),
    path("c/<slug:slug>/", views.category_detail, name="category"),
    path("articles/new/", views.article_create, name="article_create"),
    path("articles/preview/", views.article_preview, name="article_preview"),
    path("articles/<int:pk>/", views.article_detail, name="article"),
    path("articles/<int:pk>/edit/", views.article_edit, name="article_edit"),
    path("articles/<int:pk>/status/", views.article_status, name="article_status"),
    # The KB panel of a ticket page (knowledge owns the links; see knowledge/ticket_links.py).
    path("tickets/<int:pk>/articles/", ticket_links.ticket_link, name="ticket_link"),
    path("tickets/<int:pk>/articles/search/", ticket_links.ticket_article_search, name="ticket_article_search"),
    path("tickets/<int:pk>/articles/<int:article_pk>/unlink/", ticket_links.ticket_unlink, name="ticket_unlink"),
]
