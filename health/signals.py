"""Events elsewhere that move an account's health ask for a (debounced) recompute of that account.

Listening here keeps accounts free of health imports: a contact saved or deleted (champion,
sponsor, left the company), a touch on the timeline (note, call, meeting, email, QBR), and an
account update that changed billing status or lifecycle status (recorded as a system activity).
Bulk writes (seeding, set-based jobs) send no signals and are picked up by the scheduled recompute.
"""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save

from accounts.models import Activity, ActivityKind, Contact
from health.builtin_sources import TOUCH_KINDS
from tenancy.context import current_tenant_or_none

MOVING_ACCOUNT_FIELDS = {"payment_overdue", "status"}


def _request(account_id: int | None) -> None:
    from health.services import request_account_recompute

    tenant = current_tenant_or_none()
    if account_id and tenant is not None:
        request_account_recompute([account_id], tenant=tenant)


def _contact_changed(sender, instance: Contact, **kwargs) -> None:
    _request(instance.account_id)


def _activity_saved(sender, instance: Activity, created: bool, **kwargs) -> None:
    if not created:
        return
    if instance.kind in TOUCH_KINDS:
        _request(instance.account_id)
    elif instance.kind == ActivityKind.SYSTEM and instance.source == "accounts":
        changed = set((instance.metadata or {}).get("changed") or [])
        if changed & MOVING_ACCOUNT_FIELDS or instance.ref_type == "contact":
            _request(instance.account_id)


def connect() -> None:
    post_save.connect(_contact_changed, sender=Contact, dispatch_uid="health_contact_saved")
    post_delete.connect(_contact_changed, sender=Contact, dispatch_uid="health_contact_deleted")
    post_save.connect(_activity_saved, sender=Activity, dispatch_uid="health_activity_saved")
