"""Events elsewhere that move an account's health ask for a (debounced) recompute of that account.

Listening here keeps accounts free of health imports:

- an account edit or import that changed its billing status or lifecycle status: the "account changed"
  hook (``accounts.hooks``), called by accounts' services with the fields that changed;
- a contact saved or deleted (champion, sponsor, left the company): Django's model signals;
- a touch on the timeline (note, call, meeting, email, QBR): a new Activity of those kinds.

Bulk writes (seeding, set-based jobs) send no signals and are picked up by the scheduled recompute.
"""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save

from accounts.hooks import register_account_changed_hook
from accounts.models import Activity, Contact
from health.builtin_sources import TOUCH_KINDS
from health.services.scheduling import request_account_recompute
from tenancy.context import current_tenant_or_none

MOVING_ACCOUNT_FIELDS = frozenset({"payment_overdue", "status"})


def on_account_changed(*, tenant, changes: dict[int, frozenset[str]]) -> None:
    """The "account changed" hook: recompute the accounts whose changed fields move their health."""
    moved = [account_id for account_id, fields in changes.items() if fields & MOVING_ACCOUNT_FIELDS]
    if moved:
        request_account_recompute(moved, tenant=tenant)


def _request(account_id: int | None) -> None:
    tenant = current_tenant_or_none()
    if account_id and tenant is not None:
        request_account_recompute([account_id], tenant=tenant)


def _contact_changed(sender, instance: Contact, **kwargs) -> None:
    _request(instance.account_id)


def _activity_saved(sender, instance: Activity, created: bool, **kwargs) -> None:
    if created and instance.kind in TOUCH_KINDS:
        _request(instance.account_id)


def connect() -> None:
    register_account_changed_hook(on_account_changed, key="health.recompute")
    post_save.connect(_contact_changed, sender=Contact, dispatch_uid="health_contact_saved")
    post_delete.connect(_contact_changed, sender=Contact, dispatch_uid="health_contact_deleted")
    post_save.connect(_activity_saved, sender=Activity, dispatch_uid="health_activity_saved")
