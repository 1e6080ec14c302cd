"""CSV import pages and services: upload -> preview -> import, all or nothing."""

from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import Account, Activity, Contact
from tenancy.models import Membership, Role
from tests.factories import AccountFactory, ContactFactory

URL = reverse("accounts:import")

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def upload(client, text: str, kind: str = "accounts", name: str = "book.csv"):
    file = SimpleUploadedFile(name, text.encode(), content_type="text/csv")
    return client.post(URL, {"step": "preview", "kind": kind, "file": file})


def stored_files(media: Path) -> list[Path]:
    return sorted((media / "imports").rglob("*.csv")) if (media / "imports").exists() else []


def run_import(client, preview_response):
    return client.post(URL, {"step": "import", "token": preview_response.context["token"]})


def test_anonymous_is_sent_to_login(client):
    response = client.get(URL)
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_viewer_may_not_import(client, member, media):
    client.force_login(member(Role.VIEWER))
    assert client.get(URL).status_code == 403
    assert upload(client, "name\nA\n").status_code == 403
    assert client.get(URL, {"sample": "accounts"}).status_code == 403
    assert stored_files(media) == []


def test_upload_page_and_samples(alice_client, alice):
    page = alice_client.get(URL)
    assert page.status_code == 200
    assert b"Sample accounts CSV" in page.content and b"account_external_id" in page.content
    sample = alice_client.get(URL, {"sample": "accounts"})
    assert sample.status_code == 200 and sample["Content-Type"] == "text/csv"
    assert 'filename="sample-accounts.csv"' in sample["Content-Disposition"]
    assert sample.content.decode().startswith("name,external_id,")
    assert alice.email in sample.content.decode()  # the sample's CSM is the downloader, so it imports cleanly
    assert alice_client.get(URL, {"sample": "contacts"}).content.decode().startswith("account_external_id,")
    assert alice_client.get(URL, {"sample": "nope"}).status_code == 404


def test_samples_import_cleanly_one_after_the_other(alice_client):
    for kind in ("accounts", "contacts"):
        sample = alice_client.get(URL, {"sample": kind}).content.decode()
        preview = upload(alice_client, sample, kind=kind)
        assert preview.context["v"].ok, preview.context["v"].errors
        assert run_import(alice_client, preview).status_code == 302
    assert Account.all_tenants.count() == 3 and Contact.all_tenants.count() == 3


def test_good_accounts_import(alice_client, alice, tenant, member, media):
    tenant.segment_thresholds = [
        {"key": "strategic", "label": "Strategic", "min_arr": "500000"},
        {"key": "growth", "label": "Growth", "min_arr": "10000"},
        {"key": "starter", "label": "Starter", "min_arr": "0"},
    ]
    tenant.save()
    csm = member(Role.CSM, email="carol@acme.example")
    existing = AccountFactory(tenant=tenant, external_id="CRM-1", name="Old name", arr=Decimal("100"), industry="Retail")
    text = (
        "name,external_id,industry,employee_count,arr,tier,lifecycle_stage,csm_email,renewal_date,customer_since,status\n"
        "Renamed,CRM-1,,,500000,,,Carol@acme.example,,,\n"
        "Newco,CRM-2,Software,40,9999.99,Pro,adoption,,2026-06-30,2024-01-15,active\n"
        "Growing,,,,10000,,,,,,\n"
    )
    preview = upload(alice_client, text)
    assert preview.status_code == 200
    v = preview.context["v"]
    assert v.ok and (v.row_count, v.creates, v.updates) == (3, 2, 1)
    assert b"2 to create" in preview.content and b"1 to update" in preview.content
    [stored] = stored_files(media)
    assert stored.parent.name == str(tenant.pk) and stored.stem == preview.context["token"]
    assert Account.all_tenants.count() == 1  # the preview writes nothing

    response = run_import(alice_client, preview)
    assert response.status_code == 302 and response["Location"] == reverse("accounts:list")
    assert stored_files(media) == []
    assert "csv_import" not in alice_client.session

    existing.refresh_from_db()
    assert (existing.name, existing.arr, existing.segment, existing.csm, existing.industry) == (
        "Renamed", Decimal("500000"), "strategic", csm, "Retail",  # a blank cell leaves the value
    )
    newco = Account.all_tenants.get(external_id="CRM-2")
    assert (newco.segment, newco.employee_count, newco.lifecycle_stage, str(newco.renewal_date)) == (
        "starter", 40, "adoption", "2026-06-30",
    )
    growing = Account.all_tenants.get(name="Growing")
    assert growing.segment == "growth" and growing.external_id is None and growing.customer_since is not None
    activities = Activity.all_tenants.filter(ref_type="import")
    assert activities.count() == 3 and {a.author for a in activities} == {alice}
    update = activities.get(account=existing)
    assert "csm: — → carol@acme.example" in update.body and update.metadata["line"] == 2
    messages = [str(m) for m in response.wsgi_request._messages]
    assert messages == ["Imported 3 accounts: 2 created, 1 updated."]


def test_bad_rows_are_each_reported_by_line_and_nothing_is_written(alice_client, tenant, media):
    AccountFactory(tenant=tenant, external_id="CRM-1", name="Keep", arr=Decimal("5"))
    text = (
        "name,external_id,arr,csm_email,renewal_date,status\n"
        "Fine,CRM-1,100,,,\n"
        "Negative,,-10,,,\n"
        "Unknown CSM,,5,ghost@nowhere.example,,\n"
        "Bad date,,5,,31/12/2025,\n"
        "Twice,X,5,,,\n"
        "Twice again,X,5,,,churn\n"
    )
    preview = upload(alice_client, text)
    v = preview.context["v"]
    assert not v.ok and preview.context["token"] is None
    assert {(e.line, e.column) for e in v.errors} == {
        (3, "arr"), (4, "csm_email"), (5, "renewal_date"), (6, "external_id"), (7, "external_id"), (7, "status"),
    }
    html = preview.content.decode()
    assert "5 bad rows" in html and "arr cannot be negative." in html and "Nothing will be imported" in html
    assert 'name="step" value="import"' not in html
    assert stored_files(media) == []
    assert Account.all_tenants.get().name == "Keep" and Account.all_tenants.get().arr == Decimal("5")
    assert not Activity.all_tenants.exists()


def test_data_changing_between_preview_and_import_rejects_the_whole_file(alice_client, tenant, member, media):
    csm = member(Role.CSM, email="carol@acme.example")
    preview = upload(alice_client, "name,csm_email\nA,carol@acme.example\nB,\n")
    assert preview.context["v"].ok
    Membership.all_tenants.filter(user=csm).delete()
    response = run_import(alice_client, preview)
    assert response.status_code == 200
    assert b"nothing was imported" in response.content and b"carol@acme.example" in response.content
    assert not Account.all_tenants.exists()
    assert stored_files(media) == []


def test_a_token_works_only_for_its_session(client, alice, bob, media):
    client.force_login(alice)
    token = upload(client, "name\nA\n").context["token"]
    assert client.post(URL, {"step": "import", "token": "0" * 32}).status_code == 404
    assert client.post(URL, {"step": "import", "token": "../../etc"}).status_code == 404
    client.force_login(bob)  # bob (globex) posting acme's token: not his session's
    assert client.post(URL, {"step": "import", "token": token}).status_code == 404
    assert not Account.all_tenants.exists()


def test_bob_cannot_import_into_acme_with_acmes_token(client, alice, bob, tenant, media):
    client.force_login(alice)
    preview = upload(client, "name\nA\n")
    token = preview.context["token"]
    session_state = dict(client.session["csv_import"])
    client.force_login(bob)  # a new session: copy alice's state into it to try the file path itself
    session = client.session
    session["csv_import"] = session_state
    session.save()
    assert client.post(URL, {"step": "import", "token": token}).status_code == 404
    assert not Account.all_tenants.exists()
    assert len(stored_files(media)) == 1  # acme's file is untouched


def test_second_use_of_a_token_is_404(alice_client, media):
    preview = upload(alice_client, "name\nA\n")
    assert run_import(alice_client, preview).status_code == 302
    assert run_import(alice_client, preview).status_code == 404
    assert Account.all_tenants.count() == 1


def test_cancel_and_reupload_delete_the_kept_file(alice_client, media):
    upload(alice_client, "name\nA\n")
    upload(alice_client, "name\nB\n")
    assert len(stored_files(media)) == 1
    response = alice_client.post(URL, {"step": "cancel"})
    assert response.status_code == 302 and stored_files(media) == []
    assert not Account.all_tenants.exists()


def test_upload_without_a_file_is_400(alice_client):
    response = alice_client.post(URL, {"step": "preview", "kind": "accounts"})
    assert response.status_code == 400 and b"This field is required" in response.content


def test_contacts_import(alice_client, tenant, other_tenant):
    acme = AccountFactory(tenant=tenant, external_id="A-1")
    second = AccountFactory(tenant=tenant)
    kept = ContactFactory(account=acme, email="ann@cust.example", name="Ann", title="Old")
    AccountFactory(tenant=other_tenant, external_id="G-1")  # globex's: unknown to acme
    text = (
        "account_external_id,account_id,name,email,title,role,is_champion,is_executive_sponsor\n"
        f"A-1,,Ann,ANN@cust.example,CTO,technical,yes,\n"
        f",{second.pk},Ben,ben@cust.example,,business,no,yes\n"
    )
    preview = upload(alice_client, text, kind="contacts")
    v = preview.context["v"]
    assert v.ok and (v.creates, v.updates) == (1, 1)
    assert run_import(alice_client, preview).status_code == 302
    kept.refresh_from_db()
    assert (kept.title, kept.role, kept.is_champion, kept.name) == ("CTO", "technical", True, "Ann")
    ben = Contact.all_tenants.get(email="ben@cust.example")
    assert ben.account == second and ben.is_executive_sponsor and not ben.is_champion
    assert Activity.all_tenants.filter(ref_type="import").count() == 2  # one per account touched

    bad = upload(
        alice_client,
        "account_external_id,name,email\nG-1,Gil,gil@cust.example\nA-1,Ben again,ben@cust.example\n,Nobody,\n",
        kind="contacts",
    )
    assert {(e.line, e.column) for e in bad.context["v"].errors} == {
        (2, "account_external_id"), (3, "email"), (4, "account_external_id"),
    }
    assert Contact.all_tenants.count() == 2


def _accounts_csv(n: int, csm_email: str) -> str:
    rows = [f"Account {i},EXT-{i},{i * 1000},{csm_email},2026-01-01" for i in range(n)]
    return "name,external_id,arr,csm_email,renewal_date\n" + "\n".join(rows) + "\n"


@pytest.mark.parametrize("rows", [5, 50])
def test_preview_and_import_queries_do_not_grow_with_rows(alice_client, alice, tenant, rows, django_assert_max_num_queries):
    for i in range(0, rows, 2):  # half the rows update existing accounts
        AccountFactory(tenant=tenant, external_id=f"EXT-{i}")
    with django_assert_max_num_queries(12):
        preview = upload(alice_client, _accounts_csv(rows, alice.email))
    assert preview.context["v"].ok
    # 18 + the ARR ledger's two (the accounts' balances, one INSERT) + the accounts re-read for their events
    # + the webhooks recorder's look-up of subscribed endpoints, once per event kind (created, updated)
    with django_assert_max_num_queries(23):
        assert run_import(alice_client, preview).status_code == 302
    assert Account.all_tenants.count() == rows


def test_a_utf16_file_from_excel_imports(alice_client, tenant, media):
    file = SimpleUploadedFile("book.csv", "name\tarr\nCaf\u00e9 \u00c9toile\t5\n".encode("utf-16"), content_type="text/csv")
    preview = alice_client.post(URL, {"step": "preview", "kind": "accounts", "file": file})
    assert preview.context["v"].ok, preview.context["v"].file_errors
    assert run_import(alice_client, preview).status_code == 302
    assert Account.all_tenants.get().name == "Caf\u00e9 \u00c9toile"


def test_a_nul_in_a_cell_is_reported_on_its_line_and_nothing_is_written(alice_client, media):
    preview = upload(alice_client, "name,external_id\nGood,G1\nBad\x00Name,B1\n")
    html = preview.content.decode()
    assert not preview.context["v"].ok
    assert "name contains a NUL character" in html and "Bad\\0Name" in html
    assert stored_files(media) == [] and not Account.all_tenants.exists()
