import pytest

from knowledge import selectors
from knowledge.models import ArticleStatus
from tests.factories.knowledge import ArticleFactory, CategoryFactory


@pytest.fixture
def kb(tenant, in_tenant):
    troubleshooting = CategoryFactory(tenant=tenant, name="Troubleshooting", slug="troubleshooting")
    guides = CategoryFactory(tenant=tenant, name="Integration Guides", slug="integration-guides")
    articles = {
        "webhooks": ArticleFactory(category=guides, title="Configuring webhooks",
                                   body="Add an HTTPS endpoint and verify the signature header."),
        "sso": ArticleFactory(category=troubleshooting, title="SSO login errors",
                              body="An assertion invalid error means the certificate changed."),
        "ingest": ArticleFactory(category=troubleshooting, title="Ingestion stuck or failing",
                                 body="Expired credentials stop the connector. Webhooks report sync failures."),
        "draft": ArticleFactory(category=guides, title="Webhook retries (draft)", body="Retry policy for webhooks.",
                                status=ArticleStatus.DRAFT),
    }
    return articles


def titles(qs):
    return [a.title for a in qs]


def test_search_ranks_title_matches_first(kb):
    found = titles(selectors.article_search(q="webhooks"))
    assert found == ["Configuring webhooks", "Ingestion stuck or failing"]  # title (A) beats body (B)


def test_search_stems_and_uses_websearch_syntax(kb):
    assert titles(selectors.article_search(q="failed ingesting")) == ["Ingestion stuck or failing"]
    assert titles(selectors.article_search(q='"signature header"')) == ["Configuring webhooks"]
    assert titles(selectors.article_search(q="webhooks -credentials")) == ["Configuring webhooks"]
    assert set(titles(selectors.article_search(q="certificate or connector"))) == {
        "SSO login errors", "Ingestion stuck or failing",
    }
    assert titles(selectors.article_search(q="the and of")) == []  # stop words only
    assert titles(selectors.article_search(q='"unbalanced (quote')) == []  # never a syntax error


def test_search_hides_drafts_unless_asked(kb):
    assert "Webhook retries (draft)" not in titles(selectors.article_search(q="retry"))
    assert titles(selectors.article_search(q="retry", include_drafts=True)) == ["Webhook retries (draft)"]


def test_search_snippet_marks_matches_and_escapes(kb, tenant):
    ArticleFactory(category=kb["sso"].category, title="Escaping", body="Beware <script>x</script> tokens here")
    row = selectors.article_search(q="tokens").get()
    html = selectors.snippet_html(row.snippet_raw)
    assert "<mark>tokens</mark>" in html and "<script>" not in html


def test_search_vector_follows_updates(kb):
    article = kb["sso"]
    from knowledge import services

    services.article_update(article=article, body="Now about kerberos only.")
    assert titles(selectors.article_search(q="kerberos")) == ["SSO login errors"]
    assert titles(selectors.article_search(q="certificate")) == []


def test_suggested_articles_match_any_ticket_word(kb, django_assert_num_queries):
    with django_assert_num_queries(1):
        found = selectors.suggested_articles("Customer cannot log in: SSO assertion invalid since Monday", limit=3)
    assert [a.title for a in found][0] == "SSO login errors"
    assert all(a.status == ArticleStatus.PUBLISHED for a in found)
    assert selectors.suggested_articles("", limit=3) == []
    assert selectors.suggested_articles("zzz qqq", limit=3) == []
    assert len(selectors.suggested_articles("webhooks certificate connector", limit=2)) == 2


def test_categories_with_counts(kb):
    counts = {c.slug: (c.published_count, c.draft_count) for c in selectors.categories_with_counts()}
    assert counts == {"troubleshooting": (2, 0), "integration-guides": (1, 1)}


def test_other_tenants_articles_are_invisible(kb, other_tenant):
    theirs = ArticleFactory(category=CategoryFactory(tenant=other_tenant), title="Configuring webhooks elsewhere")
    assert theirs.pk not in [a.pk for a in selectors.article_search(q="webhooks")]
    assert theirs.pk not in [a.pk for a in selectors.suggested_articles("webhooks")]


def test_snippet_drops_markdown_syntax():
    raw = "## Steps - the **\x02certificate\x03** [guide](https://x.example) `code` <b>"
    assert selectors.snippet_html(raw) == "Steps - the <mark>certificate</mark> guide code &lt;b&gt;"
