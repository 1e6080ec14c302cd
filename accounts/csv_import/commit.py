"""What the import's commit writes: a validated file's rows as typed Python values, with their line,
action and target ids (``accounts/imports.py`` writes them). Pure: no database."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pandas as pd

from accounts.csv_import.format import ACCOUNT, ACTION, LINE, TARGET, TRUE_WORDS, Validated


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


