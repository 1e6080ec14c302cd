"""Retention of the delivery data: finished deliveries (with their attempt log) and events older than
``WEBHOOK_RETENTION_DAYS`` are deleted by a nightly sweep across tenants (``integrations.prune_delivery_data``).

Never deleted: a delivery still ``pending`` or ``delivering`` (whatever its age: a paused endpoint's backlog
waits for its resume), nor an event some delivery still refers to. The sweep works in batches of
``WEBHOOK_PRUNE_BATCH`` rows, each batch one statement in its own short transaction (row locks on that batch
only, ``SKIP LOCKED``: a row a worker or a replay holds is left for the next run), and stops when nothing is
left or its time budget is spent. Running it again deletes nothing more: it is idempotent.

1. **deliveries**: finished (``succeeded`` or ``failed``) whose last attempt is older than the horizon, through
   the partial index ``webhook_delivery_finished``; their attempts go with them (``ON DELETE CASCADE`` in the
   database, bounded by the retry window's number of attempts);
2. **events** older than the horizon and a grace hour that no delivery refers to, walking ``(created_at, id)``
   in windows of one batch (so events still referred to are read once per run, not once per batch).

"Replay since" reaches back to the horizon (``replay_horizon``); the events' extra grace hour keeps the sweep
away from the events a replay may be giving deliveries to.
"""

from __future__ import annotations

import time
import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from integrations.models import FINISHED

EVENT_GRACE = timedelta(hours=1)
BUDGET_SECONDS = 10 * 60  # under the task time limit (15 min); the next night's run takes the rest

# The batch is a materialised CTE, evaluated once: as an ``IN (SELECT ... LIMIT)`` the planner may rescan the
# subquery per row, and a rescan's SKIP LOCKED passes over the rows this statement just deleted to the next ones
# (the LIMIT then bounds nothing).
PRUNE_DELIVERIES_SQL = """
WITH batch AS MATERIALIZED (
    SELECT id FROM integrations_webhookdelivery
    WHERE status IN %(finished)s AND last_attempt_at < %(cutoff)s
    LIMIT %(batch)s
    FOR UPDATE SKIP LOCKED
)
DELETE FROM integrations_webhookdelivery d USING batch
WHERE d.id = batch.id AND d.status IN %(finished)s AND d.last_attempt_at < %(cutoff)s
"""

PRUNE_EVENTS_SQL = """
WITH win AS MATERIALIZED (
    SELECT id, created_at FROM integrations_webhookevent
    WHERE created_at < %(cutoff)s AND (created_at, id) > (%(after_at)s, %(after_id)s)
    ORDER BY created_at, id
    LIMIT %(batch)s
), gone AS (
    DELETE FROM integrations_webhookevent e USING win
    WHERE e.id = win.id
      AND NOT EXISTS (SELECT 1 FROM integrations_webhookdelivery d WHERE d.event_id = e.id)
    RETURNING e.id
), last AS (
    SELECT created_at, id FROM win ORDER BY created_at DESC, id DESC LIMIT 1
)
SELECT (SELECT count(*) FROM win), (SELECT count(*) FROM gone), last.created_at, last.id
FROM (SELECT 1) one LEFT JOIN last ON true
"""


def retention() -> timedelta:
    return timedelta(days=settings.WEBHOOK_RETENTION_DAYS)


def replay_horizon(now: datetime) -> datetime:
    """The oldest event time "replay since" reaches: older events are (about to be) pruned."""
    return now - retention()


def prune(*, now: datetime | None = None, batch: int | None = None,
          budget_seconds: float = BUDGET_SECONDS) -> dict[str, int]:
    """Delete what is past retention; returns the deliveries and events deleted and the statements run.

    Call outside a transaction: each batch commits on its own."""
    now = now or timezone.now()
    batch = batch or settings.WEBHOOK_PRUNE_BATCH
    cutoff = now - retention()
    started = time.monotonic()
    out = {"deliveries": 0, "events": 0, "batches": 0}

    def in_budget() -> bool:
        return time.monotonic() - started < budget_seconds

    while in_budget():
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(PRUNE_DELIVERIES_SQL, {"finished": tuple(FINISHED), "cutoff": cutoff, "batch": batch})
            deleted = cursor.rowcount
        out["deliveries"] += deleted
        out["batches"] += 1
        if deleted < batch:
            break
    after_at, after_id = datetime.min.replace(tzinfo=now.tzinfo), uuid.UUID(int=0)
    while in_budget():
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(PRUNE_EVENTS_SQL, {"cutoff": cutoff - EVENT_GRACE, "batch": batch,
                                              "after_at": after_at, "after_id": after_id})
            seen, deleted, last_at, last_id = cursor.fetchone()
        out["events"] += deleted
        out["batches"] += 1
        if seen < batch:
            break
        after_at, after_id = last_at, last_id
    return out
