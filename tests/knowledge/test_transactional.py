"""Knowledge base writes as production runs them: autocommit, real commits.

One file of the transactional test layer (described in tests/transactional_support.py): categories,
articles (create, edit, publish), ticket links and saved queue views, through the services and
through the pages and API that call them.
"""

import pytest
from django.db.models import QuerySet
from django.urls import reverse

from knowledge import services
from knowledge.models import Article, ArticleStatus, Category, TicketArticleLink
from tenancy.models import Role
from tests.transactional_support import Boom, autocommit, committed  # noqa: F401 (fixture)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("autocommit")]


@pytest.fixture
def engineer(member):
    return member(Role.SUPPORT_ENGINEER)


def article_row(article) -> dict:
    return Article.all_tenants.values("title", "status", "published_at").get(pk=article.pk)


def test_categories_commit(in_tenant):
    category = services.category_create(name="Release Notes")
    assert committed(lambda: Category.all_tenants.get(pk=category.pk).slug) == "release-notes"
    services.categories_ensure_defaults()
    assert committed(lambda: Category.all_tenants.count()) > 1


def test_articles_commit(in_tenant, category, engineer):
    article = services.article_create(category=category, title="Reset SSO", body="Steps", actor=engineer)
    assert committed(lambda: article_row(article)) == {"title": "Reset SSO", "status": "draft", "published_at": None}
    services.article_update(article=article, actor=engineer, title="Reset SAML SSO")
    assert services.article_set_status(article=article, status=ArticleStatus.PUBLISHED, actor=engineer) is True
    row = committed(lambda: article_row(article))
    assert (row["title"], row["status"], row["published_at"] is not None) == ("Reset SAML SSO", "published", True)


def test_publishing_failing_midway_changes_nothing(in_tenant, category, engineer, monkeypatch):
    """Publishing writes the status, then the first publication time: both or neither."""
    article = services.article_create(category=category, title="Reset SSO", actor=engineer)
    real_update, calls = QuerySet.update, []

    def second_update_fails(self, **kwargs):
        calls.append(kwargs)
        if len(calls) == 2:
            raise Boom("the publication time could not be written")
        return real_update(self, **kwargs)

    monkeypatch.setattr(QuerySet, "update", second_update_fails)
    with pytest.raises(Boom):
        services.article_set_status(article=article, status=ArticleStatus.PUBLISHED, actor=engineer)
    monkeypatch.undo()
    assert committed(lambda: article_row(article)["status"]) == ArticleStatus.DRAFT


def test_ticket_links_commit(in_tenant, article, make_ticket, tenant, engineer):
    ticket = make_ticket(tenant)
    services.article_link_ticket(article=article, ticket=ticket, actor=engineer)
    services.article_link_ticket(article=article, ticket=ticket, actor=engineer)
    assert committed(lambda: TicketArticleLink.all_tenants.filter(ticket_id=ticket.pk).count()) == 1
    assert services.article_unlink_ticket(article=article, ticket=ticket) is True
    assert committed(lambda: TicketArticleLink.all_tenants.count()) == 0


def test_pages_commit(client, engineer, alice, category, make_ticket, tenant):
    client.force_login(engineer)
    r = client.post(reverse("knowledge:article_create"),
                    {"category": category.pk, "title": "New one", "body": "Text", "status": "draft"})
    assert r.status_code == 302
    article = committed(lambda: Article.all_tenants.get(title="New one"))
    r = client.post(reverse("knowledge:article_edit", args=[article.pk]),
                    {"category": category.pk, "title": "Renamed", "body": "Text 2", "status": "draft"})
    assert r.status_code == 302
    r = client.post(reverse("knowledge:article_status", args=[article.pk]), {"status": "published"})
    assert r.status_code in (200, 302)
    assert committed(lambda: article_row(article)["status"]) == "published"
    ticket = make_ticket(tenant)
    r = client.post(reverse("knowledge:ticket_link", args=[ticket.pk]), {"article": article.pk})
    assert r.status_code in (200, 302)
    assert committed(lambda: TicketArticleLink.all_tenants.filter(ticket_id=ticket.pk).count()) == 1
    r = client.post(reverse("knowledge:ticket_unlink", args=[ticket.pk, article.pk]))
    assert r.status_code in (200, 302)
    assert committed(lambda: TicketArticleLink.all_tenants.count()) == 0
    client.force_login(alice)
    assert client.post(reverse("knowledge:category_create"), {"name": "Release Notes"}).status_code == 302
    assert client.post(reverse("knowledge:categories_defaults")).status_code == 302
    assert committed(lambda: Category.all_tenants.filter(name="Release Notes").exists())


def test_api_commits(api, category):
    r = api.post("/api/v1/kb/articles/", {"category": "troubleshooting", "title": "Via API", "body": "x"},
                 format="json")
    assert r.status_code == 201, r.content
    created = r.json()["id"]
    r = api.patch(f"/api/v1/kb/articles/{created}/", {"status": "published", "title": "Via API 2"}, format="json")
    assert r.status_code == 200, r.content
    row = committed(lambda: Article.all_tenants.values("title", "status").get(pk=created))
    assert row == {"title": "Via API 2", "status": "published"}
