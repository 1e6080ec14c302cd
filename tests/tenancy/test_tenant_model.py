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


def _tenant_models():
    from django.apps import apps

    from tenancy.models import TenantModel

    return [m for m in apps.get_models() if issubclass(m, TenantModel)]


@pytest.mark.django_db
@pytest.mark.parametrize("model", _tenant_models(), ids=lambda m: m._meta.label)
def test_every_tenant_model_fails_closed(model):
    """Every tenant-owned model's default manager refuses to run without a tenant."""
    assert model._default_manager.__class__.__name__ == "TenantManager"
    with pytest.raises(TenantNotSet):
        list(model.objects.all()[:1])


@pytest.mark.django_db
def test_related_managers_are_scoped_too(tenant, other_tenant):
    from tests.factories import ContactFactory

    account = AccountFactory(tenant=tenant)
    ContactFactory(account=account)
    with pytest.raises(TenantNotSet):
        list(account.contacts.all())
    with tenant_context(tenant):
        assert account.contacts.count() == 1
    with tenant_context(other_tenant):
        assert account.contacts.count() == 0  # another tenant's context sees nothing of acme's


@pytest.mark.django_db
def test_creating_without_a_tenant_is_refused():
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        Account(name="orphan").save()


@pytest.mark.django_db
def test_requests_leave_no_tenant_behind(alice_client):
    from tenancy.context import current_tenant_or_none

    assert alice_client.get("/accounts/").status_code == 200
    assert current_tenant_or_none() is None
