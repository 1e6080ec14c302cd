"""The pure CSV rules (accounts/csv_import/): no database."""

from datetime import date
from decimal import Decimal

import pytest

from accounts import csv_import as ci


def accounts(text: str, *, existing=None, members=("csm@acme.example",)):
    parsed = ci.parse_upload(ci.ACCOUNTS, text.encode())
    return ci.validate_accounts(parsed, existing_external_ids=existing or {}, member_emails=set(members))


def contacts(text: str, *, by_external=None, ids=(), by_email=None):
    parsed = ci.parse_upload(ci.CONTACTS, text.encode())
    return ci.validate_contacts(
        parsed, account_ids_by_external_id=by_external or {}, account_ids=set(ids), contacts_by_email=by_email or {}
    )


def problems(validated) -> set[tuple[int, str]]:
    return {(e.line, e.column) for e in validated.errors}


def test_good_accounts_file_counts_creates_and_updates():
    v = accounts(
        "Name,External ID,ARR,employee_count,lifecycle_stage,csm_email,renewal_date,customer_since,status,tier\n"
        "Acme,X1,120000,10,Adoption,CSM@acme.example,2026-01-31,2020-05-01,active,Gold\n"
        "Beta,X2,\"1,500.50\",12.0,value realization,,,,churned,\n"
        "Gamma,,0,,,,,,,\n",
        existing={"X2": 42},
    )
    assert v.ok, v.errors
    assert (v.row_count, v.creates, v.updates) == (3, 2, 1)
    rows = ci.typed_rows(v)
    assert rows[0]["values"] == {
        "name": "Acme", "external_id": "X1", "arr": Decimal("120000"), "employee_count": 10,
        "lifecycle_stage": "adoption", "csm_email": "csm@acme.example", "renewal_date": date(2026, 1, 31),
        "customer_since": date(2020, 5, 1), "status": "active", "tier": "Gold",
    }
    assert rows[1]["action"] == "update" and rows[1]["target_id"] == 42
    assert rows[1]["values"]["arr"] == Decimal("1500.50") and rows[1]["values"]["lifecycle_stage"] == "value_realization"
    assert rows[2]["values"] == {"name": "Gamma", "arr": Decimal("0")}  # blanks are left out


def test_every_account_rule_reports_its_line_and_column():
    v = accounts(
        "name,external_id,arr,employee_count,lifecycle_stage,csm_email,renewal_date,customer_since,status\n"
        "Fine,A,1,1,,,,,\n"  # line 2
        ",B,-5,abc,nope,who@else.example,2025-02-30,05/01/2020,gone\n"  # line 3
        "Dup1,D,1.234,,,,,,\n"  # line 4
        "Dup2,D,abc,99999999999,,,,,\n",  # line 5
    )
    assert not v.ok
    assert problems(v) == {
        (3, "name"), (3, "arr"), (3, "employee_count"), (3, "lifecycle_stage"), (3, "csm_email"),
        (3, "renewal_date"), (3, "customer_since"), (3, "status"),
        (4, "external_id"), (4, "arr"), (5, "external_id"), (5, "arr"), (5, "employee_count"),
    }
    messages = {(e.line, e.column): e.message for e in v.errors}
    assert messages[(3, "arr")] == "arr cannot be negative."
    assert "also line 5" in messages[(4, "external_id")]
    assert "who@else.example" in messages[(3, "csm_email")]
    assert v.bad_lines == 3
    with pytest.raises(ValueError):
        ci.typed_rows(v)


def test_line_numbers_count_blank_lines_and_multiline_cells():
    v = accounts('name,arr\nA,1\n\n"Two\nlines",2\nC,-1\n')
    assert [e.line for e in v.errors] == [6]
    assert [r["line"] for r in v.preview_rows()] == [2, 4, 6]


def test_external_ids_are_case_sensitive_like_the_database():
    assert accounts("name,external_id\nA,crm-1\nB,CRM-1\n").ok


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"name,arr\n", "no rows"),
        (b"arr,tier\n5,Gold\n", "`name` column"),
        (b"name,name\nA,B\n", "more than once"),
        (b"name,arr\nA,1,2,3\n", "could not be read"),
        (b"\x00\x01binary", "not a CSV"),
    ],
)
def test_file_level_problems(data, message):
    parsed = ci.parse_upload(ci.ACCOUNTS, data)
    assert parsed.file_errors and message in parsed.file_errors[0]
    v = ci.validate_accounts(parsed, existing_external_ids={}, member_emails=set())
    assert not v.ok


def test_too_many_rows_is_refused(monkeypatch):
    monkeypatch.setattr(ci.parsing, "MAX_ROWS", 3)  # the limit parse_upload reads
    parsed = ci.parse_upload(ci.ACCOUNTS, b"name\na\nb\nc\nd\n")
    assert "at most 3" in parsed.file_errors[0]


def test_semicolon_files_and_unknown_columns_and_excel_encoding():
    parsed = ci.parse_upload(ci.ACCOUNTS, "Name;ARR;Notes\nCaf\u00e9;5;x\n".encode("cp1252"))
    assert parsed.columns == ["name", "arr"] and parsed.ignored_columns == ["notes"]
    assert parsed.frame.loc[0, "name"] == "Caf\u00e9"


def test_stored_file_round_trips_with_original_line_numbers():
    parsed = ci.parse_upload(ci.ACCOUNTS, b"name,arr\n\nA,1\nB,2\n")
    again = ci.parse_stored(ci.ACCOUNTS, ci.to_stored_csv(parsed))
    assert again.columns == ["name", "arr"]
    assert list(again.frame[ci.LINE]) == [3, 4]
    assert ci.validate_accounts(again, existing_external_ids={}, member_emails=set()).ok


def test_contacts_rules():
    v = contacts(
        "account_external_id,account_id,name,email,role,is_champion,is_executive_sponsor\n"
        "X1,,Ann,ANN@x.example,Technical,yes,0\n"  # 2: updates contact 3 of account 5
        "X9,,Bob,bob@x.example,,maybe,\n"  # 3: unknown account, bad boolean
        ",5,Cy,ann@x.example,,,\n"  # 4: duplicate email in file
        "X1,6,Di,di@x.example,,,\n"  # 5: ids disagree
        ",,Ed,bad-email,,,\n"  # 6: no account, bad email
        "X1,,Fay,fay@x.example,,,\n"  # 7: email used at another account
        ",77,Gil,gil@x.example,ceo,,\n",  # 8: unknown account id, bad role
        by_external={"X1": 5}, ids={5, 6}, by_email={"ann@x.example": (3, 5), "fay@x.example": (44, 6)},
    )
    assert problems(v) == {
        (2, "email"), (4, "email"), (3, "account_external_id"), (3, "is_champion"), (5, "account_id"),
        (6, "account_external_id"), (6, "email"), (7, "email"), (8, "account_id"), (8, "role"),
    }


def test_good_contacts_file():
    v = contacts(
        "account_external_id,name,email,role,is_champion\nX1,Ann,ann@x.example,technical,yes\nX1,New,,,\n",
        by_external={"X1": 5}, by_email={"ann@x.example": (3, 5)},
    )
    assert v.ok and (v.creates, v.updates) == (1, 1)
    first, second = ci.typed_rows(v)
    assert first == {
        "line": 2, "action": "update", "target_id": 3, "account_id": 5,
        "values": {"name": "Ann", "email": "ann@x.example", "role": "technical", "is_champion": True},
    }
    assert second["action"] == "create" and second["account_id"] == 5


def test_contacts_file_needs_an_account_column():
    parsed = ci.parse_upload(ci.CONTACTS, b"name,email\nA,a@x.example\n")
    assert any("account_external_id" in e for e in parsed.file_errors)


@pytest.mark.parametrize("kind", ci.KINDS)
def test_samples_parse_cleanly(kind):
    parsed = ci.parse_upload(kind, ci.sample_csv(kind, csm_email="csm@acme.example").encode())
    assert not parsed.file_errors and not parsed.ignored_columns


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "utf-16-le", "utf-16-be"])
def test_unicode_files_with_a_byte_order_mark_are_read(encoding):
    import codecs

    text = "Name,ARR,tier\nCaf\u00e9 M\u00fcller,5,\u00c9lite \u2013 \u4e2d\u6587\n"
    data = text.encode(encoding)
    if encoding == "utf-16-le":
        data = codecs.BOM_UTF16_LE + data
    elif encoding == "utf-16-be":
        data = codecs.BOM_UTF16_BE + data
    parsed = ci.parse_upload(ci.ACCOUNTS, data)
    assert not parsed.file_errors, parsed.file_errors
    assert parsed.columns == ["name", "arr", "tier"]
    assert parsed.frame.loc[0, "name"] == "Caf\u00e9 M\u00fcller"
    assert parsed.frame.loc[0, "tier"] == "\u00c9lite \u2013 \u4e2d\u6587"


def test_a_nul_in_a_field_rejects_that_row_by_line_not_truncating_it():
    filler = "".join(f"Filler {n},{n}\n" for n in range(400))  # pushes the NUL well past the first 4 KB
    v = accounts("name,external_id\nGood,G1\n" + filler + "Bad\x00Name,B1\nAlso good,G2\nTrail,T\x00\n")
    assert not v.ok
    nul_errors = [e for e in v.errors if "NUL" in e.message]
    assert [(e.line, e.column) for e in nul_errors] == [(403, "name"), (405, "external_id")]
    assert nul_errors[0].message == "name contains a NUL character (\\0): remove it and upload again."
    preview = {row["line"]: row["cells"] for row in v.preview_rows(limit=1000)}
    assert preview[403][0] == "Bad\\0Name"  # shown, not silently cut to "Bad"

    small = contacts("account_id,name\n7,Ann\x00\n", ids={7})
    assert [(e.line, e.column) for e in small.errors] == [(2, "name")]


def test_a_binary_file_is_still_not_a_csv():
    for data in (b"\x00\x01binary", bytes(range(256)) * 20, "name\nx\n".encode("utf-16-le")):
        assert "not a CSV text file" in ci.parse_upload(ci.ACCOUNTS, data).file_errors[0]


def test_a_negative_employee_count_must_be_zero_or_more():
    v = accounts("name,employee_count\nA,-5\nB,abc\nC,0\n")
    assert [(e.line, e.message) for e in v.errors] == [
        (2, "employee_count must be zero or more ('-5')."),
        (3, "'abc' is not a whole number (employee_count)."),
    ]
