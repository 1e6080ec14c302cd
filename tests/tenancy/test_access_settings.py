"""tenancy.access_settings: members and API keys of the tenant only; tenant.manage to write."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.db import transaction

from base.errors import NotFound
from tenancy.access_settings import access_api_key, access_membership
from tenancy.context import tenant_context
from tenancy.models import Membership, Role
from tenancy.principal import Principal
from tenancy.services import api_key_create

pytestmark = pytest.mark.django_db


def principal(user, tenant) -> Principal:
    return Principal(tenant=tenant, membership=Membership.all_tenants.get(user=user, tenant=tenant))


def test_settings_objects_of_the_tenant_only(tenant, other_tenant, alice, bob):
    theirs, _ = api_key_create(tenant=other_tenant, name="theirs", scopes=["read"])
    mine, _ = api_key_create(tenant=tenant, name="mine", scopes=["read"])
    me = principal(alice, tenant)
    with tenant_context(tenant), transaction.atomic():
        assert access_api_key(mine.pk, principal=me, for_write=True) == mine
    with tenant_context(tenant), pytest.raises(NotFound):
        access_api_key(theirs.pk, principal=me)
    with tenant_context(tenant), pytest.raises(NotFound):
        access_membership(Membership.all_tenants.get(user=bob).pk, principal=me)


def test_only_managers_write(in_tenant, member, alice):
    csm = principal(member(Role.CSM), in_tenant)
    with transaction.atomic(), pytest.raises(PermissionDenied):
        access_membership(Membership.objects.get(user=alice).pk, principal=csm, for_write=True)
