import pytest

from base.errors import DomainError
from knowledge import services
from knowledge.defaults import DEFAULT_CATEGORIES
from knowledge.models import Article, ArticleStatus, Category, TicketArticleLink
from tests.factories.knowledge import ArticleFactory, CategoryFactory


def test_default_categories_are_created_once(in_tenant):
    first = services.categories_ensure_defaults()
    again = services.categories_ensure_defaults()
    assert [c.name for c in first] == [c["name"] for c in DEFAULT_CATEGORIES]
    assert [c.pk for c in again] == [c.pk for c in first]
    assert [c.name for c in first][:2] == ["Getting Started", "Features & Functionality"]


def test_category_create_validates(in_tenant):
    services.category_create(name="Release Notes")
    with pytest.raises(DomainError):
        services.category_create(name="release notes")
    with pytest.raises(DomainError):
        services.category_create(name="   ")
    assert Category.objects.count() == 1


def test_article_create_update_publish(in_tenant, alice):
    category = CategoryFactory(tenant=in_tenant)
    article = services.article_create(category=category, title="  How to  ", body="a\r\nb", actor=alice)
    assert (article.title, article.body, article.status, article.published_at) == ("How to", "a\nb", "draft", None)
    created_updated = article.updated_at

    services.article_update(article=article, title="How to", body="a\nb")  # nothing changed
    assert Article.objects.get(pk=article.pk).updated_at == created_updated

    assert services.article_set_status(article=article, status=ArticleStatus.PUBLISHED) is True
    assert services.article_set_status(article=article, status=ArticleStatus.PUBLISHED) is False  # CAS
    stored = Article.objects.get(pk=article.pk)
    assert stored.status == "published" and stored.published_at is not None
    first_published = stored.published_at
    services.article_set_status(article=stored, status=ArticleStatus.DRAFT)
    services.article_set_status(article=stored, status=ArticleStatus.PUBLISHED)
    assert Article.objects.get(pk=article.pk).published_at == first_published


@pytest.mark.parametrize(
    "data, field",
    [({"title": ""}, "title"), ({"title": "x" * 201}, "title"), ({"status": "archived"}, "status"),
     ({"author": None}, "author")],
)
def test_article_update_rejects_bad_input(in_tenant, data, field):
    article = ArticleFactory(category=CategoryFactory(tenant=in_tenant), title="Keep me")
    with pytest.raises(DomainError) as err:
        services.article_update(article=article, **data)
    assert err.value.field == field
    assert Article.objects.get(pk=article.pk).title == "Keep me"


def test_article_cannot_use_another_tenants_category(in_tenant, other_tenant):
    with pytest.raises(DomainError):
        services.article_create(category=CategoryFactory(tenant=other_tenant), title="x")
    assert Article.all_tenants.count() == 0


def test_link_ticket_is_idempotent_and_published_only(in_tenant, alice, make_ticket):
    ticket = make_ticket(in_tenant)
    article = ArticleFactory(category=CategoryFactory(tenant=in_tenant))
    services.article_link_ticket(article=article, ticket=ticket, actor=alice)
    services.article_link_ticket(article=article, ticket=ticket, actor=alice)
    assert TicketArticleLink.objects.count() == 1
    draft = ArticleFactory(category=article.category, status=ArticleStatus.DRAFT)
    with pytest.raises(DomainError):
        services.article_link_ticket(article=draft, ticket=ticket)
    assert services.article_unlink_ticket(article=article, ticket=ticket) is True
    assert TicketArticleLink.objects.count() == 0


def test_link_refuses_another_tenants_ticket(in_tenant, other_tenant, make_ticket):
    article = ArticleFactory(category=CategoryFactory(tenant=in_tenant))
    with pytest.raises(DomainError):
        services.article_link_ticket(article=article, ticket=make_ticket(other_tenant))
    assert TicketArticleLink.all_tenants.count() == 0


