import pytest
from django.urls import reverse

from knowledge.models import Article, ArticleStatus, Category
from tenancy.models import Role
from tests.factories.knowledge import ArticleFactory, TicketArticleLinkFactory

XSS_BODY = "Hello <script>alert('pwned')</script> [x](javascript:alert(1)) <img src=x onerror=alert(2)>"


@pytest.fixture
def draft(category):
    return ArticleFactory(category=category, title="Secret draft", body="wip", status=ArticleStatus.DRAFT)


@pytest.fixture
def viewer_client(client, member):
    client.force_login(member(Role.VIEWER))
    return client


@pytest.fixture
def engineer_client(client, member):
    client.force_login(member(Role.SUPPORT_ENGINEER))
    return client


def test_home_lists_categories_with_counts_and_recent(alice_client, article, draft):
    r = alice_client.get(reverse("knowledge:home"))
    assert r.status_code == 200
    html = r.content.decode()
    assert "Troubleshooting" in html and "Ingestion stuck" in html
    assert "1 draft" in html  # writers see drafts


def test_home_hides_drafts_from_non_writers(viewer_client, article, draft):
    html = viewer_client.get(reverse("knowledge:home")).content.decode()
    assert "Secret draft" not in html and "1 draft" not in html
    assert "New article" not in html
    html = viewer_client.get(reverse("knowledge:home"), {"q": "draft wip"}).content.decode()
    assert "Secret draft" not in html


def test_home_search_and_htmx_partial(alice_client, article, category):
    ArticleFactory(category=category, title="Webhooks", body="Signatures")
    r = alice_client.get(reverse("knowledge:home"), {"q": "connector"})
    assert "1 result for" in r.content.decode() and "<mark>connector</mark>" in r.content.decode()
    r = alice_client.get(reverse("knowledge:home"), {"q": "connector"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="kb-results")
    html = r.content.decode()
    assert "<html" not in html and 'id="kb-results"' in html and "Ingestion stuck" in html


def test_home_without_categories_offers_defaults(alice_client, tenant):
    assert "Create the standard categories" in alice_client.get(reverse("knowledge:home")).content.decode()
    r = alice_client.post(reverse("knowledge:categories_defaults"))
    assert r.status_code == 302
    assert Category.all_tenants.filter(tenant=tenant).count() == 5


def test_category_page(alice_client, member, article, draft, category):
    url = reverse("knowledge:category", args=[category.slug])
    assert "Secret draft" in alice_client.get(url).content.decode()
    assert "Secret draft" not in alice_client.get(url, {"status": "published"}).content.decode()
    assert alice_client.get(reverse("knowledge:category", args=["nope"])).status_code == 404
    alice_client.force_login(member(Role.VIEWER))
    assert "Secret draft" not in alice_client.get(url).content.decode()


def test_article_page_renders_sanitised_markdown(viewer_client, category, tenant, make_ticket):
    article = ArticleFactory(category=category, title="Unsafe", body=XSS_BODY + "\n\n## Heading")
    TicketArticleLinkFactory(article=article, ticket=make_ticket(tenant, subject="Broken sync"))
    html = viewer_client.get(reverse("knowledge:article", args=[article.pk])).content.decode()
    assert "<h2>Heading</h2>" in html
    assert "alert('pwned')" not in html and "javascript:alert" not in html and "onerror" not in html
    assert "Used in 1 ticket" in html and "Broken sync" in html


def test_drafts_are_404_for_non_writers(viewer_client, draft):
    assert viewer_client.get(reverse("knowledge:article", args=[draft.pk])).status_code == 404


def test_writers_see_drafts_and_publish(engineer_client, draft):
    assert engineer_client.get(reverse("knowledge:article", args=[draft.pk])).status_code == 200
    r = engineer_client.post(reverse("knowledge:article_status", args=[draft.pk]), {"status": "published"})
    assert r.status_code == 302
    assert Article.all_tenants.get(pk=draft.pk).status == "published"
    r = engineer_client.post(reverse("knowledge:article_status", args=[draft.pk]), {"status": "bogus"})
    assert r.status_code == 400


def test_create_and_edit(engineer_client, category):
    r = engineer_client.get(reverse("knowledge:article_create") + "?category=troubleshooting")
    assert r.status_code == 200
    r = engineer_client.post(
        reverse("knowledge:article_create"),
        {"category": category.pk, "title": "New one", "body": "Text", "status": "draft"},
    )
    article = Article.all_tenants.get(title="New one")
    assert r.status_code == 302 and r["Location"] == reverse("knowledge:article", args=[article.pk])
    r = engineer_client.post(
        reverse("knowledge:article_edit", args=[article.pk]),
        {"category": category.pk, "title": "Renamed", "body": "Text 2", "status": "published"},
    )
    assert r.status_code == 302
    article.refresh_from_db()
    assert (article.title, article.body, article.status) == ("Renamed", "Text 2", "published")


def test_bad_form_input_rerenders_and_writes_nothing(engineer_client, article, category):
    r = engineer_client.post(
        reverse("knowledge:article_edit", args=[article.pk]),
        {"category": category.pk, "title": "", "body": "x", "status": "published"},
    )
    assert r.status_code == 200 and "required" in r.content.decode()
    assert Article.all_tenants.get(pk=article.pk).title == "Ingestion stuck"
    r = engineer_client.post(reverse("knowledge:article_create"), {"category": 999999, "title": "x", "status": "draft"})
    assert r.status_code == 200
    assert not Article.all_tenants.filter(title="x").exists()


def test_non_writers_cannot_write(viewer_client, article, category):
    assert viewer_client.get(reverse("knowledge:article_create")).status_code == 403
    assert viewer_client.get(reverse("knowledge:article_edit", args=[article.pk])).status_code == 403
    assert viewer_client.post(reverse("knowledge:article_status", args=[article.pk]), {"status": "draft"}).status_code == 403
    assert viewer_client.post(reverse("knowledge:article_preview"), {"body": "x"}).status_code == 403
    assert viewer_client.post(reverse("knowledge:category_create"), {"name": "X"}).status_code == 403
    assert Article.all_tenants.get(pk=article.pk).status == "published"


def test_preview_is_sanitised(engineer_client):
    r = engineer_client.post(reverse("knowledge:article_preview"), {"body": "**b** " + XSS_BODY})
    assert "<strong>b</strong>" in r.content.decode() and "<script" not in r.content.decode()


def test_category_create(alice_client, category):
    alice_client.post(reverse("knowledge:category_create"), {"name": "Release Notes"})
    assert Category.all_tenants.filter(name="Release Notes", slug="release-notes").exists()
    alice_client.post(reverse("knowledge:category_create"), {"name": "troubleshooting"})
    assert Category.all_tenants.filter(name__iexact="troubleshooting").count() == 1


def test_other_tenant_gets_404_everywhere(bob_client, article, category):
    pages = [
        ("get", reverse("knowledge:article", args=[article.pk])),
        ("get", reverse("knowledge:article_edit", args=[article.pk])),
        ("post", reverse("knowledge:article_edit", args=[article.pk])),
        ("post", reverse("knowledge:article_status", args=[article.pk])),
        ("get", reverse("knowledge:category", args=[category.slug])),
    ]
    for method, url in pages:
        assert getattr(bob_client, method)(url).status_code == 404, url
    html = bob_client.get(reverse("knowledge:home"), {"q": "connector"}).content.decode()
    assert "Ingestion stuck" not in html and "0 results" in html


def test_anonymous_is_sent_to_login(client, article):
    r = client.get(reverse("knowledge:article", args=[article.pk]))
    assert r.status_code == 302 and "/login/" in r["Location"]


@pytest.mark.parametrize("rows", [1, 30])
def test_query_counts_are_constant(alice_client, category, tenant, make_ticket, rows, django_assert_max_num_queries):
    for i in range(rows):
        article = ArticleFactory(category=category, title=f"Connector guide {i}", body="connector setup")
        TicketArticleLinkFactory(article=article, ticket=make_ticket(tenant))
    alice_client.get(reverse("knowledge:home"))  # the first request stores the tenant in the session
    with django_assert_max_num_queries(8):
        assert alice_client.get(reverse("knowledge:home")).status_code == 200
    with django_assert_max_num_queries(8):
        assert alice_client.get(reverse("knowledge:home"), {"q": "connector"}).status_code == 200
    with django_assert_max_num_queries(8):
        assert alice_client.get(reverse("knowledge:category", args=[category.slug])).status_code == 200
    with django_assert_max_num_queries(8):
        assert alice_client.get(reverse("knowledge:article", args=[article.pk])).status_code == 200
    with django_assert_max_num_queries(8):
        assert alice_client.get(reverse("knowledge:article_edit", args=[article.pk])).status_code == 200


def test_search_with_a_nul_character_is_not_a_server_error(alice_client, article):
    r = alice_client.get(reverse("knowledge:home") + "?q=%00connector%00")
    assert r.status_code == 200 and "<mark>connector</mark>" in r.content.decode()
