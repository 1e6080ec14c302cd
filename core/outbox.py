"""The transactional outbox: follow-up work that survives a broker outage.

Any app enqueues follow-up work with :func:`enqueue` inside the transaction of the change that causes
it. The row commits with the change (or not at all); on commit it is published to the broker, and
if the broker does not answer the request carries on (a warning in the log, no retry loop, no wait):
the ``core.drain_outbox`` beat job publishes what is left, oldest first, once the broker is back.
Publishing locks the row (``SELECT ... FOR UPDATE SKIP LOCKED``) and stamps ``sent_at`` in the same
transaction, so the on-commit dispatch and the drain never both send a message; the row's id is the
Celery task id. Tasks stay idempotent all the same: a process that dies between publishing and
committing sends that message again (at least once).

Without a broker (eager mode: no ``REDIS_URL``) there is nothing to keep: the task runs inline on
commit, as ``delay_on_commit`` does.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from celery import current_app as app  # the project's app (apps do not import config)
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core.models import OutboxMessage

logger = logging.getLogger(__name__)

# After a failed publish, requests do not try that broker again for a while (their rows wait for the drain):
# broker URL -> monotonic time until which it is skipped.
_breaker: dict[str, float] = {}


def _broker_url() -> str:
    return str(app.conf.broker_url)


def _task(name: str):
    """The registered task ``name``, or None (modules with tasks load on first use, as in a worker)."""
    if name not in app.tasks:
        app.loader.import_default_modules()
    return app.tasks.get(name)


def _eager() -> bool:
    return bool(app.conf.task_always_eager)


def enqueue(task_name: str, *, args: Iterable[Any] = (), kwargs: dict | None = None, countdown: int = 0,
            tenant_id: int | None = None, dispatch: bool = True) -> OutboxMessage | None:
    """Run ``task_name(*args, **kwargs)`` after the current transaction commits, even if the broker is down.

    Returns the outbox row (None in eager mode, where the task simply runs inline on commit). With
    ``dispatch=False`` the caller publishes it itself on commit (see :func:`dispatch`), e.g. after
    debouncing; the drain still sends it if the caller never does.
    """
    args, kwargs = list(args), dict(kwargs or {})
    if _eager():
        task = _task(task_name)
        if task is None:
            raise LookupError(f"No task named {task_name!r}")
        transaction.on_commit(lambda: task.apply_async(args=args, kwargs=kwargs))
        return None
    message = OutboxMessage.objects.create(
        task_name=task_name, args=args, kwargs=kwargs, countdown=max(0, int(countdown)), tenant_id=tenant_id,
        available_at=timezone.now(),
    )
    if dispatch:
        transaction.on_commit(lambda: dispatch_messages([message.pk]))
    return message


def enqueue_many(task_name: str, calls: Iterable[tuple[list, dict]], *, tenant_id: int | None = None) -> int:
    """:func:`enqueue` for many calls of one task (``(args, kwargs)`` pairs) in one INSERT."""
    calls = [(list(args), dict(kwargs or {})) for args, kwargs in calls]
    if not calls:
        return 0
    if _eager():
        for args, kwargs in calls:
            enqueue(task_name, args=args, kwargs=kwargs)
        return len(calls)
    now = timezone.now()
    rows = OutboxMessage.objects.bulk_create([
        OutboxMessage(task_name=task_name, args=args, kwargs=kwargs, tenant_id=tenant_id, available_at=now)
        for args, kwargs in calls
    ])
    ids = [row.pk for row in rows]
    transaction.on_commit(lambda: dispatch_messages(ids))
    return len(rows)


def update(message: OutboxMessage, **fields: Any) -> None:
    """Change what a pending message will send (task_name, args, kwargs, countdown) before it goes out."""
    OutboxMessage.objects.filter(pk=message.pk, sent_at__isnull=True).update(**fields)
    for name, value in fields.items():
        setattr(message, name, value)


def discard(message: OutboxMessage) -> None:
    """Nothing to send after all (e.g. debounced): mark the pending message done without publishing it."""
    OutboxMessage.objects.filter(pk=message.pk, sent_at__isnull=True).update(
        sent_at=timezone.now(), last_error="discarded: nothing to send",
    )


def dispatch_messages(message_ids: Iterable[Any]) -> int:
    """Publish these pending messages now (the on-commit path of a request). Never raises, never waits:
    while the broker is known to be down, or when it fails now, the rows stay for the drain."""
    ids = list(message_ids)
    if not ids or time.monotonic() < _breaker.get(_broker_url(), 0.0):
        return 0
    try:
        return _publish_pending(OutboxMessage.objects.filter(pk__in=ids))
    except Exception:  # noqa: BLE001 - the change is committed; the drain sends what is left
        logger.exception("outbox: dispatch failed; the drain will send these messages")
        return 0


def drain(*, limit: int = 500) -> dict:
    """Publish every pending message that is due, oldest first (the beat job); forget old sent rows."""
    now = timezone.now()
    sent = _publish_pending(OutboxMessage.objects.filter(available_at__lte=now), limit=limit)
    keep = timedelta(days=getattr(settings, "OUTBOX_KEEP_DAYS", 7))
    deleted, _ = OutboxMessage.objects.filter(sent_at__lt=now - keep).delete()
    pending = OutboxMessage.objects.filter(sent_at__isnull=True).count()
    return {"sent": sent, "pending": pending, "deleted": deleted}


def _publish_pending(queryset, *, limit: int | None = None) -> int:
    sent = 0
    with transaction.atomic():
        rows = queryset.filter(sent_at__isnull=True).select_for_update(skip_locked=True).order_by("created_at")
        for row in rows[:limit] if limit else rows:
            try:
                publish(row)
            except Exception as exc:  # noqa: BLE001 - any broker failure: record it, stop, retry later
                _record_failure(row, exc)
                break
            row.sent_at, row.attempts, row.last_error = timezone.now(), row.attempts + 1, ""
            row.save(update_fields=["sent_at", "attempts", "last_error"])
            sent += 1
    return sent


def publish(row: OutboxMessage) -> None:
    """Hand one message to the broker: no publish retries, no result subscription, the row id as task id."""
    options: dict[str, Any] = {"task_id": str(row.pk), "retry": False, "ignore_result": True}
    remaining = (row.created_at + timedelta(seconds=row.countdown) - timezone.now()).total_seconds()
    if row.countdown and remaining > 0:
        options["countdown"] = round(remaining)
    task = _task(row.task_name)
    if task is not None:
        task.apply_async(args=row.args, kwargs=row.kwargs, **options)
    else:  # a task this process does not import (e.g. served by another worker)
        app.send_task(row.task_name, args=row.args, kwargs=row.kwargs, **options)


def _record_failure(row: OutboxMessage, exc: Exception) -> None:
    _breaker[_broker_url()] = time.monotonic() + getattr(settings, "OUTBOX_BROKER_RETRY_SECONDS", 10)
    attempts = row.attempts + 1
    row.attempts, row.last_error = attempts, f"{exc.__class__.__name__}: {exc}"[:2000]
    row.available_at = timezone.now() + timedelta(seconds=min(2 ** min(attempts, 10), 300))
    row.save(update_fields=["attempts", "last_error", "available_at"])
    logger.warning("outbox: broker unavailable (%s); %s kept for the drain", row.last_error, row.task_name)


def reset_breaker() -> None:
    """Forget a past broker failure (tests; an operator after a repair)."""
    _breaker.clear()
