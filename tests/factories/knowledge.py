import factory
from django.utils.text import slugify

from knowledge.models import Article, ArticleStatus, Category, TicketArticleLink
from tests.factories.accounts import TenantOwnedFactory
from tests.factories.tenancy import TenantFactory

__all__ = ["CategoryFactory", "ArticleFactory", "TicketArticleLinkFactory"]


class CategoryFactory(TenantOwnedFactory):
    class Meta:
        model = Category

    tenant = factory.SubFactory(TenantFactory)
    name = factory.Sequence(lambda n: f"Category {n}")
    slug = factory.LazyAttribute(lambda o: slugify(o.name))
    position = factory.Sequence(lambda n: n)


class ArticleFactory(TenantOwnedFactory):
    class Meta:
        model = Article

    category = factory.SubFactory(CategoryFactory)
    tenant = factory.LazyAttribute(lambda o: o.category.tenant)
    title = factory.Sequence(lambda n: f"Article {n}")
    body = "Some **helpful** text."
    status = ArticleStatus.PUBLISHED


class TicketArticleLinkFactory(TenantOwnedFactory):
    class Meta:
        model = TicketArticleLink

    article = factory.SubFactory(ArticleFactory)
    tenant = factory.LazyAttribute(lambda o: o.article.tenant)
    ticket = None  # pass a ticket of the same tenant
