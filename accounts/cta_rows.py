"""Generated CTAs opened in bulk (``accounts.services.cta_open_bulk``'s statement): the rows travel as arrays,
the open-key unique index drops a key already open, and the "Alert opened" timeline entries are written by the
same statement, so a job opening tens of thousands of CTAs builds no model instance per row."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.db import connection
from django.utils import timezone

from accounts.models import Activity, ActivityKind, Task, TaskPriority, TaskStatus


@dataclass
class CtaRow:
    """A generated CTA to open with ``cta_open_bulk``: an unsaved ``Task``'s fields without a model instance
    (cheaper when a job opens thousands at once)."""

    account_id: int
    title: str
    dedupe_key: str
    source: str
    owner_id: int | None = None
    due_date: date | None = None
    description: str = ""
    priority: str = TaskPriority.MEDIUM
    status: str = TaskStatus.OPEN
    created_by_id: int | None = None
    created_at: datetime | None = None


# One statement opens the CTAs and writes their "Alert opened" entries: rows travel as arrays (unnest), a
# key already open is dropped by the open-key unique index (ON CONFLICT), so a daily job opening tens of
# thousands of CTAs builds no model instances per row on the way in or out.
CTA_OPEN_SQL = f"""
WITH given AS (
    SELECT * FROM unnest(%(account)s::bigint[], %(title)s::text[], %(description)s::text[], %(owner)s::bigint[],
                         %(due)s::date[], %(priority)s::text[], %(source)s::text[], %(status)s::text[],
                         %(key)s::text[], %(created_by)s::bigint[], %(created_at)s::timestamptz[])
        AS r(account_id, title, description, owner_id, due_date, priority, source, status, dedupe_key,
             created_by_id, created_at)
), opened AS (
    INSERT INTO {Task._meta.db_table} (tenant_id, account_id, title, description, owner_id, due_date, priority,
                                        source, status, dedupe_key, created_by_id, created_at)
    SELECT %(tenant)s, account_id, title, description, owner_id, due_date, priority, source, status, dedupe_key,
           created_by_id, created_at
    FROM given
    ON CONFLICT DO NOTHING
    RETURNING id, account_id, title, description, source, dedupe_key
), alerts AS (
    INSERT INTO {Activity._meta.db_table} (tenant_id, account_id, kind, subject, body, occurred_at, source, ref_type,
                                            ref_id, metadata, created_at)
    SELECT %(tenant)s, account_id, %(kind)s, LEFT('Alert opened: ' || title, 200), description, %(at)s, source,
           'task', id, '{{}}'::jsonb, %(now)s
    FROM opened
)
SELECT dedupe_key, id FROM opened
"""


def cta_rows_insert(*, tenant, ctas: list, moment: datetime | None) -> dict[str, int]:
    """Open ``ctas`` (unsaved ``Task`` rows or ``CtaRow``) in one statement; ``{dedupe_key: task id}`` of those
    it opened (a key already open is skipped). The caller holds the transaction."""
    new = list({cta.dedupe_key: cta for cta in ctas}.values())  # one per key (the last given, as before)
    now = timezone.now()
    params = {
        "tenant": tenant.pk, "kind": ActivityKind.SYSTEM, "at": moment or now, "now": now,
        "account": [c.account_id for c in new], "title": [c.title[:200] for c in new],
        "description": [c.description for c in new], "owner": [c.owner_id for c in new],
        "due": [c.due_date for c in new], "priority": [c.priority for c in new], "source": [c.source for c in new],
        "status": [c.status for c in new], "key": [c.dedupe_key for c in new],
        "created_by": [c.created_by_id for c in new], "created_at": [c.created_at or now for c in new],
    }
    with connection.cursor() as cursor:
        cursor.execute(CTA_OPEN_SQL, params)
        return dict(cursor.fetchall())
