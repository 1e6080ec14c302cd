"""The one way knowledge pages fetch an article or a category of the tenant.

A draft is visible only to principals that may write the knowledge base (``kb.write``); for everyone
else it does not exist, like another tenant's article: one not-found error (404 on pages and in the API).
Writing (``for_write=True``) checks ``kb.write`` (403) and locks the row: call it inside
``transaction.atomic()``, together with the write.
"""

from __future__ import annotations

from base.errors import NotFound
from knowledge import selectors
from knowledge.models import Article, Category
from tenancy.access import access_object
from tenancy.permissions import KB_WRITE
from tenancy.principal import Principal


def may_see_drafts(principal: Principal | None) -> bool:
    return principal is not None and principal.can(KB_WRITE)


def access_article(pk, *, principal: Principal | None, for_write: bool = False) -> Article:
    """One article (with its linked-ticket count when read); a hidden draft is not found."""
    drafts = may_see_drafts(principal)
    if for_write:  # FOR UPDATE cannot lock a grouped (annotated) row: lock the plain one
        queryset = selectors.article_queryset(include_drafts=drafts, link_counts=False)
    else:
        queryset = selectors.article_queryset(include_drafts=drafts)
    return access_object(queryset, pk, principal=principal, capability=KB_WRITE, for_write=for_write)


def access_category(slug: str, *, principal: Principal | None) -> Category:
    """One category by its slug (categories are named by slug in URLs)."""
    category = selectors.category_by_slug(slug=slug) if principal is not None else None
    if category is None:
        raise NotFound("No such category")
    return category
