"""Knowledge base: categories (tenant data) and markdown articles with a stored full-text vector.

(The saved ticket-queue views moved to ``tickets.models.QueueView``.)
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector, SearchVectorField
from django.db import models
from django.utils import timezone

from tenancy.models import TenantModel

SEARCH_CONFIG = "english"

# Title weighs A, body B; stored by PostgreSQL itself (GENERATED ALWAYS AS ... STORED), so every
# write path (services, bulk seeding, raw SQL) keeps it current.
ARTICLE_SEARCH_VECTOR = SearchVector("title", weight="A", config=SEARCH_CONFIG) + SearchVector(
    "body", weight="B", config=SEARCH_CONFIG
)


class Category(TenantModel):
    """A knowledge-base section (Getting Started, Troubleshooting...). Ordered by ``position``."""

    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=100)
    description = models.CharField(max_length=300, blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["position", "name"]
        verbose_name_plural = "categories"
        constraints = [
            models.UniqueConstraint(fields=["tenant", "slug"], name="kb_category_unique_slug"),
            models.UniqueConstraint(fields=["tenant", "name"], name="kb_category_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name


class ArticleStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"


class Article(TenantModel):
    """A knowledge-base article. ``body`` is markdown, rendered and sanitised on display."""

    category = models.ForeignKey(Category, on_delete=models.RESTRICT, related_name="articles")
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    status = models.CharField(max_length=16, choices=ArticleStatus.choices, default=ArticleStatus.DRAFT)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(null=True, blank=True)
    search_vector = models.GeneratedField(
        expression=ARTICLE_SEARCH_VECTOR, output_field=SearchVectorField(), db_persist=True
    )

    class Meta:
        ordering = ["title"]
        indexes = [
            models.Index(fields=["tenant", "category", "status", "title"], name="kb_article_category_idx"),
            models.Index(fields=["tenant", "status", "-updated_at"], name="kb_article_recent_idx"),
            GinIndex(fields=["search_vector"], name="kb_article_search_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_published(self) -> bool:
        return self.status == ArticleStatus.PUBLISHED


class TicketArticleLink(TenantModel):
    """An article linked from a support ticket (shown on both; counted as "used in N tickets")."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="ticket_links")
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="article_links")
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "ticket", "article"], name="kb_ticket_link_unique"),
        ]
        indexes = [models.Index(fields=["tenant", "article"], name="kb_ticket_link_article_idx")]

    def __str__(self) -> str:
        return f"{self.article_id} on ticket {self.ticket_id}"
