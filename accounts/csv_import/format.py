"""The CSV import's file format: kinds, columns (with their help), the marker columns kept in the
stored file, and the records passed between the jobs (``Parsed``, ``Validated``, ``RowError``).
Pure: no database. Also the sample files of each kind."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
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

# A NUL in a cell would end it there (pandas' C reader) and cannot be stored: it is read as this
# noncharacter (Unicode's "for internal use"), so the rules can name the cell's line and column.
NUL_MARK = "\ufdd0"
NUL_SHOWN = "\\0"  # in the preview, as the error message writes it
# Byte-order marks, longest first (UTF-32 LE starts like UTF-16 LE).
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
