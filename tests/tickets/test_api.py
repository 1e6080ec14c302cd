"""Tickets and SLAs API (API.md): fields, rules, tenancy (404 across tenants, 401/403), bad input
writes nothing, and list endpoints in a constant number of queries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from rest_framework.test import APIClient

from accounts.models import Activity
from tenancy.context import tenant_context
from tenancy.models import Role
from tests.factories.accounts import AccountFactory, ContactFactory
from tests.factories.tickets import TicketFactory
from tests.tickets.conftest import T0
from tickets.models import SlaPolicy, Ticket, TicketChange, TicketComment, TicketNumberSequence

pytestmark = pytest.mark.django_db

API_FIELDS = {
    "id", "number", "account", "contact", "subject", "description", "severity", "status", "channel", "assignee",
    "support_level", "opened_at", "first_response_at", "resolved_at", "response_due_at", "resolution_due_at",
    "response_breached", "resolution_breached", "sla_state",
}


@pytest.fixture
def ticket(account, contact):
    return TicketFactory(account=account, contact=contact, severity=2)


@pytest.fixture
def foreign_ticket(other_tenant):
    return TicketFactory(account=AccountFactory(tenant=other_tenant))


def test_create_and_read(api, clock, account, contact, member):
    member(Role.SUPPORT_ENGINEER, email="eng@acme.example")
    response = api.post("/api/v1/tickets/", {
        "account": account.pk, "contact": contact.pk, "subject": "Search is down", "severity": 1,
        "channel": "email", "assignee": "ENG@acme.example", "tags": ["outage"],
    }, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert API_FIELDS <= set(body)
    assert (body["number"], body["status"], body["assignee"], body["sla_state"]) == (1, "open", "eng@acme.example", "on_track")
    assert body["response_due_at"] == "2026-03-02T10:00:00Z"
    assert body["opened_at"] == "2026-03-02T09:00:00Z"
    got = api.get(f"/api/v1/tickets/{body['id']}/").json()
    assert got["subject"] == "Search is down" and got["support_level"] == 1
    change = TicketChange.all_tenants.get(ticket_id=body["id"], action="created")
    assert change.actor_label == "API key: test key"


def test_import_with_opened_at(api, clock, account):
    response = api.post("/api/v1/tickets/", {"account": account.pk, "subject": "Old", "severity": 1,
                                             "opened_at": "2026-03-02T07:00:00Z"}, format="json")
    assert response.status_code == 201
    assert response.json()["sla_state"] == "breached"
    assert response.json()["response_breached"] is True


@pytest.mark.parametrize("payload", [
    {"subject": "x"},  # no account
    {"subject": "", "severity": 1},
    {"subject": "x", "severity": 5},
    {"subject": "x", "channel": "pigeon"},
    {"subject": "x", "assignee": "nobody@nowhere.example"},
    {"subject": "x", "support_level": 4},
    {"subject": "x", "status": "resolved"},
    {"subject": "x", "opened_at": "2030-01-01T00:00:00Z"},
])
def test_bad_create_is_400_and_writes_nothing(api, clock, account, payload):
    data = {"account": account.pk, **payload} if "account" not in payload and payload != {"subject": "x"} else payload
    response = api.post("/api/v1/tickets/", data, format="json")
    assert response.status_code == 400, response.json()
    assert isinstance(response.json(), dict) and all(isinstance(v, list) for v in response.json().values())
    with tenant_context(account.tenant):
        assert not Ticket.objects.exists()
        assert not TicketNumberSequence.objects.exists()
        assert not Activity.objects.filter(source="tickets").exists()


@pytest.mark.parametrize("opened_at", ["1899-12-31T23:59:59Z", "0001-01-01T00:00:00Z", "1900-01-01T00:00:00+01:00"])
def test_opened_at_before_1900_is_400(api, clock, account, opened_at):
    response = api.post("/api/v1/tickets/", {"account": account.pk, "subject": "Old", "opened_at": opened_at},
                        format="json")
    assert response.status_code == 400
    assert response.json() == {"opened_at": ["Give a time on or after 1900-01-01T00:00:00Z."]}
    with tenant_context(account.tenant):
        assert not Ticket.objects.exists()


def test_foreign_account_contact_and_assignee_are_400(api, account, other_tenant, bob):
    foreign_account = AccountFactory(tenant=other_tenant)
    foreign_contact = ContactFactory(account=foreign_account)
    for payload, field in [
        ({"account": foreign_account.pk}, "account"),
        ({"account": account.pk, "contact": foreign_contact.pk}, "contact"),
        ({"account": account.pk, "assignee": bob.email}, "assignee"),
    ]:
        response = api.post("/api/v1/tickets/", {"subject": "x", **payload}, format="json")
        assert response.status_code == 400
        assert field in response.json()
    assert not Ticket.all_tenants.exists()


def test_auth_401_and_readonly_403(api_readonly, ticket, account):
    assert APIClient().get("/api/v1/tickets/").status_code == 401
    bad = APIClient()
    bad.credentials(HTTP_AUTHORIZATION="Bearer csp_nope_nope")
    assert bad.get("/api/v1/tickets/").status_code == 401
    assert api_readonly.get("/api/v1/tickets/").status_code == 200
    writes = [
        ("post", "/api/v1/tickets/", {"account": account.pk, "subject": "x"}),
        ("patch", f"/api/v1/tickets/{ticket.pk}/", {"severity": 1}),
        ("post", f"/api/v1/tickets/{ticket.pk}/comments/", {"body": "hi"}),
        ("post", f"/api/v1/tickets/{ticket.pk}/transition/", {"status": "open"}),
        ("put", "/api/v1/sla-policies/", []),
        ("put", "/api/v1/business-hours/", {}),
        ("post", "/api/v1/inbound-email/", {}),
    ]
    for method, url, payload in writes:
        assert getattr(api_readonly, method)(url, payload, format="json").status_code == 403, url


def test_role_without_configure_capability_gets_403(client, member, ticket):
    engineer = member(Role.SUPPORT_ENGINEER)
    client.force_login(engineer)
    body = [{"severity": 1, "segment": None, "response_minutes": 5, "resolution_minutes": 10, "clock": "24x7"}]
    assert client.put("/api/v1/sla-policies/", body, content_type="application/json").status_code == 403
    response = client.post(f"/api/v1/tickets/{ticket.pk}/comments/", {"body": "On it"}, content_type="application/json")
    assert response.status_code == 201
    assert response.json()["author"] == engineer.email


def test_another_tenants_ticket_is_404(api, foreign_ticket):
    base = f"/api/v1/tickets/{foreign_ticket.pk}/"
    assert api.get(base).status_code == 404
    assert api.patch(base, {"severity": 1}, format="json").status_code == 404
    for suffix, method in [("comments/", "get"), ("comments/", "post"), ("transition/", "post"), ("assign/", "post"),
                           ("escalate/", "post"), ("events/", "get"), ("attachments/", "get")]:
        payload = {"body": "x", "status": "open", "assignee": None} if method == "post" else None
        response = getattr(api, method)(base + suffix, payload, format="json")
        assert response.status_code == 404, suffix
    assert api.get("/api/v1/tickets/").json()["results"] == []


def test_patch_severity_status_and_invalid_transition(api, clock, ticket):
    url = f"/api/v1/tickets/{ticket.pk}/"
    response = api.patch(url, {"severity": 1, "status": "open", "tags": ["vip"]}, format="json")
    assert response.status_code == 200, response.json()
    assert (response.json()["severity"], response.json()["status"]) == (1, "open")
    assert response.json()["response_due_at"] == "2026-03-02T10:00:00Z"
    response = api.patch(url, {"status": "new"}, format="json")
    assert response.status_code == 409
    assert "status" in response.json()
    response = api.post(url + "transition/", {"status": "closed"}, format="json")
    assert response.status_code == 409
    assert api.post(url + "transition/", {"status": "resolved"}, format="json").json()["status"] == "resolved"


def test_patch_with_a_bad_field_changes_nothing(api, ticket, other_tenant):
    url = f"/api/v1/tickets/{ticket.pk}/"
    before = TicketChange.all_tenants.count()
    assert api.patch(url, {"subject": "Changed", "status": "closed"}, format="json").status_code == 409
    assert api.patch(url, {"subject": "Changed", "account": AccountFactory(tenant=ticket.tenant).pk},
                     format="json").status_code == 400
    ticket.refresh_from_db()
    assert ticket.subject != "Changed"
    assert TicketChange.all_tenants.count() == before


def test_comments_rules(api, clock, ticket, contact):
    url = f"/api/v1/tickets/{ticket.pk}/comments/"
    customer = api.post(url, {"body": "Any news?", "contact": contact.pk}, format="json")
    assert customer.status_code == 201 and customer.json()["from_customer"] is True
    internal = api.post(url, {"body": "Checking logs", "public": False}, format="json")
    assert internal.status_code == 201 and internal.json()["from_customer"] is False
    assert api.get(f"/api/v1/tickets/{ticket.pk}/").json()["first_response_at"] is None
    clock.shift(timedelta(minutes=5))
    assert api.post(url, {"body": "We're on it"}, format="json").status_code == 201
    assert api.get(f"/api/v1/tickets/{ticket.pk}/").json()["first_response_at"] == "2026-03-02T09:05:00Z"
    assert api.post(url, {"body": ""}, format="json").status_code == 400
    foreign = ContactFactory(account=AccountFactory(tenant=ticket.tenant))
    assert api.post(url, {"body": "x", "contact": foreign.pk}, format="json").status_code == 400
    listing = api.get(url).json()
    assert [c["body"] for c in listing["results"]] == ["Any news?", "Checking logs", "We're on it"]


def test_customer_comment_moves_pending_back_to_open(api, ticket, contact):
    api.post(f"/api/v1/tickets/{ticket.pk}/transition/", {"status": "pending_customer"}, format="json")
    api.post(f"/api/v1/tickets/{ticket.pk}/comments/", {"body": "Done", "contact": contact.pk}, format="json")
    assert api.get(f"/api/v1/tickets/{ticket.pk}/").json()["status"] == "open"


def test_assign_escalate_and_events(api, ticket, member):
    engineer = member(Role.SUPPORT_ENGINEER, email="eng@acme.example")
    url = f"/api/v1/tickets/{ticket.pk}/"
    assert api.post(url + "assign/", {"assignee": "eng@acme.example"}, format="json").json()["assignee"] == engineer.email
    assert api.post(url + "assign/", {"assignee": "who@x.example"}, format="json").status_code == 400
    assert api.post(url + "escalate/", {"reason": "VIP"}, format="json").json()["support_level"] == 2
    events = api.get(url + "events/").json()
    assert {"sla", "change"} == {e["source"] for e in events}
    assert any(e["kind"] == "escalated" and e["note"] == "VIP" for e in events)


def test_attachments_upload(api, ticket, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    url = f"/api/v1/tickets/{ticket.pk}/attachments/"
    response = api.post(url, {"file": SimpleUploadedFile("trace.log", b"stack", "text/plain")}, format="multipart")
    assert response.status_code == 201, response.json()
    assert response.json()["filename"] == "trace.log"
    assert [a["filename"] for a in api.get(url).json()] == ["trace.log"]
    download = response.json()["url"]
    assert download.endswith(f"{url}{response.json()['id']}/download/") and "/media/" not in download
    got = api.get(download)
    assert got.status_code == 200 and b"".join(got.streaming_content) == b"stack"


def test_attachment_download_is_404_across_tenants(api, other_api, ticket, foreign_ticket, settings, tmp_path,
                                                   django_assert_max_num_queries):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    url = f"/api/v1/tickets/{ticket.pk}/attachments/"
    created = api.post(url, {"file": SimpleUploadedFile("a.log", b"a", "text/plain")}, format="multipart").json()
    assert other_api.get(f"{url}{created['id']}/download/").status_code == 404
    assert other_api.get(url).status_code == 404
    # Another ticket's id in the path does not reach this ticket's file.
    assert api.get(f"/api/v1/tickets/{foreign_ticket.pk}/attachments/{created['id']}/download/").status_code == 404
    for name in ("b.log", "c.log", "d.log"):
        api.post(url, {"file": SimpleUploadedFile(name, b"x", "text/plain")}, format="multipart")
    with django_assert_max_num_queries(6):
        assert len(api.get(url).json()) == 4


def test_list_filters(api, clock, account, member):
    engineer = member(Role.SUPPORT_ENGINEER, email="eng@acme.example")
    sev1 = TicketFactory(account=account, severity=1, assignee=engineer, tags=["outage"])
    sev4 = TicketFactory(account=account, severity=4, subject="Question about exports")
    clock.shift(timedelta(minutes=50))

    def numbers(query):
        response = api.get(f"/api/v1/tickets/?{query}")
        assert response.status_code == 200, response.json()
        return [t["number"] for t in response.json()["results"]]

    from tickets import sla_engine

    with tenant_context(account.tenant):
        sla_engine.scan()
    assert numbers("severity=1") == [sev1.number]
    assert numbers("assignee=eng@acme.example") == [sev1.number]
    assert numbers("unassigned=true") == [sev4.number]
    assert numbers("breaching=true") == [sev1.number]
    assert numbers("sla_state=on_track") == [sev4.number]
    assert numbers("status=new,open") == [sev4.number, sev1.number]
    assert numbers("tag=outage") == [sev1.number]
    assert numbers("search=exports") == [sev4.number]
    assert numbers(f"search=%23{sev1.number}") == [sev1.number]
    assert numbers("ordering=next_breach") == [sev1.number, sev4.number]
    assert api.get("/api/v1/tickets/?status=bogus").status_code == 400


def test_list_query_count_does_not_grow(api, account, django_assert_max_num_queries):
    for _ in range(3):
        TicketFactory(account=account)
    with django_assert_max_num_queries(6) as captured:
        assert api.get("/api/v1/tickets/?page_size=100").status_code == 200
    small = len(captured)
    for _ in range(12):
        TicketFactory(account=account, contact=ContactFactory(account=account))
    with django_assert_max_num_queries(small):
        assert len(api.get("/api/v1/tickets/?page_size=100").json()["results"]) == 15
    ticket = Ticket.all_tenants.first()
    for _ in range(5):
        TicketComment.all_tenants.create(tenant=ticket.tenant, ticket=ticket, body="x")
    with django_assert_max_num_queries(8):
        api.get(f"/api/v1/tickets/{ticket.pk}/comments/")
    with django_assert_max_num_queries(6):
        api.get(f"/api/v1/tickets/{ticket.pk}/events/")


def test_reapply_sla_after_a_policy_change(api, other_api, clock, ticket):
    url = f"/api/v1/tickets/{ticket.pk}/"
    assert api.get(url).json()["response_due_at"] == "2026-03-02T13:00:00Z"  # Sev2 default: 240 min
    api.put("/api/v1/sla-policies/", [{"severity": 2, "segment": None, "response_minutes": 120,
                                       "resolution_minutes": 480}], format="json")
    assert api.get(url).json()["response_due_at"] == "2026-03-02T13:00:00Z"  # existing tickets keep theirs
    assert other_api.post(url + "reapply-sla/").status_code == 404
    response = api.post(url + "reapply-sla/")
    assert response.status_code == 200 and response.json()["response_due_at"] == "2026-03-02T11:00:00Z"
    assert TicketChange.all_tenants.filter(ticket=ticket, action="sla_policy").count() == 1
    assert api.post(url + "reapply-sla/").status_code == 200  # nothing differs: nothing more logged
    assert TicketChange.all_tenants.filter(ticket=ticket, action="sla_policy").count() == 1


def test_sla_policies_get_put(api, other_api):
    defaults = api.get("/api/v1/sla-policies/").json()
    assert defaults[0] == {"severity": 1, "segment": None, "response_minutes": 60, "resolution_minutes": 240,
                           "clock": "24x7"}
    assert [p["severity"] for p in defaults] == [1, 2, 3, 4]
    table = [
        {"severity": 1, "segment": None, "response_minutes": 60, "resolution_minutes": 240, "clock": "24x7"},
        {"severity": 1, "segment": "enterprise", "response_minutes": 30, "resolution_minutes": 120,
         "clock": "business_hours"},
    ]
    response = api.put("/api/v1/sla-policies/", table, format="json")
    assert response.status_code == 200, response.json()
    assert response.json() == table
    bad = table + [{"severity": 9, "segment": None, "response_minutes": 1, "resolution_minutes": 1}]
    assert api.put("/api/v1/sla-policies/", bad, format="json").status_code == 400
    assert api.put("/api/v1/sla-policies/", table * 2, format="json").status_code == 400
    assert api.put("/api/v1/sla-policies/", {"severity": 1}, format="json").status_code == 400
    assert api.get("/api/v1/sla-policies/").json() == table
    assert other_api.get("/api/v1/sla-policies/").json() == defaults  # the other tenant is untouched
    assert SlaPolicy.all_tenants.count() == 2


def test_business_hours_get_put(api, tenant):
    default = api.get("/api/v1/business-hours/").json()
    assert default["timezone"] == tenant.timezone and len(default["intervals"]) == 5
    body = {"timezone": "America/Los_Angeles",
            "intervals": [{"weekday": 0, "start": "08:00", "end": "12:00"}, {"weekday": 0, "start": "13:00", "end": "18:00"}],
            "holidays": ["2026-12-25"]}
    response = api.put("/api/v1/business-hours/", body, format="json")
    assert response.status_code == 200, response.json()
    assert response.json() == body
    for bad in [{**body, "timezone": "Nowhere/Land"}, {**body, "intervals": []},
                {**body, "intervals": [{"weekday": 7, "start": "08:00", "end": "09:00"}]},
                {**body, "intervals": [{"weekday": 1, "start": "10:00", "end": "09:00"}]},
                {**body, "holidays": ["christmas"]}]:
        response = api.put("/api/v1/business-hours/", bad, format="json")
        assert response.status_code == 400, bad
    assert api.get("/api/v1/business-hours/").json() == body


def test_support_settings(api):
    assert api.get("/api/v1/support-settings/").json() == {"at_risk_percent": 75, "escalate_after_minutes": 1440}
    response = api.patch("/api/v1/support-settings/", {"at_risk_percent": 80, "escalate_after_minutes": None},
                         format="json")
    assert response.json() == {"at_risk_percent": 80, "escalate_after_minutes": None}
    assert api.patch("/api/v1/support-settings/", {"at_risk_percent": 0}, format="json").status_code == 400


def test_configuration_is_per_tenant_and_reads_are_constant(api, other_api, django_assert_max_num_queries):
    theirs = other_api.get("/api/v1/business-hours/").json()
    their_settings = other_api.get("/api/v1/support-settings/").json()
    hours = {"timezone": "Asia/Tokyo", "intervals": [{"weekday": 5, "start": "10:00", "end": "12:00"}],
             "holidays": ["2026-05-05"]}
    assert api.put("/api/v1/business-hours/", hours, format="json").status_code == 200
    assert api.patch("/api/v1/support-settings/", {"at_risk_percent": 50}, format="json").status_code == 200
    assert other_api.get("/api/v1/business-hours/").json() == theirs
    assert other_api.get("/api/v1/support-settings/").json() == their_settings
    for path in ("business-hours/", "support-settings/", "sla-policies/"):
        with django_assert_max_num_queries(5):
            assert api.get(f"/api/v1/{path}").status_code == 200


def test_schema_describes_the_contract(api):
    schema = api.get("/api/v1/schema/?format=json").json()
    for path in ["/api/v1/tickets/", "/api/v1/tickets/{id}/", "/api/v1/tickets/{id}/comments/",
                 "/api/v1/sla-policies/", "/api/v1/business-hours/", "/api/v1/inbound-email/"]:
        assert path in schema["paths"], path
    assert T0  # the frozen clock constant is shared with the other ticket tests


@pytest.mark.django_db
def test_policy_whose_resolution_is_shorter_than_its_response_is_refused(api):
    before = api.get("/api/v1/sla-policies/").json()
    bad = [{"severity": 1, "segment": None, "response_minutes": 240, "resolution_minutes": 60, "clock": "24x7"}]
    response = api.put("/api/v1/sla-policies/", bad, format="json")
    assert response.status_code == 400
    assert "resolution_minutes" in response.json()
    assert api.get("/api/v1/sla-policies/").json() == before


@pytest.mark.django_db
def test_overlapping_business_hours_are_refused_but_touching_ones_are_fine(api):
    before = api.get("/api/v1/business-hours/").json()
    overlapping = {"timezone": "Europe/Berlin", "holidays": [], "intervals": [
        {"weekday": 0, "start": "08:00", "end": "12:30"}, {"weekday": 0, "start": "12:00", "end": "18:00"}]}
    response = api.put("/api/v1/business-hours/", overlapping, format="json")
    assert response.status_code == 400 and "intervals" in response.json()
    assert api.get("/api/v1/business-hours/").json() == before
    touching = {**overlapping, "intervals": [
        {"weekday": 0, "start": "08:00", "end": "12:00"}, {"weekday": 0, "start": "12:00", "end": "24:00"}]}
    assert api.put("/api/v1/business-hours/", touching, format="json").status_code == 200


def test_severity_change_after_a_breach_answers_the_new_targets(api, clock, account):
    """API.md: changing severity recomputes the targets from opened_at, also once a target has passed."""
    ticket = TicketFactory(account=account, severity=3)
    clock.shift(timedelta(hours=2))
    first = api.patch(f"/api/v1/tickets/{ticket.pk}/", {"severity": 1}, format="json").json()
    assert (first["response_due_at"], first["response_breached"], first["sla_state"]) == (
        "2026-03-02T10:00:00Z", True, "breached")
    body = api.patch(f"/api/v1/tickets/{ticket.pk}/", {"severity": 4}, format="json").json()
    assert body["response_due_at"] == "2026-03-03T09:00:00Z" and body["resolution_due_at"] == "2026-03-07T09:00:00Z"
    assert (body["response_breached"], body["sla_state"]) == (False, "on_track")
    log = api.get(f"/api/v1/tickets/{ticket.pk}/events/").json()
    assert any(e.get("kind") == "breached" for e in log)  # the breach under Sev1 stays as history
