"""accounts.access: accounts, contacts and tasks (CTAs) of the tenant only; capabilities on write."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.db import transaction

from accounts.access import access_account, access_account_360, access_contact, access_task
from base.errors import NotFound
from tenancy.models import Membership, Role
from tenancy.principal import Principal
from tests.factories import AccountFactory, ContactFactory, TaskFactory

pytestmark = pytest.mark.django_db


def principal(user, tenant) -> Principal:
    return Principal(tenant=tenant, membership=Membership.all_tenants.get(user=user, tenant=tenant))


def test_own_objects_are_returned_with_the_360_counts(in_tenant, alice):
    account = AccountFactory(tenant=in_tenant)
    contact = ContactFactory(tenant=in_tenant, account=account)
    task = TaskFactory(tenant=in_tenant, account=account)
    me = principal(alice, in_tenant)
    shown = access_account_360(account.pk, principal=me)
    assert shown == account and shown.contact_count == 1 and shown.open_task_count == 1
    assert access_contact(contact.pk, principal=me, account=account) == contact
    assert access_task(task.pk, principal=me) == task


def test_another_tenants_objects_are_not_found(in_tenant, other_tenant, alice):
    theirs = AccountFactory(tenant=other_tenant)
    contact = ContactFactory(tenant=other_tenant, account=theirs)
    task = TaskFactory(tenant=other_tenant, account=theirs)
    me = principal(alice, in_tenant)
    for fetch in (
        lambda: access_account(theirs.pk, principal=me), lambda: access_account_360(theirs.pk, principal=me),
        lambda: access_contact(contact.pk, principal=me), lambda: access_task(task.pk, principal=me),
    ):
        with pytest.raises(NotFound):
            fetch()


def test_a_contact_of_another_account_is_not_found(in_tenant, alice):
    contact = ContactFactory(tenant=in_tenant, account=AccountFactory(tenant=in_tenant))
    with pytest.raises(NotFound):
        access_contact(contact.pk, principal=principal(alice, in_tenant), account=AccountFactory(tenant=in_tenant))


def test_writing_checks_the_capability(in_tenant, member):
    account = AccountFactory(tenant=in_tenant)
    task = TaskFactory(tenant=in_tenant, account=account)
    engineer = principal(member(Role.SUPPORT_ENGINEER), in_tenant)  # engages, does not edit accounts
    with transaction.atomic():
        assert access_task(task.pk, principal=engineer, for_write=True) == task
        with pytest.raises(PermissionDenied):
            access_account(account.pk, principal=engineer, for_write=True)
    viewer = principal(member(Role.VIEWER), in_tenant)
    with transaction.atomic(), pytest.raises(PermissionDenied):
        access_task(task.pk, principal=viewer, for_write=True)
