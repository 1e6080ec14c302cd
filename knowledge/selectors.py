"""Reads behind the knowledge-base pages, the API and the ticket page: filtered, annotated, no N+1.

Full-text search uses the stored ``Article.search_vector`` (title weight A, body weight B, GIN index)
with ``websearch_to_tsquery`` and ``ts_rank`` ordering.
"""

from __future__ import annotations

import re

from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank
from django.db.models import Count, F, Q, QuerySet
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from base.limits import CONTROL_CHARACTERS
from knowledge.models import SEARCH_CONFIG, Article, ArticleStatus, Category, TicketArticleLink
from knowledge.rendering import keywords

# ts_rank with the title (weight A) counting far more than the body (D, C, B, A order), divided by
# 1 + log(document length) so long articles don't win on repetition alone.
RANK_WEIGHTS = [0.05, 0.1, 0.2, 1.0]
RANK_NORMALIZATION = 1
# Suggestions below this rank share only incidental words with the ticket: not shown.
SUGGEST_MIN_RANK = 0.01

# Markers PostgreSQL puts around matched words in headlines; swapped for <mark> after escaping.
_HL_START, _HL_STOP = "\x02", "\x03"
# Markdown syntax that reads as noise in a plain-text snippet: emphasis, code, heading and table marks,
# a link's "](url)" part and its opening bracket.
_MARKDOWN_NOISE = re.compile(r"\]\([^)]*\)|[*`#|\[\]]+")


def categories_with_counts() -> QuerySet[Category]:
    """Every category with ``published_count`` and ``draft_count`` (one query)."""
    return Category.objects.annotate(
        published_count=Count("articles", filter=Q(articles__status=ArticleStatus.PUBLISHED)),
        draft_count=Count("articles", filter=Q(articles__status=ArticleStatus.DRAFT)),
    ).order_by("position", "name")


def category_by_slug(*, slug: str) -> Category | None:
    """One category of the tenant by slug, or None (another tenant's slug is none)."""
    return Category.objects.filter(slug=slug).first()


def categories() -> QuerySet[Category]:
    return Category.objects.all()


def article_none() -> QuerySet[Article]:
    return Article.objects.none()


def categories_exist() -> bool:
    return Category.objects.exists()


def _visible(qs: QuerySet[Article], include_drafts: bool) -> QuerySet[Article]:
    return qs if include_drafts else qs.filter(status=ArticleStatus.PUBLISHED)


def article_list(
    *, category: Category | None = None, include_drafts: bool = False, status: str = ""
) -> QuerySet[Article]:
    """Articles (published only unless ``include_drafts``), with category, author and ticket-link counts."""
    qs = _visible(Article.objects.all(), include_drafts)
    if status:
        qs = qs.filter(status=status)
    if category is not None:
        qs = qs.filter(category=category)
    return with_link_counts(qs.select_related("category", "author")).order_by("title", "pk")


def recent_articles(*, include_drafts: bool = False, limit: int = 8) -> QuerySet[Article]:
    qs = _visible(Article.objects.select_related("category", "author"), include_drafts)
    return qs.order_by("-updated_at", "-pk")[:limit]


def article_queryset(*, include_drafts: bool = False, link_counts: bool = True) -> QuerySet[Article]:
    """Articles as a page or the API shows one: with category and author (and linked-ticket count);
    drafts only when ``include_drafts``. Fetch one through ``knowledge.access.access_article``."""
    qs = _visible(Article.objects.select_related("category", "author"), include_drafts)
    return with_link_counts(qs) if link_counts else qs


def article_ticket_links(*, article: Article, limit: int) -> list[TicketArticleLink]:
    """The newest links of an article to tickets, with the ticket."""
    return list(
        TicketArticleLink.objects.filter(article=article).select_related("ticket").order_by("-created_at", "-id")[:limit]
    )


def article_search(
    *, q: str, include_drafts: bool = False, category: Category | None = None, headline: bool = True
) -> QuerySet[Article]:
    """Articles matching a web-search style query (``"exact phrase" -word or other``), best first.

    Each row carries ``rank`` and, with ``headline``, ``snippet_raw`` (use :func:`snippet_html`).
    An empty or stop-word-only query matches nothing. Control characters (a NUL cannot even reach
    PostgreSQL) separate words like spaces.
    """
    query = SearchQuery(CONTROL_CHARACTERS.sub(" ", q), search_type="websearch", config=SEARCH_CONFIG)
    qs = _visible(Article.objects.select_related("category", "author"), include_drafts).filter(search_vector=query)
    if category is not None:
        qs = qs.filter(category=category)
    qs = qs.annotate(rank=_rank(query))
    if headline:
        qs = qs.annotate(
            snippet_raw=SearchHeadline(
                "body", query, config=SEARCH_CONFIG, start_sel=_HL_START, stop_sel=_HL_STOP,
                max_words=30, min_words=12, max_fragments=2, fragment_delimiter=" … ",
            )
        )
    return qs.order_by("-rank", "-updated_at", "pk")


def snippet_html(raw: str) -> SafeString:
    """A search headline without markdown syntax, HTML-escaped, with the matched words in ``<mark>``."""
    text = " ".join(_MARKDOWN_NOISE.sub(" ", raw or "").split())
    return mark_safe(escape(text).replace(_HL_START, "<mark>").replace(_HL_STOP, "</mark>"))  # noqa: S308


def _rank(query: SearchQuery) -> SearchRank:
    return SearchRank(F("search_vector"), query, weights=RANK_WEIGHTS, normalization=RANK_NORMALIZATION)


def suggested_articles(text: str, limit: int = 3, min_rank: float = SUGGEST_MIN_RANK) -> list[Article]:
    """Published articles that best match free text (a ticket's subject and description), best first.

    Any of the text's words may match (an OR query over its first words); matches ranked below
    ``min_rank`` are left out. One query.
    """
    words = keywords(text)
    if not words:
        return []
    query = SearchQuery(" or ".join(words), search_type="websearch", config=SEARCH_CONFIG)
    return list(
        Article.objects.filter(status=ArticleStatus.PUBLISHED, search_vector=query)
        .select_related("category")
        .annotate(rank=_rank(query))
        .filter(rank__gte=min_rank)
        .order_by("-rank", "-updated_at", "pk")[:limit]
    )


def with_link_counts(qs: QuerySet[Article]) -> QuerySet[Article]:
    """Annotate ``linked_ticket_count``: how many tickets link the article."""
    return qs.annotate(linked_ticket_count=Count("ticket_links", distinct=True))


SUGGESTED_FOR_TICKET = 3


def ticket_links(ticket) -> list[TicketArticleLink]:
    """The articles linked to a ticket, in the order they were linked (one query)."""
    return list(
        TicketArticleLink.objects.filter(ticket=ticket).select_related("article__category").order_by("created_at", "id")
    )


def ticket_kb_panel(ticket, *, text: str, limit: int = SUGGESTED_FOR_TICKET) -> dict:
    """What a ticket page's knowledge-base panel shows: ``links`` (linked articles) and ``suggested`` (the best
    matches of ``text`` not linked yet). Two queries."""
    links = ticket_links(ticket)
    linked_ids = {link.article_id for link in links}
    suggested = [a for a in suggested_articles(text, limit=limit + len(linked_ids)) if a.pk not in linked_ids][:limit]
    return {"links": links, "suggested": suggested}


def linked_article_ids(ticket) -> set[int]:
    return set(TicketArticleLink.objects.filter(ticket=ticket).values_list("article_id", flat=True))
