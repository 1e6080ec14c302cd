"""Writes on the knowledge base (categories, articles, ticket links).

Views, the API and seeding all come here; every function is keyword-only and atomic.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from base.errors import DomainError
from knowledge.defaults import DEFAULT_CATEGORIES
from knowledge.models import Article, ArticleStatus, Category, TicketArticleLink
from tenancy.context import get_current_tenant
from tenancy.models import User

ARTICLE_FIELDS = ("category", "title", "body", "status")
TITLE_MAX = Article._meta.get_field("title").max_length


def _clean_name(value: str, *, field: str, max_length: int) -> str:
    value = (value or "").strip()
    if not value:
        raise DomainError("This field is required.", field=field)
    if len(value) > max_length:
        raise DomainError(f"At most {max_length} characters.", field=field)
    return value


@transaction.atomic
def category_create(*, name: str, description: str = "", position: int | None = None) -> Category:
    name = _clean_name(name, field="name", max_length=100)
    slug = slugify(name)[:100] or "category"
    if Category.objects.filter(name__iexact=name).exists() or Category.objects.filter(slug=slug).exists():
        raise DomainError(f"A category named {name!r} already exists.", field="name")
    if position is None:
        position = Category.objects.count()
    return Category.objects.create(
        tenant=get_current_tenant(), name=name, slug=slug, description=description.strip()[:300], position=position
    )


@transaction.atomic
def categories_ensure_defaults() -> list[Category]:
    """Create the five standard categories the tenant lacks (by slug); return all categories."""
    tenant = get_current_tenant()
    Category.objects.bulk_create(
        [Category(tenant=tenant, position=index, **data) for index, data in enumerate(DEFAULT_CATEGORIES)],
        ignore_conflicts=True,
    )
    return list(Category.objects.order_by("position", "name"))


def _validate_article(data: dict[str, Any]) -> None:
    if "title" in data:
        data["title"] = _clean_name(data["title"], field="title", max_length=TITLE_MAX)
    if "status" in data and data["status"] not in ArticleStatus.values:
        raise DomainError(f"Status must be one of {', '.join(ArticleStatus.values)}.", field="status")
    if "category" in data:
        category = data["category"]
        if not isinstance(category, Category) or category.tenant_id != get_current_tenant().pk:
            raise DomainError("Unknown category.", field="category")
    if "body" in data:
        data["body"] = (data["body"] or "").replace("\r\n", "\n")


@transaction.atomic
def article_create(
    *, category: Category, title: str, body: str = "", status: str = ArticleStatus.DRAFT, actor: User | None = None
) -> Article:
    data = {"category": category, "title": title, "body": body, "status": status}
    _validate_article(data)
    now = timezone.now()
    return Article.objects.create(
        tenant=get_current_tenant(), author=actor, created_at=now, updated_at=now,
        published_at=now if data["status"] == ArticleStatus.PUBLISHED else None, **data,
    )


@transaction.atomic
def article_update(*, article: Article, actor: User | None = None, **data: Any) -> Article:
    """Change category, title, body and/or status; bumps ``updated_at`` when anything changed."""
    unknown = set(data) - set(ARTICLE_FIELDS)
    if unknown:
        raise DomainError(f"Cannot change {', '.join(sorted(unknown))}.", field=sorted(unknown)[0])
    _validate_article(data)
    changed = [field for field, value in data.items() if getattr(article, field) != value]
    if not changed:
        return article
    for field in changed:
        setattr(article, field, data[field])
    article.updated_at = timezone.now()
    update_fields = [*changed, "updated_at"]
    if "status" in changed and article.status == ArticleStatus.PUBLISHED and article.published_at is None:
        article.published_at = article.updated_at
        update_fields.append("published_at")
    article.save(update_fields=update_fields)
    return article


@transaction.atomic
def article_set_status(*, article: Article, status: str, actor: User | None = None) -> bool:
    """Publish or unpublish (compare-and-set: a second identical request changes nothing). True if changed."""
    if status not in ArticleStatus.values:
        raise DomainError(f"Status must be one of {', '.join(ArticleStatus.values)}.", field="status")
    now = timezone.now()
    updates: dict[str, Any] = {"status": status, "updated_at": now}
    changed = Article.objects.filter(pk=article.pk).exclude(status=status).update(**updates)
    if changed and status == ArticleStatus.PUBLISHED:
        Article.objects.filter(pk=article.pk, published_at__isnull=True).update(published_at=now)
    if changed:
        article.status, article.updated_at = status, now
        if status == ArticleStatus.PUBLISHED and article.published_at is None:
            article.published_at = now
    return bool(changed)


@transaction.atomic
def article_link_ticket(*, article: Article, ticket, actor: User | None = None) -> TicketArticleLink:
    """Link an article to a ticket (idempotent: linking twice keeps one link)."""
    tenant = get_current_tenant()
    if article.tenant_id != tenant.pk or ticket.tenant_id != tenant.pk:
        raise DomainError("Unknown article or ticket.", field="article")
    if article.status != ArticleStatus.PUBLISHED:
        raise DomainError("Only published articles can be linked to tickets.", field="article")
    link, _ = TicketArticleLink.objects.get_or_create(
        ticket=ticket, article=article, defaults={"tenant": tenant, "linked_by": actor}
    )
    return link


@transaction.atomic
def article_unlink_ticket(*, article: Article, ticket) -> bool:
    deleted, _ = TicketArticleLink.objects.filter(ticket=ticket, article=article).delete()
    return bool(deleted)
