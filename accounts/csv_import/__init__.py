"""CSV import of accounts and contacts, by job. Pure: no database.

- ``format``: kinds, columns, marker columns, the records between jobs (``Parsed``, ``Validated``,
  ``RowError``), sample files;
- ``parsing``: reading an upload (encodings, binary files, delimiter, headers, limits) and the stored copy;
- ``validation``: the rules, vectorised over columns, every failing cell named by line;
- ``commit``: the typed rows the writer (``accounts/imports.py``) commits.

A file is read with every cell as text, headers normalised, cells stripped. Each rule is one
vectorised mask over a column; every failing cell becomes a ``RowError`` naming its line in the
file (the header is line 1). The database facts the rules need (existing external ids, member
emails, accounts, contact emails) come in as plain dicts, gathered by ``accounts/imports.py``.

Semantics: accounts are keyed by ``external_id`` (an existing one is updated, otherwise the row
creates an account); contacts are keyed by email within their account. A blank cell leaves an
existing record's value unchanged, and takes the default on a new one.
"""

from accounts.csv_import.commit import typed_rows
from accounts.csv_import.format import (
    ACCOUNT,
    ACCOUNTS,
    ACTION,
    COLUMNS,
    CONTACTS,
    CREATE,
    KINDS,
    LINE,
    MAX_BYTES,
    MAX_ROWS,
    TARGET,
    UPDATE,
    Parsed,
    RowError,
    Validated,
    sample_csv,
)
from accounts.csv_import.parsing import normalise_header, parse_stored, parse_upload, to_stored_csv
from accounts.csv_import.validation import validate_accounts, validate_contacts

__all__ = [
    "ACCOUNT", "ACCOUNTS", "ACTION", "COLUMNS", "CONTACTS", "CREATE", "KINDS", "LINE", "MAX_BYTES", "MAX_ROWS",
    "TARGET", "UPDATE", "Parsed", "RowError", "Validated", "normalise_header", "parse_stored", "parse_upload",
    "sample_csv", "to_stored_csv", "typed_rows", "validate_accounts", "validate_contacts",
]
