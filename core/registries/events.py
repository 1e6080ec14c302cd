"""Domain events between apps that must not import each other (tickets and onboarding -> advocacy).

A subscriber names a Celery task from its ``AppConfig.ready()``::

    from core.registries.events import subscribe
    subscribe("ticket.resolved", "advocacy.on_ticket_resolved")

A publisher announces the event inside the transaction of the change that causes it::

    from core.registries.events import publish
    publish("ticket.resolved", tenant_id=ticket.tenant_id, payload={"ticket_id": ticket.pk, ...})

Each subscribed task is enqueued through the transactional outbox (``core.outbox.enqueue``) as
``task(tenant_id=..., payload=...)``: it runs only if the change commits, and still runs after a broker
outage (the outbox drain sends it). The payload must be JSON-serialisable (dates as ISO strings): it is
checked at publish time, so a bad payload fails the change that publishes it, in its tests, not a worker
later. Tasks must be idempotent (at-least-once delivery). A bulk change publishes with ``publish_many`` (one
outbox INSERT per subscriber). An app that keeps every event itself (webhooks) registers a recorder with
``record_with``: it runs inside the publisher's transaction.

Events published today:

* ``ticket.resolved``: ``{"ticket_id", "account_id", "contact_id" (or null), "requester_email" (or null: tickets
  keep their requester as the contact today)}``, from ``tickets.services.transitions.apply_transition``;
* ``onboarding.went_live``: ``{"plan_id", "account_id", "went_live_on" ("YYYY-MM-DD")}``, from
  ``onboarding.services.milestones._go_live``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable

from core import outbox

EVENT_RE = re.compile(r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+")

_SUBSCRIBERS: dict[str, list[str]] = {}
_RECORDERS: list[Callable[[str, int, list[dict]], None]] = []


def subscribe(event: str, task_name: str) -> None:
    """Run the Celery task ``task_name(tenant_id=..., payload=...)`` on each ``event`` (once per name)."""
    if not EVENT_RE.fullmatch(event):
        raise ValueError(f"Event name {event!r} must be dotted lowercase words, e.g. 'ticket.resolved'.")
    names = _SUBSCRIBERS.setdefault(event, [])
    if task_name not in names:
        names.append(task_name)


def unsubscribe(event: str, task_name: str) -> None:
    names = _SUBSCRIBERS.get(event, [])
    if task_name in names:
        names.remove(task_name)


def subscribers(event: str) -> list[str]:
    return list(_SUBSCRIBERS.get(event, []))


def record_with(recorder: Callable[[str, int, list[dict]], None]) -> None:
    """Call ``recorder(event, tenant_id, payloads)`` inside the publisher's transaction for every event published.

    For an app that must keep each event itself, in the same transaction as the change (the webhooks app
    writes its event rows this way: a rollback records nothing, a crash after commit loses nothing). A
    recorder must be set-based (one INSERT for many payloads) and must not call out of the process.
    """
    if recorder not in _RECORDERS:
        _RECORDERS.append(recorder)


def stop_recording_with(recorder: Callable[[str, int, list[dict]], None]) -> None:
    if recorder in _RECORDERS:
        _RECORDERS.remove(recorder)


def publish(event: str, *, tenant_id: int, payload: dict) -> int:
    """Enqueue every subscriber of ``event`` in the caller's transaction; returns how many."""
    return publish_many(event, tenant_id=tenant_id, payloads=[payload])


def publish_many(event: str, *, tenant_id: int, payloads: list[dict]) -> int:
    """:func:`publish` for many occurrences of one event (a bulk change): one outbox INSERT per subscriber.

    Returns how many subscribers each occurrence reached.
    """
    payloads = list(payloads)
    if not EVENT_RE.fullmatch(event):
        raise ValueError(f"Event name {event!r} must be dotted lowercase words, e.g. 'ticket.resolved'.")
    json.dumps(payloads)  # TypeError now, in the publisher, for anything a queue message cannot carry
    names = subscribers(event)
    if not payloads:
        return len(names)
    for recorder in list(_RECORDERS):
        recorder(event, tenant_id, payloads)
    for name in names:
        outbox.enqueue_many(name, [([], {"tenant_id": tenant_id, "payload": p}) for p in payloads], tenant_id=tenant_id)
    return len(names)
