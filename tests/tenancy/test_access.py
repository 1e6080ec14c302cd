"""tenancy.access.access_object: the base of every app's access_* helper."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.db import transaction

from accounts.models import Account
from base.errors import NotFound
from tenancy.access import access_object
from tenancy.context import tenant_context
from tenancy.models import Membership, Role
from tenancy.permissions import ACCOUNTS_WRITE
from tenancy.principal import Principal
from tests.factories import AccountFactory


def principal_for(user, tenant):
    return Principal(tenant=tenant, membership=Membership.all_tenants.get(user=user, tenant=tenant))


@pytest.mark.django_db
def test_own_object_is_returned(tenant, alice):
    account = AccountFactory(tenant=tenant)
    with tenant_context(tenant):
        assert access_object(Account, account.pk, principal=principal_for(alice, tenant)) == account


@pytest.mark.django_db
@pytest.mark.parametrize("pk", [10**12, "abc", None, "1;drop"])
def test_missing_or_malformed_id_is_not_found(tenant, alice, pk):
    with tenant_context(tenant), pytest.raises(NotFound):
        access_object(Account, pk, principal=principal_for(alice, tenant))


@pytest.mark.django_db
def test_another_tenants_object_is_not_found_even_for_write(tenant, other_tenant, alice):
    theirs = AccountFactory(tenant=other_tenant)
    with tenant_context(tenant), transaction.atomic(), pytest.raises(NotFound):
        access_object(Account, theirs.pk, principal=principal_for(alice, tenant), capability=ACCOUNTS_WRITE,
                      for_write=True)


@pytest.mark.django_db
def test_write_without_the_capability_is_forbidden(tenant, member):
    viewer = member(Role.VIEWER)
    account = AccountFactory(tenant=tenant)
    with tenant_context(tenant), transaction.atomic(), pytest.raises(PermissionDenied):
        access_object(Account, account.pk, principal=principal_for(viewer, tenant), capability=ACCOUNTS_WRITE,
                      for_write=True)
    with tenant_context(tenant):  # reading is everyone's
        assert access_object(Account, account.pk, principal=principal_for(viewer, tenant)) == account


@pytest.mark.django_db(transaction=True)
def test_write_access_locks_and_needs_a_transaction(tenant, alice):
    account = AccountFactory(tenant=tenant)
    principal = principal_for(alice, tenant)
    with tenant_context(tenant):
        with pytest.raises(transaction.TransactionManagementError):
            access_object(Account, account.pk, principal=principal, capability=ACCOUNTS_WRITE, for_write=True)
        with transaction.atomic():
            assert access_object(Account, account.pk, principal=principal, capability=ACCOUNTS_WRITE,
                                 for_write=True) == account


@pytest.mark.django_db
def test_no_principal_is_not_found(tenant):
    account = AccountFactory(tenant=tenant)
    with tenant_context(tenant), pytest.raises(NotFound):
        access_object(Account, account.pk, principal=None)


def test_not_found_is_an_http404():
    from django.http import Http404

    assert issubclass(NotFound, Http404)
