"""Parse and validate account and contact CSV files with pandas. Pure: no database.

A file is read with every cell as text, headers normalised, cells stripped. Each rule is one
vectorised mask over a column; every failing cell becomes a ``RowError`` naming its line in the
file (the header is line 1). The database facts the rules need (existing external ids, member
emails, accounts, contact emails) come in as plain dicts, gathered by ``accounts/imports.py``.

Semantics: accounts are keyed by ``external_id`` (an existing one is updated, otherwise the row
creates an account); contacts are keyed by email within their account. A blank cell leaves an
existing record's value unchanged, and takes the default on a new one.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import pandas as pd

ACCOUNTS = "accounts"
CONTACTS = "contacts"
KINDS = (ACCOUNTS, CONTACTS)

MAX_ROWS = 10_000
MAX_BYTES = 10 * 1024 * 1024
LINE = "__line__"  # original line number, kept in the stored (normalised) file
ACTION = "__action__"  # "create" | "update"
TARGET = "__target__"  # id of the existing record an update writes to
ACCOUNT = "__account__"  # contacts: id of the account the row belongs to
CREATE, UPDATE = "create", "update"

ACCOUNT_COLUMNS: dict[str, str] = {
    "name": "Required. Up to 200 characters.",
    "external_id": "Your CRM id. An account with this id is updated; otherwise one is created.",
    "industry": "Up to 100 characters.",
    "employee_count": "Whole number, zero or more.",
    "arr": "Annual recurring revenue, e.g. 48000 or 48000.50. Not negative. Sets the segment.",
    "tier": "Up to 50 characters, e.g. Starter, Pro, Enterprise.",
    "lifecycle_stage": "onboarding, adoption, value_realization, expansion, advocacy or renewal.",
    "csm_email": "Email of a member of this workspace.",
    "renewal_date": "Date, YYYY-MM-DD.",
    "customer_since": "Date, YYYY-MM-DD (default: today, for new accounts).",
    "status": "active or churned.",
}
CONTACT_COLUMNS: dict[str, str] = {
    "account_external_id": "The account's external id (or give account_id).",
    "account_id": "The account's id in this platform (or give account_external_id).",
    "name": "Required. Up to 200 characters.",
    "email": "A contact with this email on the same account is updated; on another account it is an error.",
    "title": "Job title, up to 200 characters.",
    "phone": "Up to 50 characters.",
    "role": "technical, business, executive or other.",
    "is_champion": "true/false, yes/no or 1/0.",
    "is_executive_sponsor": "true/false, yes/no or 1/0.",
}
COLUMNS = {ACCOUNTS: ACCOUNT_COLUMNS, CONTACTS: CONTACT_COLUMNS}

LIFECYCLE_STAGES = ("onboarding", "adoption", "value_realization", "expansion", "advocacy", "renewal")
ACCOUNT_STATUSES = ("active", "churned")
CONTACT_ROLES = ("technical", "business", "executive", "other")
TRUE_WORDS = ("true", "yes", "y", "1")
FALSE_WORDS = ("false", "no", "n", "0")

_EMAIL_RE = r"[^@\s,;]+@[^@\s,;]+\.[^@\s,;]+"
_DATE_RE = r"\d{4}-\d{2}-\d{2}"
_MAX_ARR = Decimal("1e12")  # Account.arr: 14 digits, 2 decimal places
_MAX_INT = 2_147_483_647
# A NUL in a cell would end it there (pandas' C reader) and cannot be stored: it is read as this
# noncharacter (Unicode's "for internal use"), so the rules can name the cell's line and column.
NUL_MARK = "\ufdd0"
NUL_SHOWN = "\\0"  # in the preview, as the error message writes it
# Byte-order marks, longest first (UTF-32 LE starts like UTF-16 LE).
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"),
)
_BINARY_CONTROLS = re.compile("[\x00-\x08\x0e-\x1f]")


@dataclass(frozen=True, order=True)
class RowError:
    line: int
    column: str
    message: str


@dataclass
class Parsed:
    """A file read into a frame of stripped strings, with each row's original line number."""

    kind: str
    frame: pd.DataFrame
    columns: list[str]
    ignored_columns: list[str] = field(default_factory=list)
    file_errors: list[str] = field(default_factory=list)


@dataclass
class Validated:
    """A parsed file checked against the rules: the rows with their action, and every problem."""

    parsed: Parsed
    errors: list[RowError]

    @property
    def kind(self) -> str:
        return self.parsed.kind

    @property
    def frame(self) -> pd.DataFrame:
        return self.parsed.frame

    @property
    def file_errors(self) -> list[str]:
        return self.parsed.file_errors

    @property
    def ok(self) -> bool:
        return not self.errors and not self.file_errors and self.row_count > 0

    @property
    def row_count(self) -> int:
        return len(self.frame)

    @property
    def creates(self) -> int:
        return int((self.frame[ACTION] == CREATE).sum()) if ACTION in self.frame else 0

    @property
    def updates(self) -> int:
        return int((self.frame[ACTION] == UPDATE).sum()) if ACTION in self.frame else 0

    @property
    def bad_lines(self) -> int:
        return len({e.line for e in self.errors})

    def preview_rows(self, limit: int = 10) -> list[dict[str, Any]]:
        head = self.frame.head(limit)
        bad = {e.line for e in self.errors}
        return [
            {
                "line": int(row[LINE]), "action": row.get(ACTION, ""), "bad": int(row[LINE]) in bad,
                "cells": [str(row[c]).replace(NUL_MARK, NUL_SHOWN) for c in self.parsed.columns],
            }
            for row in head.to_dict("records")
        ]


# --- reading -------------------------------------------------------------------------------------


def normalise_header(name: str) -> str:
    return "_".join(str(name).strip().lower().replace("-", " ").split())


def _decode(data: bytes) -> str:
    """The file's text: by its byte-order mark (UTF-8, UTF-16 or UTF-32, as Excel's "Unicode text"
    writes), else UTF-8, else Windows-1252 (Excel's "CSV" on Windows)."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError as exc:
                raise ValueError(f"The file starts as {encoding.upper()} but is not valid {encoding.upper()}.") from exc
    for encoding in ("utf-8", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ValueError("The file is not UTF-8 text.")


def _looks_binary(text: str) -> bool:
    """More than 5% control characters (other than tab and line ends) near the start: not text. A
    stray NUL in a cell of a text file is the row's problem, reported by line."""
    head = text[:4096]
    return bool(head) and len(_BINARY_CONTROLS.findall(head)) * 20 > len(head)


def _delimiter(text: str) -> str:
    header = text.split("\n", 1)[0]
    return max((",", ";", "\t"), key=header.count)


def parse_upload(kind: str, data: bytes) -> Parsed:
    """Read an uploaded CSV. Problems with the file as a whole go to ``file_errors``."""
    if kind not in KINDS:
        raise ValueError(f"Unknown import kind {kind!r}")
    empty = Parsed(kind=kind, frame=pd.DataFrame(columns=[LINE]), columns=[])
    if len(data) > MAX_BYTES:
        empty.file_errors.append(f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB; split it.")
        return empty
    try:
        text = _decode(data)
    except ValueError as exc:
        text = data[:4096].decode("latin-1")  # only to tell binary from mis-encoded text
        if not _looks_binary(text):
            empty.file_errors.append(f"The file could not be read as CSV: {exc}")
            return empty
    if _looks_binary(text):
        empty.file_errors.append(
            "This is not a CSV text file. Save it as CSV (UTF-8), or as Unicode text with its byte-order mark."
        )
        return empty
    try:
        text = text.replace(NUL_MARK, "\ufffd").replace("\x00", NUL_MARK)
        raw = pd.read_csv(
            io.StringIO(text), header=None, dtype=str, keep_default_na=False, na_filter=False,
            skip_blank_lines=False, sep=_delimiter(text), quotechar='"', engine="c",
        )
    except pd.errors.EmptyDataError:
        empty.file_errors.append("The file is empty.")
        return empty
    except (pd.errors.ParserError, ValueError) as exc:
        empty.file_errors.append(f"The file could not be read as CSV: {str(exc).strip()}")
        return empty
    raw = raw.fillna("").astype(str)
    headers = [normalise_header(h) for h in raw.iloc[0]]
    body = raw.iloc[1:].copy()
    body.columns = range(len(headers))
    # A quoted cell may span lines: each embedded newline pushes the following rows down one line.
    newlines = body.apply(lambda col: col.str.count("\n")).sum(axis=1)
    lines = 2 + pd.Series(range(len(body)), index=body.index) + newlines.cumsum().shift(fill_value=0)
    body = body.apply(lambda col: col.str.strip())
    keep = (body != "").any(axis=1)
    return _shape(kind, headers, body[keep], lines[keep])


def _shape(kind: str, headers: list[str], body: pd.DataFrame, lines: pd.Series) -> Parsed:
    """Name the columns, keep the known ones, and check the header as a whole."""
    known = COLUMNS[kind]
    file_errors: list[str] = []
    duplicated = sorted(h for h, n in pd.Series(headers).value_counts().items() if n > 1 and h)
    if duplicated:
        file_errors.append(f"Columns appear more than once: {', '.join(duplicated)}.")
    columns = [h for h in dict.fromkeys(headers) if h in known]
    ignored = [h for h in dict.fromkeys(headers) if h not in known and h]
    frame = pd.DataFrame({h: body[headers.index(h)].to_numpy() for h in columns}, index=range(len(body)))
    frame.insert(0, LINE, lines.to_numpy().astype(int))
    if "name" not in columns:
        file_errors.append("The file needs a `name` column.")
    if kind == CONTACTS and not {"account_external_id", "account_id"} & set(columns):
        file_errors.append("The file needs an `account_external_id` or an `account_id` column.")
    if not file_errors and frame.empty:
        file_errors.append("The file has a header but no rows.")
    if len(frame) > MAX_ROWS:
        file_errors.append(f"The file has {len(frame)} rows; import at most {MAX_ROWS} at a time.")
    return Parsed(kind=kind, frame=frame, columns=columns, ignored_columns=ignored, file_errors=file_errors)


def to_stored_csv(parsed: Parsed) -> str:
    """The normalised rows (with their original line numbers) as CSV, to keep between preview and import."""
    return parsed.frame[[LINE, *parsed.columns]].to_csv(index=False)


def parse_stored(kind: str, text: str) -> Parsed:
    """Read back what ``to_stored_csv`` wrote."""
    frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, na_filter=False)
    columns = [c for c in frame.columns if c != LINE]
    frame[LINE] = frame[LINE].astype(int)
    return Parsed(kind=kind, frame=frame.reset_index(drop=True), columns=columns)


# --- validation ----------------------------------------------------------------------------------


class _Rules:
    """Collects errors from boolean masks over the frame."""

    def __init__(self, frame: pd.DataFrame):
        self.frame = frame
        self.errors: list[RowError] = []

    def col(self, name: str) -> pd.Series:
        if name in self.frame:
            return self.frame[name]
        return pd.Series("", index=self.frame.index, dtype=object)

    def flag(self, mask: pd.Series, column: str, message: str) -> None:
        """``message`` may use {value} for the cell's value."""
        mask = mask.fillna(False).astype(bool)
        if not mask.any():
            return
        values = self.col(column)[mask]
        for line, value in zip(self.frame.loc[mask, LINE], values, strict=True):
            self.errors.append(RowError(int(line), column, message.format(value=value)))

    def no_nul(self, columns: list[str]) -> None:
        for column in columns:
            self.flag(
                self.col(column).str.contains(NUL_MARK, regex=False), column,
                f"{column} contains a NUL character (\\0): remove it and upload again.",
            )

    def required(self, column: str) -> None:
        self.flag(self.col(column) == "", column, f"{column} is required.")

    def max_length(self, column: str, limit: int) -> None:
        self.flag(self.col(column).str.len() > limit, column, f"{column} is longer than {limit} characters.")

    def choice(self, column: str, allowed: tuple[str, ...]) -> None:
        """Accepts labels too ("Value realization" -> value_realization); writes the key back."""
        if column not in self.frame:
            return
        keys = self.frame[column].str.lower().str.replace(r"[\s-]+", "_", regex=True)
        self.frame[column] = keys
        self.flag((keys != "") & ~keys.isin(allowed), column, f"'{{value}}' is not one of: {', '.join(allowed)}.")

    def date(self, column: str) -> None:
        values = self.col(column)
        given = values != ""
        shaped = values.str.fullmatch(_DATE_RE)
        real = pd.to_datetime(values.where(given & shaped), format="%Y-%m-%d", errors="coerce").notna()
        self.flag(given & ~(shaped & real), column, f"'{{value}}' is not a date YYYY-MM-DD ({column}).")

    def whole_number(self, column: str) -> None:
        if column not in self.frame:
            return
        values = self.frame[column].str.replace(",", "", regex=False).str.replace(r"\.0+$", "", regex=True)
        self.frame[column] = values
        given = values != ""
        shaped = values.str.fullmatch(r"\d{1,10}")
        negative = values.str.fullmatch(r"-\d+")
        self.flag(negative, column, f"{column} must be zero or more ('{{value}}').")
        self.flag(given & ~shaped & ~negative, column, f"'{{value}}' is not a whole number ({column}).")
        numbers = pd.to_numeric(values.where(given & shaped), errors="coerce")
        self.flag(numbers > _MAX_INT, column, f"{column} is too large.")

    def money(self, column: str) -> None:
        if column not in self.frame:
            return
        values = self.frame[column].str.replace(r"[,\s]", "", regex=True)
        self.frame[column] = values
        given = values != ""
        numeric = values.str.fullmatch(r"-?\d+(\.\d+)?")
        self.flag(given & ~numeric, column, f"'{{value}}' is not a number ({column}).")
        ok = given & numeric
        self.flag(ok & values.str.startswith("-"), column, f"{column} cannot be negative.")
        self.flag(ok & values.str.fullmatch(r"-?\d+\.\d{3,}"), column, f"{column} has more than 2 decimal places.")
        amounts = pd.to_numeric(values.where(ok), errors="coerce")
        self.flag(ok & (amounts >= float(_MAX_ARR)), column, f"{column} is too large.")

    def boolean(self, column: str) -> None:
        if column not in self.frame:
            return
        values = self.frame[column].str.lower()
        self.frame[column] = values
        self.flag(
            (values != "") & ~values.isin(TRUE_WORDS + FALSE_WORDS), column, f"'{{value}}' is not true or false ({column}).",
        )

    def email(self, column: str) -> None:
        if column not in self.frame:
            return
        values = self.frame[column].str.lower()
        self.frame[column] = values
        self.flag((values != "") & ~values.str.fullmatch(_EMAIL_RE), column, "'{value}' is not an email address.")
        self.max_length(column, 254)

    def unique_in_file(self, column: str, *, ignore_case: bool) -> None:
        values = self.col(column)
        key = values.str.lower() if ignore_case else values
        repeated = (values != "") & key.duplicated(keep=False)
        if not repeated.any():
            return
        lines_by_key = self.frame.loc[repeated].groupby(key[repeated])[LINE].apply(list).to_dict()
        for line, value, k in zip(self.frame.loc[repeated, LINE], values[repeated], key[repeated], strict=True):
            others = ", ".join(str(n) for n in lines_by_key[k] if n != line)
            self.errors.append(RowError(int(line), column, f"{column} '{value}' appears more than once in the file (also line {others})."))


def validate_accounts(parsed: Parsed, *, existing_external_ids: dict[str, int], member_emails: set[str]) -> Validated:
    """Check an accounts file.

    ``existing_external_ids`` maps this tenant's external ids (those in the file) to account ids;
    ``member_emails`` holds the lower-cased emails of the tenant's members.
    """
    frame = parsed.frame
    if parsed.file_errors:
        return Validated(parsed=parsed, errors=[])
    rules = _Rules(frame)
    rules.no_nul(parsed.columns)
    rules.required("name")
    for column, limit in (("name", 200), ("external_id", 128), ("industry", 100), ("tier", 50)):
        rules.max_length(column, limit)
    rules.unique_in_file("external_id", ignore_case=False)
    rules.whole_number("employee_count")
    rules.money("arr")
    rules.choice("lifecycle_stage", LIFECYCLE_STAGES)
    rules.choice("status", ACCOUNT_STATUSES)
    rules.date("renewal_date")
    rules.date("customer_since")
    if "csm_email" in frame:
        frame["csm_email"] = frame["csm_email"].str.lower()
        unknown = (frame["csm_email"] != "") & ~frame["csm_email"].isin(member_emails)
        rules.flag(unknown, "csm_email", "No member of this workspace has the email '{value}'.")
    targets = rules.col("external_id").map(existing_external_ids)
    frame[TARGET] = targets.astype("Int64")
    frame[ACTION] = targets.notna().map({True: UPDATE, False: CREATE})
    return Validated(parsed=parsed, errors=sorted(rules.errors))


def validate_contacts(
    parsed: Parsed,
    *,
    account_ids_by_external_id: dict[str, int],
    account_ids: set[int],
    contacts_by_email: dict[str, tuple[int, int]],
) -> Validated:
    """Check a contacts file.

    ``account_ids_by_external_id`` and ``account_ids`` are this tenant's accounts named in the file;
    ``contacts_by_email`` maps lower-cased emails of existing contacts to (contact id, account id).
    """
    frame = parsed.frame
    if parsed.file_errors:
        return Validated(parsed=parsed, errors=[])
    rules = _Rules(frame)
    rules.no_nul(parsed.columns)
    rules.required("name")
    for column, limit in (("name", 200), ("title", 200), ("phone", 50)):
        rules.max_length(column, limit)
    rules.email("email")
    rules.unique_in_file("email", ignore_case=True)
    rules.choice("role", CONTACT_ROLES)
    rules.boolean("is_champion")
    rules.boolean("is_executive_sponsor")

    by_external = rules.col("account_external_id")
    by_id = rules.col("account_id")
    id_shaped = by_id.str.fullmatch(r"\d{1,15}")
    rules.flag((by_id != "") & ~id_shaped, "account_id", "'{value}' is not an account id.")
    from_id = pd.to_numeric(by_id.where(id_shaped), errors="coerce").astype("Int64")
    from_id = from_id.where(from_id.isin(list(account_ids)))
    from_external = by_external.map(account_ids_by_external_id).astype("Int64")
    rules.flag((by_external == "") & (by_id == ""), "account_external_id", "account_external_id or account_id is required.")
    rules.flag((by_external != "") & from_external.isna(), "account_external_id", "No account has external_id '{value}'.")
    rules.flag(id_shaped & from_id.isna(), "account_id", "No account has id {value}.")
    both = from_id.notna() & from_external.notna()
    rules.flag(both & (from_id != from_external), "account_id", "account_id and account_external_id name different accounts.")
    account = from_id.fillna(from_external)
    frame[ACCOUNT] = account

    emails = rules.col("email")
    existing = emails.map(contacts_by_email)
    existing_contact = existing.map(lambda v: v[0] if isinstance(v, tuple) else None).astype("Int64")
    existing_account = existing.map(lambda v: v[1] if isinstance(v, tuple) else None).astype("Int64")
    elsewhere = (existing_contact.notna() & account.notna() & (existing_account != account)).fillna(False).astype(bool)
    rules.flag(elsewhere, "email", "'{value}' is already used by a contact of another account.")
    same = existing_contact.notna() & ~elsewhere
    frame[TARGET] = existing_contact.where(same)
    frame[ACTION] = same.map({True: UPDATE, False: CREATE})
    return Validated(parsed=parsed, errors=sorted(rules.errors))


# --- typed values for the writer -----------------------------------------------------------------


def _typed(column: str, value: str) -> Any:
    if column == "arr":
        return Decimal(value)
    if column == "employee_count":
        return int(value)
    if column in ("renewal_date", "customer_since"):
        return date.fromisoformat(value)
    if column in ("is_champion", "is_executive_sponsor"):
        return value in TRUE_WORDS
    return value


def typed_rows(validated: Validated) -> list[dict[str, Any]]:
    """Each row's given (non-blank) cells as Python values, with its line, action and target ids.

    Account rows carry ``csm_email`` (the writer resolves it); contact rows ``account_id``.
    """
    if not validated.ok:
        raise ValueError("Only a file without errors can be written.")
    skip = {"account_external_id", "account_id"}
    rows = []
    for record in validated.frame.to_dict("records"):
        values = {
            c: _typed(c, record[c]) for c in validated.parsed.columns if c not in skip and record[c] != ""
        }
        target = record.get(TARGET)
        account = record.get(ACCOUNT)
        rows.append(
            {
                "line": int(record[LINE]),
                "action": record[ACTION],
                "target_id": None if pd.isna(target) else int(target),
                "account_id": None if account is None or pd.isna(account) else int(account),
                "values": values,
            }
        )
    return rows


# --- samples -------------------------------------------------------------------------------------


def sample_csv(kind: str, *, csm_email: str = "") -> str:
    """A small file that shows every column (importing the accounts sample, then the contacts one, works)."""
    out = io.StringIO()
    writer = csv.writer(out)
    if kind == ACCOUNTS:
        writer.writerow(ACCOUNT_COLUMNS)
        writer.writerow(["Northwind Traders", "CRM-1001", "Retail", "1200", "180000", "Enterprise", "adoption",
                         csm_email, "2026-03-31", "2023-04-01", "active"])
        writer.writerow(["Blue Yonder Labs", "CRM-1002", "Software", "85", "36000.50", "Pro", "onboarding",
                         "", "2025-12-15", "", "active"])
        writer.writerow(["Tiny Tools", "", "Manufacturing", "12", "9000", "Starter", "", "", "", "", ""])
    elif kind == CONTACTS:
        writer.writerow([c for c in CONTACT_COLUMNS if c != "account_id"])
        writer.writerow(["CRM-1001", "Dana Whitfield", "dana@northwind.example", "VP Operations", "+1 555 0100",
                         "executive", "no", "yes"])
        writer.writerow(["CRM-1001", "Sam Ortiz", "sam@northwind.example", "IT lead", "", "technical", "yes", "no"])
        writer.writerow(["CRM-1002", "Lee Park", "lee@blueyonder.example", "Head of Data", "", "business", "true",
                         "false"])
    else:
        raise ValueError(f"Unknown import kind {kind!r}")
    return out.getvalue()
