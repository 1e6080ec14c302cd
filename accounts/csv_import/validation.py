"""The import rules: each a vectorised mask over a column, every failing cell a ``RowError`` naming
its line. The database facts the rules need come in as plain dicts (``accounts/imports.py``).
Pure: no database."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd

from accounts.csv_import.format import (
    ACCOUNT,
    ACCOUNT_STATUSES,
    ACTION,
    CONTACT_ROLES,
    CREATE,
    FALSE_WORDS,
    LIFECYCLE_STAGES,
    LINE,
    NUL_MARK,
    TARGET,
    TRUE_WORDS,
    UPDATE,
    Parsed,
    RowError,
    Validated,
)

_EMAIL_RE = r"[^@\s,;]+@[^@\s,;]+\.[^@\s,;]+"
_DATE_RE = r"\d{4}-\d{2}-\d{2}"
_MAX_ARR = Decimal("1e12")  # Account.arr: 14 digits, 2 decimal places
_MAX_INT = 2_147_483_647

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
