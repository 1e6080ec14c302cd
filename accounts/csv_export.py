"""CSV export of an account list, streamed row by row from a server-side cursor."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator

from accounts.models import Account

EXPORT_COLUMNS = [
    "id", "external_id", "name", "industry", "employee_count", "arr", "tier", "segment", "lifecycle_stage",
    "csm_email", "renewal_date", "status", "health_score", "health_status", "customer_since",
]


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _safe(value):
    """Text a spreadsheet would run as a formula is prefixed with an apostrophe (CSV injection, OWASP)."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return f"'{value}"
    return value


class _Echo:
    def write(self, value: str) -> str:
        return value


def account_rows(accounts: Iterable[Account]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(EXPORT_COLUMNS)
    for a in accounts.iterator(chunk_size=2000) if hasattr(accounts, "iterator") else accounts:
        yield writer.writerow(
            [_safe(cell) for cell in (
                a.pk, a.external_id or "", a.name, a.industry, a.employee_count or "", a.arr, a.tier, a.segment,
                a.lifecycle_stage, a.csm.email if a.csm else "", a.renewal_date or "", a.status,
                a.health_score if a.health_score is not None else "", a.health_status or "", a.customer_since or "",
            )]
        )
