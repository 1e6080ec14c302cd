"""knowledge.access: a draft is visible only to writers; another tenant's article or category is not found."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.db import transaction

from base.errors import NotFound
from knowledge.access import access_article, access_category
from tenancy.models import Membership, Role
from tenancy.principal import Principal
from tests.factories.knowledge import ArticleFactory, CategoryFactory

pytestmark = pytest.mark.django_db


def principal(user, tenant) -> Principal:
    return Principal(tenant=tenant, membership=Membership.all_tenants.get(user=user, tenant=tenant))


def test_drafts_are_for_writers_only(in_tenant, member, category):
    draft = ArticleFactory(category=category, status="draft")
    writer = principal(member(Role.SUPPORT_ENGINEER), in_tenant)
    viewer = principal(member(Role.VIEWER), in_tenant)
    assert access_article(draft.pk, principal=writer) == draft
    with pytest.raises(NotFound):
        access_article(draft.pk, principal=viewer)


def test_write_locks_for_writers_and_refuses_readers(in_tenant, member, article):
    with transaction.atomic():
        assert access_article(article.pk, principal=principal(member(Role.SUPPORT_MANAGER), in_tenant),
                              for_write=True) == article
    with transaction.atomic(), pytest.raises(PermissionDenied):
        access_article(article.pk, principal=principal(member(Role.VIEWER), in_tenant), for_write=True)


def test_another_tenants_article_and_category_are_not_found(in_tenant, other_tenant, alice):
    theirs = CategoryFactory(tenant=other_tenant, name="Theirs", slug="theirs")
    their_article = ArticleFactory(category=theirs)
    me = principal(alice, in_tenant)
    with pytest.raises(NotFound):
        access_article(their_article.pk, principal=me)
    with pytest.raises(NotFound):
        access_category("theirs", principal=me)
