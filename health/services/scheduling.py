"""Asking for a recompute: debounced per account through the outbox, or tenant-wide as a job.

Other apps ask through the "account changed" hooks and the timeline (``health/signals.py``), which call
:func:`request_account_recompute`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from celery import current_app
from django.core.cache import cache
from django.db import transaction

from core import jobs, outbox
from health.services.recompute import recompute_health
from tenancy.context import get_current_tenant
from tenancy.models import Tenant

logger = logging.getLogger(__name__)

DEBOUNCE_SECONDS = 30
EAGER_INLINE_LIMIT = 50  # without a broker, bigger changes wait for the scheduled recompute
TENANT_WIDE_THRESHOLD = 2000
# A debounce key means "a run is scheduled and has not started": the run deletes its keys as it starts
# (:func:`debounce_release`), so a change committed while the key exists is read by that run. The
# lifetime only bounds a lost run's keys (then the next change schedules again).
KEY_LIFETIME_FACTOR = 3


def _debounce_key(tenant_id: int, account_id: int | str) -> str:
    return f"health:debounce:{tenant_id}:{account_id}"


def debounce_release(tenant_id: int, account_ids: Iterable[int] | None = None) -> None:
    """Called by a recompute as it starts, before it reads anything: changes from now on schedule
    a new run (the keys' expiry alone would leave a gap: a change committed after the run read the data
    but before the key expired would be dropped). ``account_ids`` None: a tenant-wide run."""
    keys = [_debounce_key(tenant_id, "all")] if account_ids is None else [
        _debounce_key(tenant_id, account_id) for account_id in account_ids]
    try:
        cache.delete_many(keys)
    except Exception:  # noqa: BLE001 - cache down: nothing is debounced anyway
        logger.warning("health: cache unreachable, debounce keys not released", exc_info=True)


def celery_is_eager() -> bool:
    return bool(current_app.conf.task_always_eager)


def request_account_recompute(account_ids: Iterable[int], *, tenant: Tenant | None = None,
                              countdown: int = DEBOUNCE_SECONDS) -> None:
    """Recompute these accounts soon, after the current transaction commits (for other apps too).

    With a broker, the request is written to the outbox in this transaction (one message per
    transaction and tenant, so it survives a broker outage) and debounced per account on commit (a
    cache key lives for ``countdown`` seconds and one task runs after it), so a burst of events costs
    one recompute. Without one (eager mode) small changes are recomputed inline and big ones are left
    to the scheduled recompute.
    """
    tenant = tenant or get_current_tenant()
    ids = {int(i) for i in account_ids}
    if not ids:
        return
    connection_ = transaction.get_connection()
    if connection_.in_atomic_block:  # several events in one transaction: one request after commit
        for _, callback, *_ in connection_.run_on_commit:
            batch = getattr(callback, "health_batch", None)
            if batch is not None and batch["tenant"] == tenant.pk and not batch["sent"]:
                if not ids <= batch["ids"]:
                    batch["ids"] |= ids
                    if batch["message"] is not None:
                        outbox.update(batch["message"], args=[tenant.pk, sorted(batch["ids"])])
                return
    message = None if celery_is_eager() else outbox.enqueue(
        "health.recompute_accounts", args=[tenant.pk, sorted(ids)], countdown=countdown, tenant_id=tenant.pk,
        dispatch=False,
    )
    batch = {"tenant": tenant.pk, "ids": ids, "sent": False, "message": message}

    def flush() -> None:
        batch["sent"] = True
        _enqueue_accounts(batch["tenant"], sorted(batch["ids"]), countdown, message=batch["message"])

    flush.health_batch = batch
    transaction.on_commit(flush)


def _enqueue_accounts(tenant_id: int, ids: list[int], countdown: int, *, message=None) -> None:
    if celery_is_eager() and message is None:
        if len(ids) <= EAGER_INLINE_LIMIT:
            current_app.tasks["health.recompute_accounts"].apply(args=[tenant_id, ids])
        return
    if message is None:  # asked outside the outbox (no transaction): keep it now
        message = outbox.enqueue("health.recompute_accounts", args=[tenant_id, ids], countdown=countdown,
                                 tenant_id=tenant_id, dispatch=False)
    keys: dict[str, int] = {}
    try:
        # A big request while a tenant-wide recompute is pending: that run (at most `countdown` away, and
        # after this commit) covers these accounts; one key read instead of thousands (not even made).
        if len(ids) > TENANT_WIDE_THRESHOLD and cache.get(_debounce_key(tenant_id, "all")):
            outbox.discard(message)
            return
        keys = {_debounce_key(tenant_id, account_id): account_id for account_id in ids}
        pending = cache.get_many(list(keys))
    except Exception:  # noqa: BLE001 - cache down: no debounce, recompute them all (idempotent)
        logger.warning("health: cache unreachable, recompute requests not debounced", exc_info=True)
        keys = keys or {_debounce_key(tenant_id, account_id): account_id for account_id in ids}
        pending = {}
    fresh = {key: account_id for key, account_id in keys.items() if key not in pending}
    if not fresh:
        outbox.discard(message)
        return
    try:
        if len(fresh) > TENANT_WIDE_THRESHOLD:
            if not cache.add(_debounce_key(tenant_id, "all"), 1, timeout=countdown * KEY_LIFETIME_FACTOR):
                outbox.discard(message)
                return
            outbox.update(message, task_name="health.recompute_tenant", args=[tenant_id])
        else:
            cache.set_many(dict.fromkeys(fresh, 1), timeout=countdown * KEY_LIFETIME_FACTOR)
    except Exception:  # noqa: BLE001
        logger.warning("health: cache unreachable, recompute requests not debounced", exc_info=True)
    if message.task_name == "health.recompute_accounts" and sorted(fresh.values()) != message.args[1]:
        outbox.update(message, args=[tenant_id, sorted(fresh.values())])
    outbox.dispatch_messages([message.pk])


def request_tenant_recompute(*, tenant: Tenant, on_commit: bool = False) -> dict:
    """Recompute every account of the tenant as a job (``GET /api/v1/jobs/{id}/``): queued through the
    outbox (``{"status": "queued", "job_id"}``, kept even while the broker is down) or, in eager mode,
    done inline (``{"status": "done", "job_id", ...}``)."""
    if on_commit:  # e.g. after a scorecard change, inside the caller's transaction
        outbox.enqueue("health.recompute_tenant", args=[tenant.pk], tenant_id=tenant.pk)
        return {"status": "scheduled"}
    with transaction.atomic():
        job = jobs.job_create(tenant=tenant, kind="health.recompute")
        if not celery_is_eager():
            outbox.enqueue("health.recompute_tenant", args=[tenant.pk], kwargs={"job_id": str(job.pk)},
                           tenant_id=tenant.pk)
            return {"status": "queued", "job_id": str(job.pk)}
    outcome = jobs.job_run(str(job.pk), lambda: recompute_health(tenant=tenant).as_dict())
    return {"status": "done", "job_id": str(job.pk), **outcome}

