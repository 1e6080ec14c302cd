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

Events published today (ids are ints, dates and times ISO strings, money decimal strings with two places; a
payload may gain keys, never lose or rename them):

* ``ticket.resolved``: ``{"ticket_id", "account_id", "contact_id" (or null), "requester_email" (or null: tickets
  keep their requester as the contact today)}``, from ``tickets.services.transitions.apply_transition``;
* ``onboarding.went_live``: ``{"plan_id", "account_id", "went_live_on" ("YYYY-MM-DD")}``, from
  ``onboarding.services.milestones._go_live``;
* ``account.created``: the account as ``GET /api/v1/accounts/{id}/`` shows it (``id``, ``external_id``, ``name``,
  ``industry``, ``employee_count``, ``arr``, ``tier``, ``segment``, ``lifecycle_stage``, ``csm`` (email or null),
  ``renewal_date``, ``status``, ``customer_since``, ``payment_overdue``, ``health_score``, ``health_status``,
  ``time_to_value_days``, ``created_at``); ``account.updated``: the same plus ``"changed": [API field names]``,
  only when one changed (a health score change is ``health.status_changed``'s, not this). From
  ``accounts.services`` (API, pages, onboarding's first value, the ARR ledger's bulk set) and the CSV import
  (one ``publish_many`` per file) through ``accounts.events``;
* ``health.status_changed``: ``{"account_id", "account_name", "from_status" (band key, null for a first score),
  "to_status", "score", "is_bottom_band", "computed_at"}``, from the recompute (bulk and per account,
  ``health.services.recompute``), for accounts whose band changed, one ``publish_many`` per run;
* ``ticket.created``: ``{"ticket_id", "number", "account_id", "account_name", "subject", "severity" (1-4, as
  stored and in the API), "status", "created_at"}``, from ``tickets.services.lifecycle.ticket_create`` (API,
  page, email intake);
* ``ticket.sla_breached``: ``{"ticket_id", "number", "account_id", "account_name", "subject", "severity",
  "metric" ("response" | "resolution"), "due_at", "breached_at"}``, from the SLA engine's transitions (scan and
  services) and severity changes, once per ticket and metric;
* ``renewal.outcome_recorded``: ``{"renewal_id", "account_id", "account_name", "outcome", "arr_before",
  "arr_after", "contract_end", "recorded_at"}``, from ``renewals.renewal_services.renewal_record_outcome``;
* ``renewal.at_risk``: ``{"renewal_id", "account_id", "account_name", "renewal_date", "arr", "forecast"}`` when
  a renewal's forecast becomes ``at_risk`` (opened so, overridden, or following health in the daily job);
* ``survey.response_received``: ``{"response_id", "account_id", "account_name", "contact_id", "kind" ("nps" |
  "csat"), "score", "category" ("promoter" | "passive" | "detractor", null for CSAT), "comment",
  "responded_at"}``, from ``advocacy.response_services.response_record`` (API and public survey page).
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
