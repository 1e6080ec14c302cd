"""Knowledge-base API: `/api/v1/kb/articles/` (list, `?q=` search, create, get, patch) and
`/api/v1/kb/categories/` (list, get).

Lists show published articles only. Principals that may write the knowledge base (a read-write key,
or a member with ``kb.write``) can ask for drafts with ``?status=draft`` or ``?status=all`` and read
a draft by id; for everyone else a draft does not exist (404).
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import serializers
from rest_framework.exceptions import ValidationError

from core.api.viewsets import TenantModelViewSet, TenantReadOnlyViewSet
from knowledge import selectors, services
from knowledge.models import Article, ArticleStatus, Category
from knowledge.rendering import render_markdown
from tenancy.api_permissions import principal_can
from tenancy.permissions import KB_WRITE


class TenantCategorySlugField(serializers.SlugRelatedField):
    """A category of the current tenant, named by its slug."""

    def __init__(self, **kwargs):
        super().__init__(slug_field="slug", queryset=Category.all_tenants.none(), **kwargs)

    def get_queryset(self):
        return selectors.categories()


class CategorySerializer(serializers.ModelSerializer):
    published_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Category
        fields = ["id", "slug", "name", "description", "position", "published_count"]
        read_only_fields = fields


class ArticleSerializer(serializers.ModelSerializer):
    category = TenantCategorySlugField(help_text="Category slug, e.g. `troubleshooting`.")
    category_name = serializers.CharField(source="category.name", read_only=True)
    status = serializers.ChoiceField(choices=ArticleStatus.choices, required=False)
    author = serializers.SerializerMethodField()
    body_html = serializers.SerializerMethodField()
    linked_ticket_count = serializers.IntegerField(read_only=True, default=0)
    rank = serializers.FloatField(read_only=True, required=False, help_text="Search rank (only with `?q=`).")

    class Meta:
        model = Article
        fields = [
            "id", "category", "category_name", "title", "body", "body_html", "status", "author", "created_at",
            "updated_at", "published_at", "linked_ticket_count", "rank",
        ]
        read_only_fields = ["id", "created_at", "updated_at", "published_at"]

    @extend_schema_field({"type": "string", "format": "email", "nullable": True})
    def get_author(self, article: Article) -> str | None:
        return article.author.email if article.author_id and article.author else None

    @extend_schema_field(OpenApiTypes.STR)
    def get_body_html(self, article: Article) -> str:
        """The body rendered from markdown and sanitised."""
        return render_markdown(article.body)

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if not hasattr(instance, "rank"):
            data.pop("rank", None)
        return data

    def create(self, validated_data):
        return services.article_create(actor=self.context["view"].acting_user, **validated_data)

    def update(self, instance, validated_data):
        return services.article_update(article=instance, actor=self.context["view"].acting_user, **validated_data)


STATUS_PARAM = OpenApiParameter(
    "status", str, enum=["published", "draft", "all"],
    description="Writers only: `draft` or `all` include drafts (default: published only).",
)


@extend_schema_view(
    list=extend_schema(
        summary="List or search articles",
        parameters=[
            OpenApiParameter("q", str, description="Full-text search (web-search syntax: \"phrase\", -word, or); "
                                                   "results ordered by rank."),
            OpenApiParameter("category", str, description="Category slug."),
            STATUS_PARAM,
        ],
    ),
    retrieve=extend_schema(summary="Get an article"),
    create=extend_schema(summary="Create an article (draft unless `status` is `published`)"),
    partial_update=extend_schema(summary="Change an article (title, body, category, status)"),
)
class ArticleViewSet(TenantModelViewSet):
    """Knowledge-base articles (markdown `body`, sanitised `body_html`)."""

    serializer_class = ArticleSerializer
    write_capability = KB_WRITE
    http_method_names = ["get", "post", "patch", "head", "options"]

    def _may_see_drafts(self) -> bool:
        return principal_can(self.request.user, KB_WRITE)

    def get_base_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # drf-spectacular building the schema
            return selectors.article_none()
        params = self.request.query_params
        drafts = self._may_see_drafts()
        if self.action != "list":
            return selectors.article_queryset(include_drafts=drafts)
        status = params.get("status", "published")
        if status not in ("published", "draft", "all"):
            raise ValidationError({"status": ["Must be published, draft or all."]})
        include_drafts = drafts and status != "published"
        category = None
        if params.get("category"):
            category = selectors.category_by_slug(slug=params["category"])
            if category is None:
                return selectors.article_none()
        q = params.get("q", "").strip()
        if q:
            qs = selectors.with_link_counts(
                selectors.article_search(q=q, include_drafts=include_drafts, category=category, headline=False)
            )
        else:
            qs = selectors.article_list(category=category, include_drafts=include_drafts)
        if include_drafts and status == "draft":
            qs = qs.filter(status=ArticleStatus.DRAFT)
        return qs


@extend_schema_view(list=extend_schema(summary="List categories"), retrieve=extend_schema(summary="Get a category"))
class CategoryViewSet(TenantReadOnlyViewSet):
    """Knowledge-base categories with their count of published articles."""

    serializer_class = CategorySerializer
    lookup_field = "slug"

    def get_base_queryset(self):
        return selectors.categories_with_counts()
