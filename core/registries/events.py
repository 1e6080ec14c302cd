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
later. Tasks must be idempotent (at-least-once delivery).

Events published today:

* ``ticket.resolved``: ``{"ticket_id", "account_id", "contact_id" (or null), "requester_email" (or null: tickets
  keep their requester as the contact today)}``, from ``tickets.services.transitions.apply_transition``;
* ``onboarding.went_live``: ``{"plan_id", "account_id", "went_live_on" ("YYYY-MM-DD")}``, from
  ``onboarding.services.milestones._go_live``.
"""

from __future__ import annotations

import json
import re

from core import outbox

EVENT_RE = re.compile(r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+")

_SUBSCRIBERS: dict[str, list[str]] = {}


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


def publish(event: str, *, tenant_id: int, payload: dict) -> int:
    """Enqueue every subscriber of ``event`` in the caller's transaction; returns how many."""
    json.dumps(payload)  # TypeError now, in the publisher, for anything a queue message cannot carry
    names = subscribers(event)
    for name in names:
        outbox.enqueue(name, kwargs={"tenant_id": tenant_id, "payload": payload}, tenant_id=tenant_id)
    return len(names)
