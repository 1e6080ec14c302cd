import pytest

from knowledge.models import Article, ArticleStatus
from tenancy.models import Role
from tests.factories.knowledge import ArticleFactory, CategoryFactory, TicketArticleLinkFactory

URL = "/api/v1/kb/articles/"


@pytest.fixture
def published(article):
    return article


@pytest.fixture
def draft(category):
    return ArticleFactory(category=category, title="Connector draft", body="connector wip", status=ArticleStatus.DRAFT)


def test_list_hides_drafts(api, api_readonly, published, draft):
    for client in (api, api_readonly):
        body = client.get(URL).json()
        assert [a["title"] for a in body["results"]] == ["Ingestion stuck"]
        assert [a["title"] for a in client.get(URL, {"q": "connector"}).json()["results"]] == ["Ingestion stuck"]
    assert api_readonly.get(URL, {"status": "all"}).json()["count"] == 1  # readers can't opt in


def test_writers_may_ask_for_drafts(api, published, draft):
    assert [a["title"] for a in api.get(URL, {"status": "draft"}).json()["results"]] == ["Connector draft"]
    assert api.get(URL, {"status": "all"}).json()["count"] == 2
    assert api.get(URL, {"status": "bogus"}).status_code == 400
    assert api.get(f"{URL}{draft.pk}/").status_code == 200


def test_draft_is_404_for_readers(api_readonly, draft):
    assert api_readonly.get(f"{URL}{draft.pk}/").status_code == 404


def test_get_shape(api, published, tenant, make_ticket):
    TicketArticleLinkFactory(article=published, ticket=make_ticket(tenant))
    body = api.get(f"{URL}{published.pk}/").json()
    assert body["category"] == "troubleshooting" and body["category_name"] == "Troubleshooting"
    assert body["body_html"] == "<p>Re-authorize the <strong>connector</strong>.</p>"
    assert body["linked_ticket_count"] == 1 and body["status"] == "published"
    assert "rank" not in body


def test_search_is_ranked(api, category, published):
    ArticleFactory(category=category, title="Connector setup", body="Authorize the connector.")
    results = api.get(URL, {"q": "connector"}).json()["results"]
    assert [r["title"] for r in results] == ["Connector setup", "Ingestion stuck"]
    assert results[0]["rank"] > results[1]["rank"]
    assert api.get(URL, {"q": "connector", "category": "nope"}).json()["count"] == 0


def test_create_patch_and_sanitised_html(api, category):
    r = api.post(URL, {"category": "troubleshooting", "title": "XSS", "body": "<script>alert(1)</script>hi"})
    assert r.status_code == 201, r.content
    created = r.json()
    assert created["status"] == "draft" and created["author"] is None
    assert "<script" not in created["body_html"]
    r = api.patch(f"{URL}{created['id']}/", {"status": "published", "title": "Safe"})
    assert r.status_code == 200 and r.json()["published_at"] is not None
    assert Article.all_tenants.get(pk=created["id"]).title == "Safe"


def test_session_member_is_author(client, member, category):
    engineer = member(Role.SUPPORT_ENGINEER)
    client.force_login(engineer)
    r = client.post(URL, {"category": "troubleshooting", "title": "Mine"}, content_type="application/json")
    assert r.status_code == 201, r.content
    assert r.json()["author"] == engineer.email


def test_bad_input_is_400_and_writes_nothing(api, category, other_tenant):
    CategoryFactory(tenant=other_tenant, slug="theirs")
    for payload, field in [
        ({"category": "troubleshooting", "title": ""}, "title"),
        ({"category": "theirs", "title": "x"}, "category"),
        ({"category": "troubleshooting", "title": "x", "status": "archived"}, "status"),
        ({"title": "x"}, "category"),
    ]:
        r = api.post(URL, payload)
        assert r.status_code == 400 and field in r.json(), (payload, r.content)
    assert Article.all_tenants.count() == 0


def test_permissions(api_readonly, client, member, published):
    assert api_readonly.post(URL, {"category": "troubleshooting", "title": "x"}).status_code == 403
    assert api_readonly.patch(f"{URL}{published.pk}/", {"title": "x"}).status_code == 403
    client.force_login(member(Role.CSM))  # CSMs read but don't write the KB
    assert client.get(URL).status_code == 200
    r = client.patch(f"{URL}{published.pk}/", {"title": "x"}, content_type="application/json")
    assert r.status_code == 403
    assert client.delete(f"{URL}{published.pk}/").status_code in (403, 405)
    assert Article.all_tenants.get(pk=published.pk).title == "Ingestion stuck"


def test_other_tenant_is_404(other_api, published):
    assert other_api.get(f"{URL}{published.pk}/").status_code == 404
    assert other_api.patch(f"{URL}{published.pk}/", {"title": "x"}).status_code == 404
    assert other_api.get(URL).json()["results"] == []
    assert other_api.get(URL, {"q": "connector"}).json()["results"] == []
    assert other_api.get("/api/v1/kb/categories/troubleshooting/").status_code == 404


def test_categories_endpoint(api, published, draft):
    body = api.get("/api/v1/kb/categories/").json()
    assert [(c["slug"], c["published_count"]) for c in body["results"]] == [("troubleshooting", 1)]


@pytest.mark.parametrize("rows", [1, 40])
def test_query_count_is_constant(api, category, tenant, make_ticket, rows, django_assert_max_num_queries):
    for i in range(rows):
        article = ArticleFactory(category=category, title=f"Connector {i}", author=None)
        TicketArticleLinkFactory(article=article, ticket=make_ticket(tenant))
    with django_assert_max_num_queries(4):
        assert api.get(URL, {"page_size": 100}).status_code == 200
    with django_assert_max_num_queries(4):
        assert api.get(URL, {"q": "connector", "page_size": 100}).status_code == 200


def test_schema_describes_kb(api):
    schema = api.get("/api/v1/schema/?format=json").json()
    assert "/api/v1/kb/articles/" in schema["paths"] and "/api/v1/kb/articles/{id}/" in schema["paths"]
