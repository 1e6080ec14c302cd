"""The Django admin is for platform staff: every registered model's list and detail pages render."""

import pytest
from django.contrib import admin
from django.urls import reverse

from tests.factories import AccountFactory, ContactFactory, UserFactory


@pytest.mark.django_db
def test_every_admin_changelist_renders_across_tenants(client, tenant, other_tenant):
    ContactFactory(account=AccountFactory(tenant=tenant))
    AccountFactory(tenant=other_tenant)
    staff = UserFactory(email="staff@platform.example", is_staff=True, is_superuser=True)
    client.force_login(staff)
    for model in admin.site._registry:
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        assert client.get(url).status_code == 200, url
    response = client.get(reverse("admin:accounts_account_changelist"))
    assert response.context["cl"].result_count == 2  # both tenants' accounts: staff cross tenants on purpose
