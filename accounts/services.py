"""Writes on accounts, contacts, the timeline and tasks. Views, API, tasks and commands all come here."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Case, CharField, Value, When
from django.utils import timezone

from accounts import events
from accounts.cta_rows import CtaRow, cta_rows_insert
from accounts.hooks import ArrChange, accounts_changed, arr_changed
from accounts.models import (
    Account,
    Activity,
    ActivityKind,
    ActivitySource,
    Contact,
    Task,
    TaskPriority,
    TaskSource,
    TaskStatus,
)
from accounts.segments import segment_for, sorted_thresholds
from base.errors import DomainError
from tenancy.context import get_current_tenant
from tenancy.models import Tenant, User
from tenancy.selectors import can_own_work

ACCOUNT_FIELDS = (
    "external_id", "name", "industry", "employee_count", "arr", "tier", "lifecycle_stage", "csm",
    "renewal_date", "status", "customer_since", "payment_overdue",
)
CONTACT_FIELDS = (
    "account", "name", "email", "title", "phone", "role", "is_champion", "is_executive_sponsor", "left_company",
)


def _validate_account(account: Account) -> None:
    account.full_clean(exclude=["tenant", "segment", "csm"], validate_unique=False, validate_constraints=False)
    if account.external_id:
        clash = Account.objects.filter(external_id=account.external_id).exclude(pk=account.pk).exists()
        if clash:
            raise DomainError(f"Another account already has external_id {account.external_id!r}.", field="external_id")


def _apply(instance, data: dict[str, Any], allowed: Iterable[str]) -> list[str]:
    changed = []
    for field in allowed:
        if field in data and getattr(instance, field, None) != data[field]:  # None: FK not set yet
            setattr(instance, field, data[field])
            changed.append(field)
    return changed


@transaction.atomic
def account_create(*, actor: User | None = None, **data: Any) -> Account:
    tenant = get_current_tenant()
    if data.get("external_id") == "":
        data["external_id"] = None
    account = Account(tenant=tenant)
    _apply(account, data, ACCOUNT_FIELDS)
    account.segment = segment_for(account.arr, tenant.get_segment_thresholds())
    if account.customer_since is None:
        account.customer_since = timezone.localdate()
    _validate_account(account)
    _save_unique(account, field="external_id", message=f"Another account already has external_id {account.external_id!r}.")
    activity_record(
        account=account, kind=ActivityKind.SYSTEM, subject="Account created", actor=actor, source=ActivitySource.ACCOUNTS
    )
    arr_changed(tenant=tenant, changes=[opening_arr_change(account)], actor=actor)
    events.publish_created(tenant_id=tenant.pk, accounts=[account])
    return account


def opening_arr_change(account: Account, *, source: str = "account") -> ArrChange:
    """A new account's ARR, dated when it became a customer (never later than today)."""
    today = timezone.localdate()
    return ArrChange(
        account_id=account.pk, old_arr=Decimal("0"), new_arr=account.arr,
        on=min(account.customer_since or today, today), source=source,
    )


@transaction.atomic
def account_update(*, account: Account, actor: User | None = None, **data: Any) -> Account:
    tenant = get_current_tenant()
    if data.get("external_id") == "":
        data["external_id"] = None
    before = {f: getattr(account, f) for f in ACCOUNT_FIELDS}
    changed = _apply(account, data, ACCOUNT_FIELDS)
    if not changed:
        return account
    segment_before = account.segment
    account.segment = segment_for(account.arr, tenant.get_segment_thresholds())
    _validate_account(account)
    _save_unique(account, field="external_id", message=f"Another account already has external_id {account.external_id!r}.")
    _record_update(account, before, changed, actor=actor)
    if "arr" in changed:
        arr_changed(
            tenant=tenant, actor=actor,
            changes=[ArrChange(account_id=account.pk, old_arr=before["arr"], new_arr=account.arr, on=timezone.localdate())],
        )
    segment_changed = ["segment"] if account.segment != segment_before else []
    events.publish_updated(tenant_id=tenant.pk, accounts=[account], changed={account.pk: changed + segment_changed})
    return account


@transaction.atomic
def accounts_arr_set_from_ledger(*, arrs: Mapping[int, Decimal], actor: User | None = None) -> int:
    """Set accounts' ARR to what the ARR ledger says (the ledger calls this after writing movements, and
    when future-dated movements fall due). Segment follows; the change is on the timeline and told to the
    "account changed" hooks, but NOT to the "ARR changed" hooks: the ledger already holds the movement, and
    announcing it would write a second one. Accounts already at their value are left alone. Returns how many
    accounts changed. A constant number of queries."""
    tenant = get_current_tenant()
    thresholds = tenant.get_segment_thresholds()
    accounts = Account.objects.select_for_update(of=("self",)).select_related("csm").in_bulk(list(arrs))
    changed: list[tuple[Account, Decimal]] = []
    segment_moved: set[int] = set()
    for pk, account in accounts.items():
        if account.arr != arrs[pk]:
            changed.append((account, account.arr))
            account.arr = arrs[pk]
            segment = segment_for(account.arr, thresholds)
            if segment != account.segment:
                segment_moved.add(pk)
            account.segment = segment
            account.updated_at = timezone.now()
    if not changed:
        return 0
    Account.objects.bulk_update([a for a, _ in changed], fields=["arr", "segment", "updated_at"], batch_size=1000)
    activities_record_bulk([
        Activity(
            account=account, kind=ActivityKind.SYSTEM, subject="Account updated", body=f"arr: {old} → {account.arr}",
            author=actor, source=ActivitySource.ACCOUNTS, metadata={"changed": ["arr"], "by": "arr_ledger"},
        )
        for account, old in changed
    ])
    accounts_changed(tenant=tenant, changes={account.pk: ["arr", "segment"] for account, _ in changed})
    events.publish_updated(tenant_id=tenant.pk, accounts=[a for a, _ in changed], changed={
        account.pk: ["arr", "segment"] if account.pk in segment_moved else ["arr"] for account, _ in changed
    })
    return len(changed)


@transaction.atomic
def account_record_first_value(
    *, account: Account, at: datetime, time_to_value_days: int, actor: User | None = None
) -> Account:
    """Record when the account first got value from the product and how many days that took (onboarding
    calls this): both fields set in one UPDATE, the change on the timeline as any account update."""
    before = {"first_value_at": account.first_value_at, "time_to_value_days": account.time_to_value_days}
    after = {"first_value_at": at, "time_to_value_days": time_to_value_days}
    Account.objects.filter(pk=account.pk).update(**after)
    account.first_value_at, account.time_to_value_days = at, time_to_value_days
    changed = [field for field in after if before[field] != after[field]]
    if changed:
        _record_update(account, before, changed, actor=actor)
        events.publish_written(tenant_id=account.tenant_id, changed={account.pk: changed})
    return account


@transaction.atomic
def account_advance_lifecycle(
    *, account: Account, from_stage: str, to_stage: str, actor: User | None = None
) -> Account:
    """Move the account to ``to_stage`` if it is still at ``from_stage`` (re-read under a row lock), so
    e.g. finishing onboarding never moves back an account that is already further along. Returns the
    account as it now is."""
    current = Account.objects.select_for_update(of=("self",)).get(pk=account.pk)
    if current.lifecycle_stage != from_stage:
        return current
    return account_update(account=current, actor=actor, lifecycle_stage=to_stage)


def _record_update(account: Account, before: dict[str, Any], changed: list[str], *, actor: User | None) -> Activity:
    described = ", ".join(f"{f}: {_show(before[f])} → {_show(getattr(account, f))}" for f in changed)
    activity = activity_record(
        account=account, kind=ActivityKind.SYSTEM, subject="Account updated", body=described, actor=actor,
        source=ActivitySource.ACCOUNTS, metadata={"changed": changed},
    )
    accounts_changed(tenant=get_current_tenant(), changes={account.pk: changed})
    return activity


def _show(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, User):
        return value.email
    return str(value)


@transaction.atomic
def account_delete(*, account: Account) -> None:
    account.delete()


def segments_recompute(*, tenant: Tenant) -> int:
    """Re-derive every account's segment after the tenant's thresholds change: one UPDATE."""
    whens = [When(arr__gte=minimum, then=Value(key)) for key, minimum in sorted_thresholds(tenant.get_segment_thresholds())]
    return Account.objects.update(segment=Case(*whens, output_field=CharField()))


@transaction.atomic
def contact_create(*, actor: User | None = None, **data: Any) -> Contact:
    contact = Contact(tenant=get_current_tenant())
    _apply(contact, data, CONTACT_FIELDS)
    if contact.left_company:
        contact.left_company_at = timezone.now()
    _save_contact(contact)
    return contact


@transaction.atomic
def contact_update(*, contact: Contact, actor: User | None = None, **data: Any) -> Contact:
    was_gone = contact.left_company
    changed = _apply(contact, data, CONTACT_FIELDS)
    if not changed:
        return contact
    if contact.left_company and not was_gone:
        contact.left_company_at = timezone.now()
        activity_record(
            account=contact.account, kind=ActivityKind.SYSTEM,
            subject=f"{contact.name} left the company" + (" (champion)" if contact.is_champion else ""),
            actor=actor, source=ActivitySource.ACCOUNTS, ref_type="contact", ref_id=contact.pk,
        )
    elif not contact.left_company:
        contact.left_company_at = None
    _save_contact(contact)
    return contact


def _save_contact(contact: Contact) -> None:
    contact.email = (contact.email or "").strip().lower()
    contact.full_clean(exclude=["tenant", "account"], validate_unique=False, validate_constraints=False)
    if contact.email and Contact.objects.filter(email__iexact=contact.email).exclude(pk=contact.pk).exists():
        raise DomainError(f"Another contact already has the email {contact.email}.", field="email")
    _save_unique(contact, field="email", message=f"Another contact already has the email {contact.email}.")


def _save_unique(instance, *, field: str, message: str) -> None:
    """Save; a unique constraint hit by a concurrent writer (after our check passed) is the same 400."""
    try:
        with transaction.atomic():
            instance.save()
    except IntegrityError as exc:
        raise DomainError(message, field=field) from exc


@transaction.atomic
def contact_delete(*, contact: Contact) -> None:
    contact.delete()


def activity_record(
    *,
    account: Account,
    kind: str = ActivityKind.NOTE,
    subject: str = "",
    body: str = "",
    actor: User | None = None,
    occurred_at: datetime | None = None,
    source: str = ActivitySource.ACCOUNTS,
    ref_type: str = "",
    ref_id: int | None = None,
    metadata: dict | None = None,
) -> Activity:
    """Add an entry to an account's timeline. Every app records its events through this."""
    if kind not in ActivityKind.values:
        raise DomainError(f"Unknown activity kind {kind!r}.", field="kind")
    if kind != ActivityKind.SYSTEM and not (subject.strip() or body.strip()):
        raise DomainError("Write something first.", field="body")
    return Activity.objects.create(
        tenant_id=account.tenant_id,
        account=account,
        kind=kind,
        subject=subject[:200],
        body=body,
        author=actor,
        occurred_at=occurred_at or timezone.now(),
        source=source,
        ref_type=ref_type,
        ref_id=ref_id,
        metadata=metadata or {},
    )


def activities_record_bulk(activities: list[Activity]) -> list[Activity]:
    """Timeline entries written by set-based jobs (one INSERT)."""
    tenant = get_current_tenant()
    for activity in activities:
        activity.tenant = tenant
    return Activity.objects.bulk_create(activities, batch_size=2000)


@transaction.atomic
def task_create(
    *,
    account: Account,
    title: str,
    owner: User | None = None,
    due_date: date | None = None,
    priority: str = TaskPriority.MEDIUM,
    source: str = TaskSource.MANUAL,
    description: str = "",
    dedupe_key: str = "",
    actor: User | None = None,
) -> Task:
    if not title.strip():
        raise DomainError("A task needs a title.", field="title")
    if priority not in TaskPriority.values:
        raise DomainError(f"Unknown priority {priority!r}.", field="priority")
    if owner is not None and not can_own_work(owner):
        raise DomainError(f"{owner} cannot own tasks here: their role only reads.", field="owner")
    task = Task(
        tenant_id=account.tenant_id, account=account, title=title.strip()[:200], owner=owner, due_date=due_date,
        priority=priority, source=source, description=description, dedupe_key=dedupe_key, created_by=actor,
    )
    task.save()
    if source == TaskSource.MANUAL:
        activity_record(
            account=account, kind=ActivityKind.SYSTEM, subject=f"Task added: {task.title}", actor=actor,
            source=ActivitySource.ACCOUNTS, ref_type="task", ref_id=task.pk,
        )
    return task


@transaction.atomic
def task_open_once(
    *,
    account: Account,
    dedupe_key: str,
    title: str,
    owner: User | None,
    due_date: date | None = None,
    priority: str = TaskPriority.HIGH,
    source: str = TaskSource.SYSTEM,
    description: str = "",
) -> tuple[Task, bool]:
    """Open a generated CTA unless one with this key is already open. Safe under concurrent runs; the CTA and
    its "Alert opened" timeline row commit together."""
    existing = Task.objects.filter(dedupe_key=dedupe_key, status=TaskStatus.OPEN).first()
    if existing:
        return existing, False
    try:
        with transaction.atomic():
            task = task_create(
                account=account, title=title, owner=owner, due_date=due_date, priority=priority, source=source,
                description=description, dedupe_key=dedupe_key,
            )
    except IntegrityError:
        return Task.objects.get(dedupe_key=dedupe_key, status=TaskStatus.OPEN), False
    activity_record(
        account=account, kind=ActivityKind.SYSTEM, subject=f"Alert opened: {task.title}", body=description,
        source=source, ref_type="task", ref_id=task.pk,
    )
    return task, True


def cta_open_bulk(*, ctas: list[Task | CtaRow], moment: datetime | None = None) -> dict[str, int]:
    """``task_open_once`` for many generated CTAs at once (risk rules, ticket escalation, ...).

    ``ctas`` are unsaved ``Task`` rows (or ``CtaRow``), each with its ``dedupe_key``, ``source`` and ``account_id``. A key
    that is already open is skipped; the rest go in one INSERT (a key opened meanwhile by a concurrent run
    is dropped by the open-key unique index) with one "Alert opened" timeline entry each. Returns
    ``{dedupe_key: task id}`` of the CTAs this call opened. A constant number of queries.
    """
    if not ctas:
        return {}
    with transaction.atomic():
        return _cta_open_bulk(ctas, moment)


def _cta_open_bulk(ctas: list[Task | CtaRow], moment: datetime | None) -> dict[str, int]:
    return cta_rows_insert(tenant=get_current_tenant(), ctas=ctas, moment=moment)


def tasks_close_by_key(*, dedupe_keys: Iterable[str]) -> int:
    """Close open generated CTAs whose condition cleared (compare-and-set on status: safe to repeat)."""
    keys = list(dedupe_keys)
    if not keys:
        return 0
    return Task.objects.filter(dedupe_key__in=keys, status=TaskStatus.OPEN).update(
        status=TaskStatus.DONE, completed_at=timezone.now()
    )


@transaction.atomic
def task_set_status(*, task: Task, status: str, actor: User | None = None) -> Task:
    if status not in TaskStatus.values:
        raise DomainError(f"Unknown status {status!r}.", field="status")
    if task.status == status:
        return task
    task.status = status
    task.completed_at = timezone.now() if status == TaskStatus.DONE else None
    task.save(update_fields=["status", "completed_at"])
    if status == TaskStatus.DONE:
        activity_record(
            account=task.account, kind=ActivityKind.SYSTEM, subject=f"Task done: {task.title}", actor=actor,
            source=ActivitySource.ACCOUNTS, ref_type="task", ref_id=task.pk,
        )
    return task

