"""Accounts' writes as production runs them: autocommit, real commits, on_commit hooks firing.

This is one file of the transactional test layer (described in tests/transactional_support.py). Every
test runs with ``django_db(transaction=True)``: what a service or page wrote is read back on a second
connection (``committed``), a step forced to fail midway leaves nothing behind, and the health
recompute that an account change asks for runs after the commit.
"""

from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models.signals import post_delete
from django.urls import reverse

from accounts import imports, services
from accounts.models import Account, Activity, Contact, Task, TaskSource, TaskStatus
from health.models import HealthSnapshot
from tests.factories import AccountFactory, ContactFactory, TaskFactory
from tests.transactional_support import Boom, autocommit, boom, committed  # noqa: F401 (fixture)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("autocommit")]


@pytest.fixture
def account(tenant, alice):
    return AccountFactory(tenant=tenant, name="Acme Rockets", arr=Decimal("50000"), csm=alice, external_id="A-1")


def subjects(account) -> list[str]:
    return list(Activity.all_tenants.filter(account_id=account.pk).order_by("pk").values_list("subject", flat=True))


# --- services -----------------------------------------------------------------------------------


def test_account_create_commits_with_its_timeline_row(in_tenant, alice):
    account = services.account_create(actor=alice, name="Newco", arr=Decimal("120000"), external_id="N-1")
    row = committed(lambda: Account.all_tenants.values("name", "segment").get(pk=account.pk))
    assert row == {"name": "Newco", "segment": "enterprise"}
    assert committed(lambda: subjects(account)) == ["Account created"]


def test_account_create_failing_midway_writes_nothing(in_tenant, alice, monkeypatch):
    monkeypatch.setattr(services, "activity_record", boom)
    with pytest.raises(Boom):
        services.account_create(actor=alice, name="Newco", arr=Decimal("1"))
    assert committed(lambda: Account.all_tenants.count()) == 0


def test_account_update_commits_and_the_health_recompute_runs_after_commit(in_tenant, account, alice):
    services.account_update(account=account, actor=alice, payment_overdue=True)
    fresh = committed(lambda: Account.all_tenants.values("payment_overdue", "health_score").get(pk=account.pk))
    assert fresh["payment_overdue"] is True
    assert fresh["health_score"] is not None  # the on_commit hook recomputed the account
    assert committed(lambda: HealthSnapshot.all_tenants.filter(account_id=account.pk).count()) == 1


def test_account_update_failing_midway_changes_nothing_and_asks_no_recompute(in_tenant, account, alice, monkeypatch):
    monkeypatch.setattr(services, "activity_record", boom)
    with pytest.raises(Boom):
        services.account_update(account=account, actor=alice, payment_overdue=True, name="Renamed")
    fresh = committed(lambda: Account.all_tenants.values("payment_overdue", "name").get(pk=account.pk))
    assert fresh == {"payment_overdue": False, "name": "Acme Rockets"}
    assert committed(lambda: HealthSnapshot.all_tenants.count()) == 0


def test_account_delete_is_all_or_nothing(in_tenant, account):
    ContactFactory(account=account)

    def refuse(sender, instance, **kwargs):
        raise Boom("the account's own row fails after its contacts went")

    post_delete.connect(refuse, sender=Account, dispatch_uid="txn-refuse")
    try:
        with pytest.raises(Boom):
            services.account_delete(account=account)
    finally:
        post_delete.disconnect(sender=Account, dispatch_uid="txn-refuse")
    assert committed(lambda: (Account.all_tenants.count(), Contact.all_tenants.count())) == (1, 1)
    services.account_delete(account=Account.all_tenants.get(pk=account.pk))
    assert committed(lambda: (Account.all_tenants.count(), Contact.all_tenants.count())) == (0, 0)


def test_contact_create_update_delete_commit(in_tenant, account, alice):
    contact = services.contact_create(account=account, actor=alice, name="Ann", email="ANN@customer.example",
                                      is_champion=True)
    assert committed(lambda: Contact.all_tenants.get(pk=contact.pk).email) == "ann@customer.example"
    services.contact_update(contact=contact, actor=alice, left_company=True)
    fresh = committed(lambda: Contact.all_tenants.values("left_company", "left_company_at").get(pk=contact.pk))
    assert fresh["left_company"] is True and fresh["left_company_at"] is not None
    assert "Ann left the company (champion)" in committed(lambda: subjects(account))
    services.contact_delete(contact=contact)
    assert committed(lambda: Contact.all_tenants.filter(pk=contact.pk).exists()) is False


def test_contact_update_failing_midway_changes_nothing(in_tenant, account, alice, monkeypatch):
    contact = ContactFactory(account=account, name="Ann", is_champion=True)
    monkeypatch.setattr(services, "_save_contact", boom)  # after the timeline row is written
    with pytest.raises(Boom):
        services.contact_update(contact=contact, actor=alice, left_company=True)
    assert committed(lambda: Contact.all_tenants.get(pk=contact.pk).left_company) is False
    assert committed(lambda: subjects(account)) == []


def test_notes_and_activities_commit_and_a_touch_recomputes_health(in_tenant, account, alice):
    services.activity_record(account=account, kind="call", subject="Renewal call", actor=alice)
    assert committed(lambda: subjects(account)) == ["Renewal call"]
    assert committed(lambda: Account.all_tenants.get(pk=account.pk).health_score) is not None


def test_manual_task_create_and_done_commit(in_tenant, account, alice):
    task = services.task_create(account=account, title="Send QBR deck", owner=alice, actor=alice)
    assert committed(lambda: Task.all_tenants.get(pk=task.pk).title) == "Send QBR deck"
    services.task_set_status(task=task, status=TaskStatus.DONE, actor=alice)
    fresh = committed(lambda: Task.all_tenants.values("status", "completed_at").get(pk=task.pk))
    assert fresh["status"] == TaskStatus.DONE and fresh["completed_at"] is not None
    assert committed(lambda: subjects(account)) == ["Task added: Send QBR deck", "Task done: Send QBR deck"]


def test_task_create_failing_midway_writes_nothing(in_tenant, account, alice, monkeypatch):
    monkeypatch.setattr(services, "activity_record", boom)
    with pytest.raises(Boom):
        services.task_create(account=account, title="Send QBR deck", actor=alice)
    assert committed(lambda: Task.all_tenants.count()) == 0


def test_task_done_failing_midway_leaves_it_open(in_tenant, account, alice, monkeypatch):
    task = TaskFactory(account=account, title="Call back", owner=alice)
    monkeypatch.setattr(services, "activity_record", boom)
    with pytest.raises(Boom):
        services.task_set_status(task=task, status=TaskStatus.DONE, actor=alice)
    assert committed(lambda: Task.all_tenants.get(pk=task.pk).status) == TaskStatus.OPEN


def test_cta_open_once_then_close_by_key(in_tenant, account, alice):
    task, created = services.task_open_once(account=account, dedupe_key="risk:x:1", title="Usage dropped", owner=alice)
    again, created_again = services.task_open_once(account=account, dedupe_key="risk:x:1", title="Usage dropped",
                                                   owner=alice)
    assert (created, created_again, again.pk) == (True, False, task.pk)
    assert committed(lambda: Task.all_tenants.filter(dedupe_key="risk:x:1", status=TaskStatus.OPEN).count()) == 1
    assert committed(lambda: subjects(account)) == ["Alert opened: Usage dropped"]
    assert services.tasks_close_by_key(dedupe_keys=["risk:x:1"]) == 1
    assert committed(lambda: Task.all_tenants.get(pk=task.pk).status) == TaskStatus.DONE


def test_cta_open_once_failing_midway_opens_no_alert(in_tenant, account, alice, monkeypatch):
    """The alert and its timeline row go together: an alert without its "Alert opened" entry (or the
    entry without the alert) is never committed."""
    monkeypatch.setattr(services, "activity_record", boom)
    with pytest.raises(Boom):
        services.task_open_once(account=account, dedupe_key="risk:x:1", title="Usage dropped", owner=alice,
                                source=TaskSource.SYSTEM)
    assert committed(lambda: Task.all_tenants.count()) == 0


# --- CSV import ---------------------------------------------------------------------------------


@pytest.fixture
def media(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


IMPORT = reverse("accounts:import")
CSV = "name,external_id,arr\nRenamed,A-1,500000\nNewco,N-2,9000\nOther,N-3,20\n"


def _preview(client, text: str):
    file = SimpleUploadedFile("book.csv", text.encode(), content_type="text/csv")
    response = client.post(IMPORT, {"step": "preview", "kind": "accounts", "file": file})
    assert response.status_code == 200 and response.context["v"].ok
    return response.context["token"]


def test_csv_import_page_commits_every_row(alice_client, account, media):
    token = _preview(alice_client, CSV)
    assert alice_client.post(IMPORT, {"step": "import", "token": token}).status_code == 302
    names = committed(lambda: sorted(Account.all_tenants.values_list("name", flat=True)))
    assert names == ["Newco", "Other", "Renamed"]
    assert committed(lambda: Activity.all_tenants.filter(ref_type="import").count()) == 3


def test_csv_import_failing_midway_writes_nothing(alice_client, account, media, monkeypatch):
    """All or nothing: the bulk inserts and updates went through, then the timeline write failed."""
    token = _preview(alice_client, CSV)
    monkeypatch.setattr(imports, "activities_record_bulk", boom)
    with pytest.raises(Boom):
        alice_client.post(IMPORT, {"step": "import", "token": token})
    names = committed(lambda: sorted(Account.all_tenants.values_list("name", "arr")))
    assert names == [("Acme Rockets", Decimal("50000.00"))]
    assert committed(lambda: Activity.all_tenants.count()) == 0


def test_contacts_import_failing_midway_writes_nothing(in_tenant, account, monkeypatch):
    from accounts.csv_import import parse_upload

    parsed = parse_upload("contacts", b"account_external_id,name,email\nA-1,Ann,ann@customer.example\n")
    monkeypatch.setattr(imports, "activities_record_bulk", boom)
    with pytest.raises(Boom):
        imports.import_apply(parsed=parsed, actor=None, source_name="c.csv")
    assert committed(lambda: Contact.all_tenants.count()) == 0
    monkeypatch.undo()
    result = imports.import_apply(parsed=parsed, actor=None, source_name="c.csv")
    assert result.created == 1 and committed(lambda: Contact.all_tenants.count()) == 1


# --- pages and API ------------------------------------------------------------------------------


def test_account_pages_commit(alice_client, alice, account):
    response = alice_client.post(reverse("accounts:create"), {
        "name": "Paged", "arr": "1000", "lifecycle_stage": "adoption", "status": "active",
    })
    assert response.status_code == 302
    assert committed(lambda: Account.all_tenants.filter(name="Paged").exists())
    response = alice_client.post(reverse("accounts:edit", args=[account.pk]), {
        "name": "Edited", "arr": "60000", "lifecycle_stage": "adoption", "status": "active", "external_id": "A-1",
    })
    assert response.status_code == 302
    assert committed(lambda: Account.all_tenants.get(pk=account.pk).name) == "Edited"


def test_account_tabs_commit_notes_contacts_tasks_and_status(alice_client, alice, account):
    url = reverse("accounts:timeline", args=[account.pk])
    assert alice_client.post(url, {"kind": "note", "subject": "Met the team", "body": "x"}).status_code == 302
    url = reverse("accounts:contacts", args=[account.pk])
    assert alice_client.post(url, {"name": "Ann", "email": "ann@customer.example", "role": "business"}).status_code == 302
    contact = committed(lambda: Contact.all_tenants.get(email="ann@customer.example"))
    url = reverse("accounts:contact_edit", args=[account.pk, contact.pk])
    assert alice_client.post(url, {"name": "Ann B", "email": "ann@customer.example", "role": "business"}).status_code == 302
    url = reverse("accounts:tasks", args=[account.pk])
    assert alice_client.post(url, {"title": "Plan QBR", "priority": "low"}).status_code == 302
    task = committed(lambda: Task.all_tenants.get(title="Plan QBR"))
    assert alice_client.post(reverse("accounts:task_status", args=[task.pk]), {"status": "done"}).status_code == 302
    assert committed(lambda: Contact.all_tenants.get(pk=contact.pk).name) == "Ann B"
    assert committed(lambda: Task.all_tenants.get(pk=task.pk).status) == TaskStatus.DONE
    assert {"Met the team", "Task added: Plan QBR", "Task done: Plan QBR"} <= set(committed(lambda: subjects(account)))


def test_accounts_and_contacts_api_commit(api, account):
    r = api.post("/api/v1/accounts/", {"name": "Via API", "arr": "100000"}, format="json")
    assert r.status_code == 201, r.content
    new_id = r.json()["id"]
    assert committed(lambda: Account.all_tenants.get(pk=new_id).segment) == "enterprise"
    r = api.patch(f"/api/v1/accounts/{new_id}/", {"payment_overdue": True}, format="json")
    assert r.status_code == 200, r.content
    assert committed(lambda: Account.all_tenants.values_list("payment_overdue", "health_score").get(pk=new_id))[1] is not None
    r = api.post("/api/v1/contacts/", {"account": account.pk, "name": "Cid", "email": "cid@customer.example"},
                 format="json")
    assert r.status_code == 201, r.content
    contact_id = r.json()["id"]
    assert api.patch(f"/api/v1/contacts/{contact_id}/", {"title": "CTO"}, format="json").status_code == 200
    assert committed(lambda: Contact.all_tenants.get(pk=contact_id).title) == "CTO"
    assert api.delete(f"/api/v1/contacts/{contact_id}/").status_code == 204
    assert api.delete(f"/api/v1/accounts/{new_id}/").status_code == 204
    assert committed(lambda: (Contact.all_tenants.filter(pk=contact_id).exists(),
                              Account.all_tenants.filter(pk=new_id).exists())) == (False, False)


def test_account_api_failing_midway_writes_nothing(api, monkeypatch):
    monkeypatch.setattr(services, "activity_record", boom)
    with pytest.raises(Boom):
        api.post("/api/v1/accounts/", {"name": "Via API", "arr": "100000"}, format="json")
    assert committed(lambda: Account.all_tenants.count()) == 0
