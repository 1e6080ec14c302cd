"""CSV import services: gather what the rules need, keep a previewed file, write all or nothing.

The rules themselves are pure (``accounts/csv_import.py``). Here the current tenant's facts are
read in a fixed number of queries, a validated file is kept between preview and import under
``imports/<tenant_id>/<token>.csv`` in the default storage (MEDIA_ROOT on disk), and
``import_apply`` re-checks the file against the database as it is now and writes it with bulk
inserts and updates in one transaction, with one timeline entry per imported account.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models.functions import Lower, Upper
from django.utils import timezone

from accounts import csv_import, events
from accounts.csv_import import ACCOUNTS, CONTACTS, CREATE, Parsed, Validated
from accounts.hooks import ArrChange, accounts_changed, arr_changed
from accounts.models import Account, Activity, ActivityKind, Contact
from accounts.segments import segment_for
from accounts.services import activities_record_bulk, opening_arr_change
from base.errors import DomainError
from tenancy.context import get_current_tenant
from tenancy.models import User
from tenancy.selectors import tenant_users

logger = logging.getLogger(__name__)

IMPORT_DIR = "imports"
STALE_AFTER = timedelta(hours=24)
_TOKEN_RE = re.compile(r"^[0-9a-f]{32}$")
ACCOUNT_WRITABLE = (
    "name", "external_id", "industry", "employee_count", "arr", "tier", "lifecycle_stage", "csm_id",
    "renewal_date", "customer_since", "status",
)
CONTACT_WRITABLE = ("name", "email", "title", "phone", "role", "is_champion", "is_executive_sponsor")


class ImportRejected(DomainError):
    """The file (checked again at import time) has errors; nothing was written."""

    def __init__(self, validated: Validated, message: str = "The file has errors; nothing was imported."):
        super().__init__(message, field="file")
        self.validated = validated


@dataclass(frozen=True)
class ImportResult:
    kind: str
    created: int
    updated: int

    @property
    def total(self) -> int:
        return self.created + self.updated


# --- validation against the current tenant ------------------------------------------------------


def _given(parsed: Parsed, column: str) -> list[str]:
    if column not in parsed.frame:
        return []
    values = parsed.frame[column]
    return sorted(set(values[values != ""]))


def _member_ids_by_email(emails: list[str]) -> dict[str, int]:
    lowered = sorted({e.lower() for e in emails})
    if not lowered:
        return {}
    rows = tenant_users().annotate(email_key=Lower("email")).filter(email_key__in=lowered)
    return dict(rows.values_list("email_key", "pk"))


def import_validate(parsed: Parsed) -> Validated:
    """Check a parsed file against the rules and the current tenant's data (a few queries, any size)."""
    if parsed.file_errors:
        return Validated(parsed=parsed, errors=[])
    if parsed.kind == ACCOUNTS:
        external_ids = _given(parsed, "external_id")
        existing = dict(
            Account.objects.filter(external_id__in=external_ids).values_list("external_id", "pk")
        ) if external_ids else {}
        members = _member_ids_by_email(_given(parsed, "csm_email"))
        return csv_import.validate_accounts(parsed, existing_external_ids=existing, member_emails=set(members))
    external_ids = _given(parsed, "account_external_id")
    ids = [int(v) for v in _given(parsed, "account_id") if v.isdigit() and len(v) <= 15]
    by_external = dict(
        Account.objects.filter(external_id__in=external_ids).values_list("external_id", "pk")
    ) if external_ids else {}
    known_ids = set(Account.objects.filter(pk__in=ids).values_list("pk", flat=True)) if ids else set()
    emails = [e.upper() for e in _given(parsed, "email")]
    contacts = (
        Contact.objects.annotate(email_key=Upper("email")).filter(email_key__in=emails)
        .values_list("email", "pk", "account_id")
    ) if emails else []
    return csv_import.validate_contacts(
        parsed,
        account_ids_by_external_id=by_external,
        account_ids=known_ids,
        contacts_by_email={email.lower(): (pk, account_id) for email, pk, account_id in contacts},
    )


# --- the previewed file, kept between the two steps ---------------------------------------------


def _stored_name(tenant_id: int, token: str) -> str:
    return f"{IMPORT_DIR}/{tenant_id}/{token}.csv"


def import_store(*, parsed: Parsed) -> str:
    """Keep a validated file for the import step; returns its token (the session holds it)."""
    tenant = get_current_tenant()
    token = uuid.uuid4().hex
    default_storage.save(_stored_name(tenant.pk, token), ContentFile(csv_import.to_stored_csv(parsed).encode()))
    _discard_stale(tenant.pk)
    return token


def import_load(*, kind: str, token: str) -> Parsed | None:
    """The kept file of this tenant, or None (unknown or malformed token, or already used)."""
    if kind not in csv_import.KINDS or not _TOKEN_RE.match(token or ""):
        return None
    name = _stored_name(get_current_tenant().pk, token)
    if not default_storage.exists(name):
        return None
    with default_storage.open(name, "rb") as handle:
        return csv_import.parse_stored(kind, handle.read().decode())


def import_discard(*, token: str) -> None:
    if _TOKEN_RE.match(token or ""):
        default_storage.delete(_stored_name(get_current_tenant().pk, token))


def _discard_stale(tenant_id: int) -> None:
    """Remove files of previews nobody imported (older than a day)."""
    folder = f"{IMPORT_DIR}/{tenant_id}"
    cutoff = timezone.now() - STALE_AFTER
    try:
        _, files = default_storage.listdir(folder)
        for name in files:
            path = f"{folder}/{name}"
            if default_storage.get_modified_time(path) < cutoff:
                default_storage.delete(path)
    except (FileNotFoundError, NotImplementedError, OSError):  # cleanup is best effort
        logger.debug("import cleanup skipped for %s", folder, exc_info=True)


# --- the write -----------------------------------------------------------------------------------


@transaction.atomic
def import_apply(*, parsed: Parsed, actor: User | None, source_name: str = "") -> ImportResult:
    """Write a file all or nothing: re-checked now, then bulk inserts and updates in one transaction.

    Raises ``ImportRejected`` (nothing written) when any row is bad, including when the data
    changed since the preview.
    """
    validated = import_validate(parsed)
    if not validated.ok:
        raise ImportRejected(validated)
    rows = csv_import.typed_rows(validated)
    try:
        with transaction.atomic():
            writer = _write_accounts if parsed.kind == ACCOUNTS else _write_contacts
            return writer(rows, actor=actor, source_name=source_name)
    except IntegrityError as exc:
        logger.info("CSV import conflicted with a concurrent change: %s", exc)
        raise ImportRejected(
            validated, "Another change to the same records happened meanwhile; nothing was imported. Try again."
        ) from exc


def _show(field: str, value: Any, emails_by_id: dict[int, str]) -> str:
    """A value for the timeline; a CSM is shown by email when the file named them."""
    if value is None or value == "":
        return "—"
    return emails_by_id.get(value, f"user {value}") if field == "csm_id" else str(value)


def _write_accounts(rows: list[dict], *, actor: User | None, source_name: str) -> ImportResult:
    tenant = get_current_tenant()
    thresholds = tenant.get_segment_thresholds()
    member_ids = _member_ids_by_email([r["values"]["csm_email"] for r in rows if "csm_email" in r["values"]])
    existing = Account.objects.select_related("csm").in_bulk([r["target_id"] for r in rows if r["target_id"]])
    emails_by_id = {a.csm_id: a.csm.email for a in existing.values() if a.csm_id}
    emails_by_id.update({pk: email for email, pk in member_ids.items()})
    today, now = timezone.localdate(), timezone.now()
    created: list[tuple[Account, dict]] = []
    updated: list[tuple[Account, dict, list[str], str, str]] = []
    changed_fields: set[str] = set()
    arr_changes: list[tuple[Account, Any]] = []
    for row in rows:
        values = dict(row["values"])
        if "csm_email" in values:
            values["csm_id"] = member_ids[values.pop("csm_email").lower()]
        if row["action"] == CREATE:
            account = Account(tenant=tenant, **{f: v for f, v in values.items() if f in ACCOUNT_WRITABLE})
            account.customer_since = account.customer_since or today
            account.segment = segment_for(account.arr, thresholds)
            created.append((account, row))
            continue
        account = existing[row["target_id"]]
        changes = [f for f in ACCOUNT_WRITABLE if f in values and getattr(account, f) != values[f]]
        described = "; ".join(
            f"{f.removesuffix('_id')}: {_show(f, getattr(account, f), emails_by_id)} → {_show(f, values[f], emails_by_id)}"
            for f in changes
        )
        if "arr" in changes:
            arr_changes.append((account, account.arr))
        for f in changes:
            setattr(account, f, values[f])
        segment_before = account.segment
        account.segment = segment_for(account.arr, thresholds)
        account.updated_at = now
        changed_fields.update(changes)
        updated.append((account, row, changes, described, segment_before))

    Account.objects.bulk_create([a for a, _ in created], batch_size=1000)
    if updated:
        Account.objects.bulk_update(
            [a for a, *_ in updated], fields=sorted(changed_fields | {"segment", "updated_at"}), batch_size=500
        )
    meta = {"file": source_name}
    activities = [
        Activity(
            account=account, kind=ActivityKind.SYSTEM, subject="Created by CSV import", author=actor,
            source="accounts", ref_type="import", metadata=meta | {"line": row["line"]},
        )
        for account, row in created
    ] + [
        Activity(
            account=account, kind=ActivityKind.SYSTEM, subject="Updated by CSV import",
            body=described or "No field changed.", author=actor, source="accounts", ref_type="import",
            metadata=meta | {"line": row["line"], "changed": [c.removesuffix("_id") for c in changes]},
        )
        for account, row, changes, described, _ in updated
    ]
    activities_record_bulk(activities)
    accounts_changed(tenant=tenant, changes={
        account.pk: [c.removesuffix("_id") for c in changes] for account, _, changes, *_ in updated
    })
    arr_changed(tenant=tenant, actor=actor, changes=[
        opening_arr_change(account, source="import") for account, _ in created
    ] + [
        ArrChange(account_id=account.pk, old_arr=old, new_arr=account.arr, on=today, source="import")
        for account, old in arr_changes
    ])
    events.publish_written(tenant_id=tenant.pk, created_ids=[account.pk for account, _ in created], changed={
        account.pk: changes + (["segment"] if account.segment != segment_before else [])
        for account, _, changes, _, segment_before in updated
    })
    return ImportResult(kind=ACCOUNTS, created=len(created), updated=len(updated))


def _write_contacts(rows: list[dict], *, actor: User | None, source_name: str) -> ImportResult:
    tenant = get_current_tenant()
    existing = Contact.objects.in_bulk([r["target_id"] for r in rows if r["target_id"]])
    created: list[Contact] = []
    updated: list[Contact] = []
    changed_fields: set[str] = set()
    names_by_account: dict[int, dict[str, list[str]]] = defaultdict(lambda: {"added": [], "updated": []})
    for row in rows:
        values = {f: v for f, v in row["values"].items() if f in CONTACT_WRITABLE}
        if row["action"] == CREATE:
            contact = Contact(tenant=tenant, account_id=row["account_id"], **values)
            created.append(contact)
            names_by_account[contact.account_id]["added"].append(contact.name)
            continue
        contact = existing[row["target_id"]]
        changes = [f for f, v in values.items() if getattr(contact, f) != v]
        for f in changes:
            setattr(contact, f, values[f])
        changed_fields.update(changes)
        updated.append(contact)
        names_by_account[contact.account_id]["updated"].append(contact.name)

    Contact.objects.bulk_create(created, batch_size=1000)
    if updated and changed_fields:
        Contact.objects.bulk_update(updated, fields=sorted(changed_fields), batch_size=500)
    activities = []
    for account_id, names in names_by_account.items():
        parts = [f"{len(names[k])} contact{'s' if len(names[k]) != 1 else ''} {k}" for k in ("added", "updated") if names[k]]
        body = "\n".join(f"{k.capitalize()}: {', '.join(names[k])}" for k in ("added", "updated") if names[k])
        activities.append(
            Activity(
                account_id=account_id, kind=ActivityKind.SYSTEM, subject=f"CSV import: {', '.join(parts)}", body=body,
                author=actor, source="accounts", ref_type="import", metadata={"file": source_name},
            )
        )
    activities_record_bulk(activities)
    return ImportResult(kind=CONTACTS, created=len(created), updated=len(updated))
