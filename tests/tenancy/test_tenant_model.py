import pytest

from accounts.models import Account
from tenancy.context import TenantNotSet, tenant_context
from tests.factories import AccountFactory


@pytest.mark.django_db
def test_query_without_tenant_fails_closed(tenant):
    AccountFactory(tenant=tenant)
    with pytest.raises(TenantNotSet):
        list(Account.objects.all())
    with pytest.raises(TenantNotSet):
        Account.objects.count()


@pytest.mark.django_db
def test_queryset_built_without_tenant_is_scoped_when_it_runs(tenant, other_tenant):
    """Libraries build querysets at import time; the tenant is read when the query runs."""
    mine = AccountFactory(tenant=tenant)
    AccountFactory(tenant=other_tenant)
    qs = Account.objects.all()
    with tenant_context(tenant):
        assert list(qs.all()) == [mine]


@pytest.mark.django_db
def test_all_tenants_is_the_explicit_escape_hatch(tenant, other_tenant):
    AccountFactory(tenant=tenant)
    AccountFactory(tenant=other_tenant)
    assert Account.all_tenants.count() == 2


@pytest.mark.django_db
def test_saving_another_tenants_object_in_context_is_refused(tenant, other_tenant):
    theirs = AccountFactory(tenant=other_tenant)
    from django.core.exceptions import ValidationError

    with tenant_context(tenant), pytest.raises(ValidationError):
        theirs.name = "hijacked"
        theirs.save()
