from decimal import Decimal

import factory

from accounts.models import Account, Activity, Contact, Task
from accounts.segments import segment_for
from tenancy.context import tenant_context
from tests.factories.tenancy import TenantFactory

__all__ = ["TenantOwnedFactory", "AccountFactory", "ContactFactory", "ActivityFactory", "TaskFactory"]


class TenantOwnedFactory(factory.django.DjangoModelFactory):
    """Creates through `all_tenants`, so factories work with or without a tenant in context."""

    class Meta:
        abstract = True

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        obj = model_class(*args, **kwargs)
        with tenant_context(obj.tenant):
            obj.save()
        return obj


class AccountFactory(TenantOwnedFactory):
    class Meta:
        model = Account

    tenant = factory.SubFactory(TenantFactory)
    name = factory.Sequence(lambda n: f"Account {n:04d}")
    industry = "Software"
    employee_count = 250
    arr = Decimal("50000.00")
    segment = factory.LazyAttribute(lambda o: segment_for(o.arr, o.tenant.get_segment_thresholds()))


class ContactFactory(TenantOwnedFactory):
    class Meta:
        model = Contact

    account = factory.SubFactory(AccountFactory)
    tenant = factory.LazyAttribute(lambda o: o.account.tenant)
    name = factory.Faker("name")
    email = factory.Sequence(lambda n: f"contact{n}@customer.example")
    role = "business"


class ActivityFactory(TenantOwnedFactory):
    class Meta:
        model = Activity

    account = factory.SubFactory(AccountFactory)
    tenant = factory.LazyAttribute(lambda o: o.account.tenant)
    kind = "note"
    subject = "Check-in"
    body = "Talked about adoption."


class TaskFactory(TenantOwnedFactory):
    class Meta:
        model = Task

    account = factory.SubFactory(AccountFactory)
    tenant = factory.LazyAttribute(lambda o: o.account.tenant)
    title = factory.Sequence(lambda n: f"Task {n}")
