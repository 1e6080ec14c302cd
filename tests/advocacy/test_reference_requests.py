"""Reference requests (API.md "Surveys and advocacy"): the API's fields, the contact of the account, status
moves, the completion's timeline entry, and the yearly cap on reference calls at its 365-day boundary."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from accounts.models import Activity
from advocacy import reference_selectors, reference_services
from advocacy.models import ReferenceRequest
from base.errors import DomainError
from tests.factories import AccountFactory, ContactFactory
from tests.factories.references import ReferenceRequestFactory
from tests.route_objects import fingerprint as _fingerprint

pytestmark = pytest.mark.django_db

T = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
YEAR = timedelta(days=365)
TICK = timedelta(microseconds=1)


@pytest.fixture
def account(tenant):
    return AccountFactory(tenant=tenant, name="Referable")


@pytest.fixture
def contact(account):
    return ContactFactory(account=account, name="Casey Champion")


def fingerprint(tenant):
    """The tenant's rows but its API keys (their last use is stamped on every request)."""
    return {table: digest for table, digest in _fingerprint(tenant).items() if table != "tenancy_apikey"}


def body(account, contact, **extra):
    return {"account": account.pk, "contact": contact.pk, "kind": "reference_call", **extra}


def calls(account, contact, *moments, status="requested"):
    for moment in moments:
        ReferenceRequestFactory(account=account, contact=contact, requested_at=moment, status=status)


def test_create_returns_the_api_fields(api, account, contact):
    response = api.post("/api/v1/references/", body(account, contact, requested_at=T.isoformat(), notes="Fintech"),
                        format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert {"account", "contact", "kind", "status", "requested_at"} <= set(data)
    assert (data["account"], data["contact"], data["kind"], data["status"]) == (
        account.pk, contact.pk, "reference_call", "requested")
    assert data["notes"] == "Fintech" and data["completed_at"] is None


@pytest.mark.parametrize("kind", ["case_study", "testimonial", "reference_call", "webinar", "review"])
def test_every_api_kind_is_accepted(api, account, contact, kind):
    assert api.post("/api/v1/references/", body(account, contact, kind=kind), format="json").status_code == 201


def test_a_contact_of_another_account_is_400_naming_contact_and_writes_nothing(api, tenant, account):
    stranger = ContactFactory(account=AccountFactory(tenant=tenant))
    before = fingerprint(tenant)
    response = api.post("/api/v1/references/", body(account, stranger), format="json")
    assert response.status_code == 400 and "contact" in response.json()
    assert fingerprint(tenant) == before


@pytest.mark.parametrize("bad", [{"kind": "podcast"}, {"status": "maybe"}, {"contact": None}, {"account": 0},
                                 {"requested_at": "2999-01-01T00:00:00Z"},
                                 {"status": "completed", "requested_at": "2026-01-02T00:00:00Z",
                                  "completed_at": "2026-01-01T00:00:00Z"},
                                 {"status": "agreed", "completed_at": "2026-01-01T00:00:00Z"}])
def test_bad_input_is_400_naming_the_field_and_writes_nothing(api, tenant, account, contact, bad):
    before = fingerprint(tenant)
    response = api.post("/api/v1/references/", {**body(account, contact), **bad}, format="json")
    assert response.status_code == 400
    assert set(response.json()) <= set(bad) and response.json()
    assert fingerprint(tenant) == before


# --- the yearly cap ---------------------------------------------------------------------------------


def test_the_fourth_call_in_a_year_is_400_naming_account(api, tenant, account, contact):
    calls(account, contact, T - timedelta(days=300), T - timedelta(days=100), T - timedelta(days=1))
    before = fingerprint(tenant)
    response = api.post("/api/v1/references/", body(account, contact, requested_at=T.isoformat()), format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["account"]
    assert "cap is 3" in response.json()["account"][0]
    assert fingerprint(tenant) == before


def test_a_call_exactly_365_days_before_counts(api, account, contact):
    calls(account, contact, T - YEAR, T - timedelta(days=10), T - timedelta(days=5))
    response = api.post("/api/v1/references/", body(account, contact, requested_at=T.isoformat()), format="json")
    assert response.status_code == 400 and "account" in response.json()


def test_a_call_a_microsecond_more_than_365_days_before_does_not_count(api, account, contact):
    calls(account, contact, T - YEAR - TICK, T - timedelta(days=10), T - timedelta(days=5))
    response = api.post("/api/v1/references/", body(account, contact, requested_at=T.isoformat()), format="json")
    assert response.status_code == 201, response.json()


def test_a_call_at_the_same_instant_counts_and_later_calls_do_not(api, account, contact):
    calls(account, contact, T, T - timedelta(days=10), T - timedelta(days=5))
    assert api.post("/api/v1/references/", body(account, contact, requested_at=T.isoformat()),
                    format="json").status_code == 400
    # Back-dated to T - 6 days: the calls at T - 5 days and T are after it, outside its window.
    earlier = (T - timedelta(days=6)).isoformat()
    assert api.post("/api/v1/references/", body(account, contact, requested_at=earlier), format="json").status_code == 201


def test_declined_calls_do_not_count(api, account, contact):
    calls(account, contact, T - timedelta(days=30), T - timedelta(days=20), T - timedelta(days=10), status="declined")
    calls(account, contact, T - timedelta(days=5), T - timedelta(days=4))
    assert api.post("/api/v1/references/", body(account, contact, requested_at=T.isoformat()),
                    format="json").status_code == 201
    assert api.post("/api/v1/references/", body(account, contact, requested_at=T.isoformat()),
                    format="json").status_code == 400


def test_completed_and_agreed_calls_count(api, account, contact):
    calls(account, contact, T - timedelta(days=30), status="completed")
    calls(account, contact, T - timedelta(days=20), status="agreed")
    calls(account, contact, T - timedelta(days=10))
    assert api.post("/api/v1/references/", body(account, contact, requested_at=T.isoformat()),
                    format="json").status_code == 400


def test_other_kinds_and_other_accounts_are_not_capped(api, tenant, account, contact):
    calls(account, contact, T - timedelta(days=3), T - timedelta(days=2), T - timedelta(days=1))
    for kind in ("case_study", "testimonial", "webinar", "review"):
        assert api.post("/api/v1/references/", body(account, contact, kind=kind, requested_at=T.isoformat()),
                        format="json").status_code == 201
    other = AccountFactory(tenant=tenant)
    assert api.post("/api/v1/references/", body(other, ContactFactory(account=other), requested_at=T.isoformat()),
                    format="json").status_code == 201


def test_a_declined_call_may_be_recorded_over_the_cap(api, account, contact):
    calls(account, contact, T - timedelta(days=3), T - timedelta(days=2), T - timedelta(days=1))
    response = api.post("/api/v1/references/", body(account, contact, status="declined", requested_at=T.isoformat()),
                        format="json")
    assert response.status_code == 201


def test_the_cap_is_the_tenants_setting(api, account, contact):
    assert api.patch("/api/v1/reference-settings/", {"yearly_call_cap": 1}, format="json").status_code == 200
    calls(account, contact, T - timedelta(days=1))
    assert api.post("/api/v1/references/", body(account, contact, requested_at=T.isoformat()),
                    format="json").status_code == 400
    assert api.patch("/api/v1/reference-settings/", {"yearly_call_cap": 2}, format="json").status_code == 200
    assert api.post("/api/v1/references/", body(account, contact, requested_at=T.isoformat()),
                    format="json").status_code == 201


def test_capacity_is_shown_before_asking(api, in_tenant, account, contact, other_tenant):
    calls(account, contact, T - YEAR, T - timedelta(days=10))
    calls(account, contact, T - timedelta(days=9), status="declined")
    response = api.get(f"/api/v1/references/capacity/?account={account.pk}&at={T.isoformat().replace('+', '%2B')}")
    assert response.status_code == 200
    assert {k: response.json()[k] for k in ("cap", "used", "remaining")} == {"cap": 3, "used": 2, "remaining": 1}
    later = (T + TICK).isoformat().replace("+", "%2B")
    assert api.get(f"/api/v1/references/capacity/?account={account.pk}&at={later}").json()["used"] == 1
    assert reference_selectors.call_capacity([account.pk], at=T)[account.pk]["remaining"] == 1
    foreign = AccountFactory(tenant=other_tenant)
    assert api.get(f"/api/v1/references/capacity/?account={foreign.pk}").status_code == 404
    assert api.get("/api/v1/references/capacity/").status_code == 400


def test_capacity_for_many_accounts_is_one_query(in_tenant, account, contact, django_assert_num_queries):
    others = [AccountFactory(tenant=in_tenant) for _ in range(5)]
    calls(account, contact, T - timedelta(days=1), T - timedelta(days=2))
    ids = [account.pk] + [a.pk for a in others]
    with django_assert_num_queries(1):
        capacity = reference_selectors.call_capacity(ids, at=T, cap=3)
    assert capacity[account.pk] == {"cap": 3, "used": 2, "remaining": 1}
    assert capacity[others[0].pk]["remaining"] == 3


# --- status moves -----------------------------------------------------------------------------------


def make(api, account, contact, **extra):
    response = api.post("/api/v1/references/", body(account, contact, kind="case_study", **extra), format="json")
    assert response.status_code == 201, response.json()
    return response.json()["id"]


def test_completing_an_agreed_request_records_the_timeline(api, in_tenant, account, contact):
    pk = make(api, account, contact)
    assert api.patch(f"/api/v1/references/{pk}/", {"status": "agreed"}, format="json").status_code == 200
    response = api.patch(f"/api/v1/references/{pk}/", {"status": "completed", "outcome": "Published on the blog"},
                         format="json")
    assert response.status_code == 200
    assert response.json()["completed_at"] is not None
    entry = Activity.objects.get(ref_type="reference_request", ref_id=pk)
    assert entry.account_id == account.pk and entry.subject == "Case study completed"
    assert "Published on the blog" in entry.body and "Casey Champion" in entry.body


@pytest.mark.parametrize(("path", "refused"), [
    (["requested"], "completed"),
    (["agreed", "completed"], "agreed"),
    (["declined"], "agreed"),
    (["agreed", "declined"], "requested"),
])
def test_refused_moves_are_409_and_change_nothing(api, tenant, account, contact, path, refused):
    pk = make(api, account, contact)
    for status in path[1:] if path[0] == "requested" else path:
        assert api.patch(f"/api/v1/references/{pk}/", {"status": status}, format="json").status_code == 200
    before = fingerprint(tenant)
    response = api.patch(f"/api/v1/references/{pk}/", {"status": refused}, format="json")
    assert response.status_code == 409 and "status" in response.json()
    assert fingerprint(tenant) == before


@pytest.mark.parametrize("field", ["kind", "requested_at", "account"])
def test_fixed_fields_cannot_change(api, tenant, account, contact, field):
    pk = make(api, account, contact)
    value = {"kind": "webinar", "requested_at": (T - YEAR).isoformat(), "account": AccountFactory(tenant=tenant).pk}
    response = api.patch(f"/api/v1/references/{pk}/", {field: value[field]}, format="json")
    assert response.status_code == 400 and field in response.json()


def test_delete_withdraws_but_a_completed_request_stays(api, in_tenant, account, contact):
    pk = make(api, account, contact)
    assert api.delete(f"/api/v1/references/{pk}/").status_code == 204
    done = make(api, account, contact, status="completed")
    assert api.delete(f"/api/v1/references/{done}/").status_code == 409
    assert ReferenceRequest.objects.filter(pk=done).exists()


def test_filters(api, account, contact):
    make(api, account, contact)
    api.post("/api/v1/references/", body(account, contact), format="json")
    rows = api.get(f"/api/v1/references/?account={account.pk}&kind=reference_call").json()["results"]
    assert [r["kind"] for r in rows] == ["reference_call"]


def test_read_only_key_and_viewer_cannot_write(api_readonly, account, contact, client, member):
    assert api_readonly.post("/api/v1/references/", body(account, contact), format="json").status_code == 403
    from tenancy.models import Role
    client.force_login(member(Role.VIEWER))
    assert client.post("/api/v1/references/", body(account, contact), content_type="application/json").status_code == 403


def test_service_refuses_the_cap_naming_account(in_tenant, account, contact):
    calls(account, contact, T - timedelta(days=3), T - timedelta(days=2), T - timedelta(days=1))
    with pytest.raises(DomainError) as error:
        reference_services.reference_request_create(account=account, contact=contact, kind="reference_call",
                                                    requested_at=T)
    assert error.value.field == "account"
