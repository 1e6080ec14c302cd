"""/api/v1/contacts/: create, read, update, delete; tenant isolation; auth; bad input writes nothing."""

import pytest

from accounts.models import Contact
from tests.factories import AccountFactory, ContactFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/contacts/"


def test_create_read_update_delete(api, tenant):
    account = AccountFactory(tenant=tenant)
    response = api.post(
        URL,
        {"account": account.pk, "name": "Ann", "email": "Ann@Cust.example", "role": "executive", "is_champion": True},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["email"] == "ann@cust.example" and body["account"] == account.pk and body["left_company"] is False
    contact_url = f"{URL}{body['id']}/"
    assert api.get(contact_url).json()["name"] == "Ann"
    assert api.get(URL, {"account": account.pk}).json()["count"] == 1
    assert api.get(URL, {"email": "ANN@cust.example"}).json()["count"] == 1
    response = api.patch(contact_url, {"left_company": True}, format="json")
    assert response.status_code == 200 and response.json()["left_company_at"]
    assert api.delete(contact_url).status_code == 204
    assert not Contact.all_tenants.exists()


def test_another_tenants_contacts_and_accounts_are_404(api, other_tenant, tenant):
    theirs = ContactFactory(account=AccountFactory(tenant=other_tenant))
    assert api.get(f"{URL}{theirs.pk}/").status_code == 404
    assert api.patch(f"{URL}{theirs.pk}/", {"name": "x"}, format="json").status_code == 404
    assert api.delete(f"{URL}{theirs.pk}/").status_code == 404
    assert api.get(URL).json()["results"] == []
    # Naming another tenant's account is "does not exist", and writes nothing.
    response = api.post(URL, {"account": theirs.account_id, "name": "Spy"}, format="json")
    assert response.status_code == 400 and "account" in response.json()
    mine = ContactFactory(account=AccountFactory(tenant=tenant))
    response = api.patch(f"{URL}{mine.pk}/", {"account": theirs.account_id}, format="json")
    assert response.status_code == 400
    assert Contact.all_tenants.count() == 2 and Contact.all_tenants.get(pk=mine.pk).account.tenant == tenant


def test_bad_input_is_400_and_writes_nothing(api, tenant):
    account = AccountFactory(tenant=tenant)
    ContactFactory(account=account, email="taken@cust.example")
    for payload, field in (
        ({"account": account.pk, "name": "", "email": "x@y.example"}, "name"),
        ({"account": account.pk, "name": "A", "email": "not-an-email"}, "email"),
        ({"account": account.pk, "name": "A", "role": "boss"}, "role"),
        ({"account": account.pk, "name": "A", "email": "TAKEN@cust.example"}, "email"),
        ({"name": "A"}, "account"),
    ):
        response = api.post(URL, payload, format="json")
        assert response.status_code == 400 and field in response.json(), (payload, response.content)
    assert Contact.all_tenants.count() == 1


def test_auth_rules(client, api_readonly, other_api, tenant):
    account = AccountFactory(tenant=tenant)
    assert client.get(URL).status_code == 401
    assert client.get(URL, HTTP_AUTHORIZATION="Bearer nope").status_code == 401
    assert api_readonly.get(URL).status_code == 200
    assert api_readonly.post(URL, {"account": account.pk, "name": "A"}, format="json").status_code == 403
    assert other_api.post(URL, {"account": account.pk, "name": "A"}, format="json").status_code == 400
    assert not Contact.all_tenants.exists()


@pytest.mark.parametrize("n", [5, 50])
def test_list_queries_do_not_grow(api, tenant, n, django_assert_max_num_queries):
    account = AccountFactory(tenant=tenant)
    ContactFactory.create_batch(n, account=account)
    with django_assert_max_num_queries(5):
        response = api.get(URL, {"page_size": 100})
    assert response.json()["count"] == n


@pytest.mark.django_db
def test_a_unique_clash_that_slips_past_the_check_is_a_clear_error_not_a_500(in_tenant):
    """Two writers can both pass the "email free?" check; the database constraint decides, and the loser
    gets the same DomainError (API 400) instead of an IntegrityError."""
    from accounts.models import Contact
    from accounts.services import _save_unique
    from base.errors import DomainError
    from tests.factories import AccountFactory, ContactFactory

    account = AccountFactory(tenant=in_tenant)
    ContactFactory(account=account, email="pat@initech.example")
    racer = Contact(tenant=in_tenant, account=account, name="Pat again", email="PAT@initech.example")
    with pytest.raises(DomainError) as caught:
        _save_unique(racer, field="email", message="Another contact already has the email pat@initech.example.")
    assert caught.value.field == "email"
    assert Contact.objects.count() == 1
