"""Account pages: list, 360 view and its tabs, forms, contact edit, my tasks, task status.

Every page is checked against another tenant (bob of globex asking for acme's ids: 404), against
roles that may not write (403, nothing written), and for a query count that does not grow with rows.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Account, Activity, Contact, Task
from tenancy.models import Role
from tests.factories import AccountFactory, ActivityFactory, ContactFactory, TaskFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def acme_account(tenant, alice):
    account = AccountFactory(tenant=tenant, name="Acme Rockets", arr=Decimal("120000"), csm=alice, external_id="A-1")
    ContactFactory(account=account, name="Ann Champion", is_champion=True)
    ActivityFactory(account=account, subject="Kickoff call")
    TaskFactory(account=account, title="Send QBR deck", owner=alice)
    return account


def account_urls(account) -> dict[str, str]:
    contact = account.contacts.model.all_tenants.filter(account=account).first()
    task = Task.all_tenants.filter(account=account).first()
    return {
        "detail": reverse("accounts:detail", args=[account.pk]),
        "detail_contacts": reverse("accounts:detail", args=[account.pk]) + "?tab=contacts",
        "detail_tasks": reverse("accounts:detail", args=[account.pk]) + "?tab=tasks",
        "edit": reverse("accounts:edit", args=[account.pk]),
        "timeline": reverse("accounts:timeline", args=[account.pk]),
        "contacts": reverse("accounts:contacts", args=[account.pk]),
        "tasks": reverse("accounts:tasks", args=[account.pk]),
        "contact_edit": reverse("accounts:contact_edit", args=[account.pk, contact.pk]),
        "task_status": reverse("accounts:task_status", args=[task.pk]),
    }


# --- another tenant: 404 everywhere ---------------------------------------------------------------


def test_another_tenant_gets_404_on_every_account_page(bob_client, acme_account):
    urls = account_urls(acme_account)
    for name, url in urls.items():
        if name != "task_status":
            assert bob_client.get(url).status_code == 404, name
    posts = {
        "edit": {"name": "Hijacked", "arr": "1", "lifecycle_stage": "adoption", "status": "active"},
        "timeline": {"kind": "note", "subject": "hi", "body": "x"},
        "contacts": {"name": "Spy", "email": "spy@globex.example", "role": "other"},
        "tasks": {"title": "Spy task", "priority": "low"},
        "contact_edit": {"name": "Hijacked", "role": "other"},
        "task_status": {"status": "done"},
    }
    for name, data in posts.items():
        assert bob_client.post(urls[name], data).status_code == 404, name
    acme_account.refresh_from_db()
    assert acme_account.name == "Acme Rockets"
    assert Contact.all_tenants.count() == 1 and Task.all_tenants.get().status == "open"
    assert Activity.all_tenants.count() == 1


def test_list_and_export_show_only_the_own_tenant(bob_client, acme_account, other_tenant):
    AccountFactory(tenant=other_tenant, name="Globex Gadgets")
    page = bob_client.get(reverse("accounts:list"))
    assert b"Globex Gadgets" in page.content and b"Acme Rockets" not in page.content
    export = b"".join(bob_client.get(reverse("accounts:export")).streaming_content)
    assert b"Globex Gadgets" in export and b"Acme Rockets" not in export


def test_anonymous_is_sent_to_login(client, acme_account):
    for url in [reverse("accounts:list"), reverse("accounts:my_tasks"), *account_urls(acme_account).values()]:
        response = client.get(url)
        assert response.status_code in (302, 405) and (response.status_code == 405 or "/login/" in response["Location"])


# --- pages render ---------------------------------------------------------------------------------


def test_account_360_and_each_tab(alice_client, acme_account):
    urls = account_urls(acme_account)
    detail = alice_client.get(urls["detail"])
    assert detail.status_code == 200
    assert b"Acme Rockets" in detail.content and b"Kickoff call" in detail.content
    assert b"Ann Champion" in alice_client.get(urls["detail_contacts"]).content
    assert b"Send QBR deck" in alice_client.get(urls["detail_tasks"]).content
    for tab, text in (("timeline", b"Kickoff call"), ("contacts", b"Ann Champion"), ("tasks", b"Send QBR deck")):
        partial = alice_client.get(urls[tab], HTTP_HX_REQUEST="true")
        assert partial.status_code == 200 and text in partial.content
        assert b"<html" not in partial.content, tab
        full = alice_client.get(urls[tab])
        assert full.status_code == 200 and b"<html" in full.content


def test_list_filters_and_htmx_partial(alice_client, tenant, alice):
    AccountFactory(tenant=tenant, name="Big Co", arr=Decimal("250000"), csm=alice)
    AccountFactory(tenant=tenant, name="Small Co", arr=Decimal("1000"))
    AccountFactory(tenant=tenant, name="Gone Co", arr=Decimal("1000"), status="churned")
    url = reverse("accounts:list")
    page = alice_client.get(url)
    assert b"Big Co" in page.content and b"Small Co" in page.content and b"Gone Co" not in page.content
    partial = alice_client.get(url, {"segment": "enterprise"}, HTTP_HX_REQUEST="true")
    assert b"<html" not in partial.content and b'id="results"' in partial.content
    assert b"Big Co" in partial.content and b"Small Co" not in partial.content
    assert b"Small Co" not in alice_client.get(url, {"csm": "me"}).content
    assert b"Gone Co" in alice_client.get(url, {"status": "churned"}).content
    assert b"Small Co" in alice_client.get(url, {"q": "small"}).content
    assert partial["Vary"] and "HX-Request" in partial["Vary"]


def test_create_and_edit_account(alice_client, tenant, alice):
    response = alice_client.post(
        reverse("accounts:create"),
        {"name": "Fresh", "arr": "25000", "lifecycle_stage": "onboarding", "status": "active", "csm": alice.pk},
    )
    account = Account.all_tenants.get(name="Fresh")
    assert response.status_code == 302 and response["Location"] == reverse("accounts:detail", args=[account.pk])
    assert account.segment == "mid_market" and account.csm == alice
    assert alice_client.get(reverse("accounts:edit", args=[account.pk])).status_code == 200
    response = alice_client.post(
        reverse("accounts:edit", args=[account.pk]),
        {"name": "Fresh", "arr": "24999.99", "lifecycle_stage": "adoption", "status": "active"},
    )
    assert response.status_code == 302
    account.refresh_from_db()
    assert account.segment == "smb" and account.lifecycle_stage == "adoption"
    assert Activity.all_tenants.filter(account=account, subject="Account updated").exists()


def test_bad_account_form_input_writes_nothing(alice_client, tenant):
    AccountFactory(tenant=tenant, external_id="TAKEN", name="Holder")
    for data in (
        {"name": "", "arr": "10", "lifecycle_stage": "onboarding", "status": "active"},
        {"name": "Neg", "arr": "-1", "lifecycle_stage": "onboarding", "status": "active"},
        {"name": "Dup", "external_id": "TAKEN", "arr": "1", "lifecycle_stage": "onboarding", "status": "active"},
        {"name": "Stage", "arr": "1", "lifecycle_stage": "nope", "status": "active"},
    ):
        response = alice_client.post(reverse("accounts:create"), data)
        assert response.status_code == 200, data
        assert response.context["form"].errors, data
    assert Account.all_tenants.count() == 1 and Activity.all_tenants.count() == 0


def test_bad_edit_writes_nothing(alice_client, acme_account):
    response = alice_client.post(
        reverse("accounts:edit", args=[acme_account.pk]),
        {"name": "Renamed", "arr": "abc", "lifecycle_stage": "adoption", "status": "active"},
    )
    assert response.status_code == 200 and "arr" in response.context["form"].errors
    acme_account.refresh_from_db()
    assert acme_account.name == "Acme Rockets"


def test_add_note_contact_and_task_inline(alice_client, acme_account):
    urls = account_urls(acme_account)
    note = alice_client.post(urls["timeline"], {"kind": "call", "subject": "Renewal chat", "body": "Went well"},
                             HTTP_HX_REQUEST="true")
    assert note.status_code == 200 and b"Renewal chat" in note.content and b"<html" not in note.content
    empty = alice_client.post(urls["timeline"], {"kind": "note", "subject": "", "body": ""}, HTTP_HX_REQUEST="true")
    assert b"Write something first." in empty.content
    contact = alice_client.post(urls["contacts"], {"name": "Bea", "email": "bea@cust.example", "role": "technical"},
                                HTTP_HX_REQUEST="true")
    assert contact.status_code == 200 and b"Bea" in contact.content
    dup = alice_client.post(urls["contacts"], {"name": "Bea 2", "email": "BEA@cust.example", "role": "technical"},
                            HTTP_HX_REQUEST="true")
    assert b"already has the email" in dup.content
    task = alice_client.post(urls["tasks"], {"title": "Follow up", "priority": "high"}, HTTP_HX_REQUEST="true")
    assert task.status_code == 200 and b"Follow up" in task.content
    assert Activity.all_tenants.filter(kind="call", subject="Renewal chat").count() == 1
    assert Contact.all_tenants.filter(name__startswith="Bea").count() == 1
    assert Task.all_tenants.filter(title="Follow up").count() == 1


def test_contact_edit(alice_client, acme_account):
    url = account_urls(acme_account)["contact_edit"]
    assert alice_client.get(url).status_code == 200
    contact = Contact.all_tenants.get(account=acme_account)
    response = alice_client.post(url, {"name": "Ann C.", "email": "ann@cust.example", "role": "executive", "left_company": "on"})
    assert response.status_code == 302
    contact.refresh_from_db()
    assert contact.name == "Ann C." and contact.left_company and contact.left_company_at
    assert Activity.all_tenants.filter(subject__contains="left the company").exists()
    bad = alice_client.post(url, {"name": "", "email": "not-an-email", "role": "executive"})
    assert bad.status_code == 200 and {"name", "email"} <= set(bad.context["form"].errors)
    contact.refresh_from_db()
    assert contact.name == "Ann C."
    other_contact = ContactFactory(account=AccountFactory(tenant=acme_account.tenant))
    wrong_account = reverse("accounts:contact_edit", args=[acme_account.pk, other_contact.pk])
    assert alice_client.get(wrong_account).status_code == 404


# --- roles ----------------------------------------------------------------------------------------


def test_viewer_reads_but_may_not_write(client, member, acme_account):
    client.force_login(member(Role.VIEWER))
    urls = account_urls(acme_account)
    assert client.get(urls["detail"]).status_code == 200
    assert b"Add to timeline" not in client.get(urls["detail"]).content
    assert client.post(urls["timeline"], {"kind": "note", "subject": "sneaky", "body": "x"}).status_code == 403
    assert client.post(urls["contacts"], {"name": "Sneaky", "role": "other"}).status_code == 403
    assert client.post(urls["tasks"], {"title": "Sneaky", "priority": "low"}).status_code == 403
    assert client.post(urls["task_status"], {"status": "done"}).status_code == 403
    assert client.get(urls["edit"]).status_code == 403
    assert client.get(reverse("accounts:create")).status_code == 403
    assert client.post(reverse("accounts:create"), {"name": "X", "arr": "1"}).status_code == 403
    assert client.get(urls["contact_edit"]).status_code == 403
    assert Activity.all_tenants.count() == 1 and Contact.all_tenants.count() == 1 and Task.all_tenants.count() == 1
    assert Task.all_tenants.get().status == "open" and Account.all_tenants.count() == 1


def test_support_engineer_may_engage_but_not_edit(client, member, acme_account):
    client.force_login(member(Role.SUPPORT_ENGINEER))
    urls = account_urls(acme_account)
    assert client.post(urls["timeline"], {"kind": "note", "subject": "Ticket context", "body": "x"}).status_code == 302
    assert client.post(urls["contacts"], {"name": "No", "role": "other"}).status_code == 403
    assert client.get(urls["edit"]).status_code == 403


# --- my tasks and task status --------------------------------------------------------------------


def test_my_tasks_and_task_status(alice_client, alice, acme_account, member):
    someone_else = member(Role.CSM)
    TaskFactory(account=acme_account, title="Not mine", owner=someone_else)
    overdue = TaskFactory(account=acme_account, title="Overdue one", owner=alice,
                          due_date=timezone.localdate() - timedelta(days=3))
    page = alice_client.get(reverse("accounts:my_tasks"))
    assert page.status_code == 200
    assert b"Send QBR deck" in page.content and b"Overdue one" in page.content and b"Not mine" not in page.content
    response = alice_client.post(
        reverse("accounts:task_status", args=[overdue.pk]), {"status": "done", "show_account": "1"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200 and b"Done" in response.content and b"<html" not in response.content
    overdue.refresh_from_db()
    assert overdue.status == "done" and overdue.completed_at
    assert b"Overdue one" not in alice_client.get(reverse("accounts:my_tasks")).content
    assert b"Overdue one" in alice_client.get(reverse("accounts:my_tasks"), {"status": "done"}).content
    bad = alice_client.post(reverse("accounts:task_status", args=[overdue.pk]), {"status": "bogus"})
    assert bad.status_code == 400
    plain = alice_client.post(reverse("accounts:task_status", args=[overdue.pk]), {"status": "open"})
    assert plain.status_code == 302


def test_my_tasks_of_another_tenant_are_not_listed(bob_client, bob, acme_account):
    TaskFactory(account=acme_account, title="Acme task for bob", owner=bob)  # bob owns it, but it is acme's
    assert b"Acme task for bob" not in bob_client.get(reverse("accounts:my_tasks")).content


# --- query counts do not grow with rows ----------------------------------------------------------


def _populate(tenant, csm, n: int) -> Account:
    accounts = AccountFactory.create_batch(n, tenant=tenant, csm=csm)
    for account in accounts:
        TaskFactory(account=account, owner=csm, source="risk", dedupe_key=f"risk:usage:{account.pk}")
    first = accounts[0]
    ContactFactory.create_batch(n, account=first)
    ActivityFactory.create_batch(n, account=first, author=csm)
    TaskFactory.create_batch(n, account=first, owner=csm)
    return first


@pytest.mark.parametrize("n", [5, 50])
def test_page_queries_do_not_grow_with_rows(alice_client, alice, tenant, n, django_assert_max_num_queries):
    first = _populate(tenant, alice, n)
    detail = reverse("accounts:detail", args=[first.pk])
    # Bounds include the panels other apps add to the account 360 page, each a constant number: health,
    # onboarding, tickets, renewals' three (renewal, expansion, next touchpoints), and advocacy's
    # "References" (2: its recent requests, and one query for capacity, rewards, reviews and referrals)
    # and survey history (1).
    pages = {
        reverse("accounts:list"): 14,
        reverse("accounts:list") + "?risk=any&sort=-arr": 14,
        detail: 26,
        detail + "?tab=contacts": 26,
        detail + "?tab=tasks": 26,
        reverse("accounts:timeline", args=[first.pk]): 26,
        reverse("accounts:my_tasks"): 10,
        reverse("dashboard"): 10,
    }
    for url, bound in pages.items():
        with django_assert_max_num_queries(bound, info=url):
            assert alice_client.get(url).status_code == 200
    with django_assert_max_num_queries(8):
        export = alice_client.get(reverse("accounts:export"))
        assert len(b"".join(export.streaming_content).splitlines()) == n + 1


# --- without JavaScript, and safe redirects ------------------------------------------------------


def test_inline_forms_without_javascript_redirect_after_post_and_show_errors(alice_client, acme_account):
    urls = account_urls(acme_account)
    for tab, data in (
        ("timeline", {"kind": "note", "subject": "Plain post", "body": "x"}),
        ("contacts", {"name": "Cy", "role": "other"}),
        ("tasks", {"title": "Plain task", "priority": "low"}),
    ):
        response = alice_client.post(urls[tab], data)
        assert response.status_code == 302 and response["Location"].endswith(f"?tab={tab}"), tab
    empty = alice_client.post(urls["timeline"], {"kind": "note", "subject": "", "body": ""})
    assert empty.status_code == 200 and b"Write something first." in empty.content and b"<html" in empty.content
    assert Activity.all_tenants.filter(subject="Plain post").count() == 1


def test_task_status_never_redirects_off_site(alice_client, alice, acme_account):
    task = Task.all_tenants.get(account=acme_account)
    url = reverse("accounts:task_status", args=[task.pk])
    evil = alice_client.post(url, {"status": "done", "next": "https://evil.example/"})
    assert evil.status_code == 302 and evil["Location"] == reverse("accounts:my_tasks")
    detail = reverse("accounts:detail", args=[acme_account.pk]) + "?tab=tasks"
    back = alice_client.post(url, {"status": "open", "next": detail})
    assert back["Location"] == detail


def test_list_keeps_count_export_link_and_sort_inside_the_swapped_part(alice_client, tenant):
    AccountFactory(tenant=tenant, name="Big Co", arr=Decimal("250000"))
    partial = alice_client.get(reverse("accounts:list"), {"segment": "enterprise", "sort": "-arr"}, HTTP_HX_REQUEST="true")
    html = partial.content.decode()
    assert "1 accounts" in html
    assert 'export.csv?segment=enterprise&amp;sort=-arr' in html
    assert 'name="sort" value="-arr" form="account-filters"' in html
    assert 'aria-sort="descending"' in html


def test_my_tasks_rank_priorities_not_alphabetically(alice_client, alice, tenant):
    account = AccountFactory(tenant=tenant)
    due = timezone.localdate()
    for title, priority in (("L", "low"), ("U", "urgent"), ("M", "medium"), ("H", "high")):
        TaskFactory(account=account, owner=alice, title=f"Prio {title}", priority=priority, due_date=due)
    html = alice_client.get(reverse("accounts:my_tasks")).content.decode()
    positions = [html.index(f"Prio {t}") for t in "UHML"]
    assert positions == sorted(positions)


@pytest.mark.django_db
def test_timeline_pages_back_through_older_entries(alice_client, tenant):
    from datetime import timedelta

    from django.utils import timezone

    from tests.factories import AccountFactory, ActivityFactory

    account = AccountFactory(tenant=tenant)
    now = timezone.now()
    for i in range(60):
        ActivityFactory(account=account, subject=f"Entry {i:02d}", occurred_at=now - timedelta(hours=i))
    first = alice_client.get(f"/accounts/{account.pk}/?tab=timeline")
    assert first.context["timeline_older_offset"] == 50 and first.context["timeline_newer_offset"] is None
    assert "Entry 00" in first.content.decode() and "Entry 55" not in first.content.decode()
    older = alice_client.get(f"/accounts/{account.pk}/timeline/?offset=50", HTTP_HX_REQUEST="true")
    body = older.content.decode()
    assert "Entry 55" in body and "Entry 00" not in body and "Newer" in body


@pytest.mark.django_db
def test_adding_a_task_inline_updates_the_tab_count_out_of_band(alice_client, tenant):
    from tests.factories import AccountFactory

    account = AccountFactory(tenant=tenant)
    response = alice_client.post(f"/accounts/{account.pk}/tasks/", {"title": "Send QBR deck", "priority": "high"},
                                 HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200
    assert '<span class="muted" id="count-tasks" hx-swap-oob="true">1</span>' in body


def test_a_negative_employee_count_must_be_zero_or_more(alice_client):
    response = alice_client.post(reverse("accounts:create"), {
        "name": "Neg", "arr": "1", "employee_count": "-5", "lifecycle_stage": "onboarding", "status": "active"})
    assert response.status_code == 200
    assert response.context["form"].errors["employee_count"] == ["Must be zero or more."]
    assert "Must be zero or more." in response.content.decode()
    assert not Account.all_tenants.exists()


@pytest.mark.django_db
def test_inline_add_refreshes_the_side_panel_out_of_band(alice_client, tenant):
    """Issue 8: the side panel's counts follow an inline add (out of band), not only the tab label."""
    from tests.factories import AccountFactory

    account = AccountFactory(tenant=tenant)
    body = alice_client.post(f"/accounts/{account.pk}/tasks/", {"title": "Send QBR deck", "priority": "high"},
                             HTTP_HX_REQUEST="true").content.decode()
    assert '<section class="panel" id="account-facts" hx-swap-oob="true">' in body
    assert '<dd data-testid="facts-open-tasks">1</dd>' in body
    body = alice_client.post(f"/accounts/{account.pk}/contacts/", {"name": "Dana", "email": "dana@x.example",
                             "role": "technical"}, HTTP_HX_REQUEST="true").content.decode()
    assert '<span class="muted" id="count-contacts" hx-swap-oob="true">1</span>' in body
    assert 'id="account-facts" hx-swap-oob="true"' in body and "<dt>Contacts</dt><dd>1</dd>" in body


@pytest.mark.django_db
def test_done_on_the_360_page_refreshes_counts_out_of_band(alice_client, tenant):
    from tests.factories import AccountFactory, TaskFactory

    account = AccountFactory(tenant=tenant)
    first, _ = TaskFactory(account=account, title="One"), TaskFactory(account=account, title="Two")
    response = alice_client.post(f"/accounts/tasks/{first.pk}/status/", {"status": "done", "show_account": "0"},
                                 HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200 and body.lstrip().startswith(f'<tr id="task-{first.pk}"')
    assert '<span class="muted" id="count-tasks" hx-swap-oob="true">1</span>' in body
    assert '<dd data-testid="facts-open-tasks">1</dd>' in body
    # From "My tasks" (rows of many accounts) nothing else is swapped.
    second = Task.all_tenants.get(account=account, title="Two")
    body = alice_client.post(f"/accounts/tasks/{second.pk}/status/", {"status": "done", "show_account": "1"},
                             HTTP_HX_REQUEST="true").content.decode()
    assert "hx-swap-oob" not in body


def _ticket_events(account, ticket_id, n, start, subject="Login fails"):
    from tests.factories import ActivityFactory

    for i in range(n):
        ActivityFactory(account=account, kind="system", source="tickets", ref_type="ticket", ref_id=ticket_id,
                        subject=f"Ticket #{ticket_id}: event {i}", body=subject, occurred_at=start + timedelta(minutes=i))


@pytest.mark.django_db
def test_timeline_shows_one_entry_per_ticket_with_its_history(alice_client, tenant, django_assert_max_num_queries):
    """Issue 8: a ticket's 5-7 system events fold into one entry that expands (<details>) to its history,
    so the CSM's notes stay visible."""
    from tests.factories import AccountFactory, ActivityFactory

    account = AccountFactory(tenant=tenant)
    now = timezone.now()
    ActivityFactory(account=account, kind="note", subject="Sponsor is leaving", occurred_at=now - timedelta(hours=5))
    _ticket_events(account, 101, 6, now - timedelta(hours=4))
    _ticket_events(account, 102, 7, now - timedelta(hours=3), subject="Export is slow")
    ActivityFactory(account=account, kind="call", subject="Renewal call", occurred_at=now - timedelta(hours=1))
    response = alice_client.get(f"/accounts/{account.pk}/?tab=timeline")
    rows = response.context["timeline"]
    assert [a.subject for a in rows] == ["Renewal call", "Ticket #102: event 6", "Ticket #101: event 5",
                                         "Sponsor is leaving"]
    assert [len(a.history) for a in rows] == [0, 7, 6, 0]
    html = response.content.decode()
    assert html.count('<details class="timeline-group">') == 2 and "7 updates" in html and "Ticket #102: event 0" in html
    for n in (3, 30):
        _ticket_events(account, 200 + n, n, now - timedelta(days=2))
        with django_assert_max_num_queries(30):
            alice_client.get(f"/accounts/{account.pk}/timeline/", HTTP_HX_REQUEST="true")


@pytest.mark.django_db
def test_timeline_filter_choice_is_remembered(alice_client, tenant):
    from tests.factories import AccountFactory, ActivityFactory

    account = AccountFactory(tenant=tenant)
    ActivityFactory(account=account, kind="note", subject="A note to keep")
    ActivityFactory(account=account, kind="system", subject="Some system event")
    assert "Some system event" in alice_client.get(f"/accounts/{account.pk}/").content.decode()
    chosen = alice_client.get(f"/accounts/{account.pk}/timeline/?kind=people", HTTP_HX_REQUEST="true")
    assert "Some system event" not in chosen.content.decode()
    later = alice_client.get(f"/accounts/{account.pk}/")  # no kind asked: the last choice
    assert later.context["timeline_kind"] == "people"
    assert "Some system event" not in later.content.decode() and "A note to keep" in later.content.decode()
    alice_client.get(f"/accounts/{account.pk}/?tab=timeline&kind=")  # back to everything, remembered too
    assert "Some system event" in alice_client.get(f"/accounts/{account.pk}/").content.decode()
    alice_client.cookies["csp_timeline_kind"] = "<script>"
    assert alice_client.get(f"/accounts/{account.pk}/").context["timeline_kind"] == ""
