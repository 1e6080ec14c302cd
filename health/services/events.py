"""Product events in (Segment-compatible ``track``, ``identify``, ``group``, ``batch``) and the tenant's
event-to-metric mappings.

- ``track``: an event whose name the tenant maps to a metric counts once per distinct ``messageId`` into
  that metric's daily usage row (the event's day in the tenant's time zone) of the account named by
  ``context.groupId`` (or ``groupId``), an account external id. Counting is set-based and idempotent: the
  batch's message ids go into :class:`SeenEvent` (unique per tenant, metric, day and message id) with
  ``ON CONFLICT DO NOTHING``, and only the ids that went in add to the usage rows, in the same
  statement. A retried event (same ``messageId``) finds its row and adds nothing, in the same batch, a
  later one, or a concurrent one (the unique index makes the second writer wait and skip).
- ``identify``: upserts a contact of the account (``context.groupId``) by ``userId`` (remembered as a
  :class:`ProductUser`) or ``traits.email``.
- ``group``: finds the account by external id (``groupId``); with a ``userId``, links that user's
  contact to it (creating the contact when the user is new).

Malformed items reject the whole call with 400 naming each bad index (as usage does); well-formed items
that cannot apply (an unmapped event, an unknown account, an identify without account) are skipped
with a per-item status, so a sender never retries them forever.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from accounts.models import Account, Contact
from accounts.services import contact_create, contact_update
from base.errors import DomainError
from base.limits import EARLIEST_DATE
from health.models import EventMapping, ProductUser, SeenEvent, UsageRecord
from health.selectors import accounts_locked_for_usage, event_owned_metrics
from health.services.ingest import METRIC_RE, UsageBatchInvalid
from health.services.scheduling import request_account_recompute
from tenancy.context import get_current_tenant

MAX_EVENTS = 10_000
TYPES = ("track", "identify", "group")

# Per-item statuses of an accepted call.
COUNTED, DUPLICATE, UNMAPPED, UNKNOWN_ACCOUNT, NO_ACCOUNT = "counted", "duplicate", "unmapped", "unknown_account", "no_account"
CONTACT_CREATED, CONTACT_UPDATED, LINKED, MATCHED = "contact_created", "contact_updated", "linked", "matched"


def events_ingest(*, messages: Any, kind: str | None = None) -> dict:
    """Apply Segment messages (``kind``: the endpoint's type, or None for ``/batch`` where each message
    says its ``type``) and return ``{"accepted": N, "results": [{"index", "type", "status"}]}``.
    Raises :class:`UsageBatchInvalid` naming each malformed item (nothing is written then)."""
    items = _validated(messages, kind)
    with transaction.atomic():
        statuses: dict[int, str] = {}
        tracks = [(index, item) for index, item in items if item["type"] == "track"]
        statuses |= _track(tracks)
        people = [(index, item) for index, item in items if item["type"] != "track"]
        statuses |= _people(people)
    return {
        "accepted": len(items),
        "results": [{"index": index, "type": item["type"], "status": statuses[index]} for index, item in items],
    }


# --- validation -----------------------------------------------------------------------------------


def _validated(messages: Any, kind: str | None) -> list[tuple[int, dict]]:
    if kind is None:
        if not isinstance(messages, dict) or not isinstance(messages.get("batch"), list):
            raise UsageBatchInvalid({"batch": ['Send {"batch": [messages]}.']})
        messages = messages["batch"]
    else:
        if not isinstance(messages, dict):
            raise UsageBatchInvalid({"non_field_errors": ["Send one message as a JSON object."]})
        messages = [messages | {"type": messages.get("type") or kind}]
    if len(messages) > MAX_EVENTS:
        raise UsageBatchInvalid({"batch": [f"At most {MAX_EVENTS} messages per call ({len(messages)} sent)."]})
    latest = timezone.localdate(timezone=get_current_tenant().tzinfo) + timedelta(days=1)
    errors: dict[str, list[str]] = {}
    items = []
    for index, message in enumerate(messages):
        problems = _problems(message, kind, latest)
        if problems:
            errors[str(index)] = problems
        else:
            items.append((index, _normalised(message, latest)))
    if errors:
        raise UsageBatchInvalid(errors)
    return items


def _text(value: Any, limit: int = 200) -> bool:
    return isinstance(value, str) and 0 < len(value) <= limit


def _problems(message: Any, kind: str | None, latest: date) -> list[str]:
    if not isinstance(message, dict):
        return ["A message must be an object."]
    problems = []
    kind_of = message.get("type")
    if kind_of not in TYPES or (kind is not None and kind_of != kind):
        problems.append(f"type: one of {', '.join(TYPES)}" + (f" ({kind} on this endpoint)." if kind else "."))
    for field in ("context", "properties", "traits"):
        if message.get(field) is not None and not isinstance(message[field], dict):
            problems.append(f"{field}: must be an object.")
    for field in ("userId", "anonymousId", "groupId"):
        value = message.get(field)
        if value is not None and not _text(value if isinstance(value, str) else str(value), 200):
            problems.append(f"{field}: at most 200 characters.")
    if message.get("timestamp") is not None and _day(message["timestamp"], latest) is None:
        problems.append(f"timestamp: an ISO 8601 time from {EARLIEST_DATE.isoformat()} to tomorrow.")
    if kind_of == "track":
        if not _text(message.get("event")):
            problems.append("event: the event's name (at most 200 characters).")
        if not _text(message.get("messageId")):
            problems.append("messageId: a unique id of the event (at most 200 characters): it makes retries safe.")
    elif kind_of == "group" and message.get("groupId") in (None, ""):
        problems.append("groupId: the account's external id.")
    elif kind_of == "identify" and message.get("userId") in (None, "") and not _email(message):
        problems.append("userId or traits.email: who this is.")
    return problems


def _day(value: Any, latest: date) -> date | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    day = moment.astimezone(get_current_tenant().tzinfo).date()
    return day if EARLIEST_DATE <= day <= latest else None


def _email(message: dict) -> str:
    traits = message.get("traits") or {}
    email = traits.get("email") if isinstance(traits, dict) else None
    return email.strip().lower() if isinstance(email, str) and "@" in email and len(email) <= 254 else ""


def _ident(value: Any) -> str | None:
    """userId / groupId: Segment sends strings, some libraries numbers."""
    return None if value in (None, "") else str(value)


def _normalised(message: dict, latest: date) -> dict:
    context = message.get("context") or {}
    stamp = message.get("timestamp")
    return {
        "type": message["type"],
        "event": message.get("event"),
        "message_id": message.get("messageId"),
        "user_id": _ident(message.get("userId")),
        "group_id": _ident(message.get("groupId") or context.get("groupId")),
        "day": _day(stamp, latest) if stamp else timezone.localdate(timezone=get_current_tenant().tzinfo),
        "email": _email(message),
        "name": (message.get("traits") or {}).get("name"),
    }


# --- track ----------------------------------------------------------------------------------------


def _track(tracks: list[tuple[int, dict]]) -> dict[int, str]:
    if not tracks:
        return {}
    tenant = get_current_tenant()
    mapping = dict(EventMapping.objects.filter(event__in={item["event"] for _, item in tracks})
                   .values_list("event", "metric"))
    statuses: dict[int, str] = {}
    wanted = [(index, item) for index, item in tracks if item["event"] in mapping]
    statuses |= {index: UNMAPPED for index, item in tracks if item["event"] not in mapping}
    _, accounts = accounts_locked_for_usage(ids=[], external_ids=list({i["group_id"] for _, i in wanted if i["group_id"]}))
    rows: dict[tuple[str, date, str], tuple[int, int]] = {}  # (metric, day, message id) -> (index, account)
    for index, item in wanted:
        account = accounts.get(item["group_id"]) if item["group_id"] else None
        if account is None:
            statuses[index] = UNKNOWN_ACCOUNT if item["group_id"] else NO_ACCOUNT
            continue
        key = (mapping[item["event"]], item["day"], item["message_id"])
        if key in rows:
            statuses[index] = DUPLICATE  # the same event twice in this call: the first counts
        else:
            rows[key] = (index, account)
    inserted = _count_new(tenant.pk, rows)
    for key, (index, _) in rows.items():
        statuses[index] = COUNTED if key in inserted else DUPLICATE
    request_account_recompute({account for (metric, day, mid), (_, account) in rows.items()
                               if (metric, day, mid) in inserted}, tenant=tenant)
    return statuses


def _count_new(tenant_id: int, rows: dict[tuple[str, date, str], tuple[int, int]]) -> set[tuple[str, date, str]]:
    """One statement: the message ids not seen before go in, and each (account, metric, day) they land on
    gains their number (row-locked by the upsert, so concurrent batches add up exactly). Returns the
    keys that went in."""
    if not rows:
        return set()
    seen, usage = SeenEvent._meta.db_table, UsageRecord._meta.db_table
    sql = f"""
        WITH new AS (
            INSERT INTO {seen} (tenant_id, account_id, metric, date, message_id)
            SELECT %(tenant)s, * FROM unnest(%(accounts)s::bigint[], %(metrics)s::varchar[], %(days)s::date[],
                                             %(ids)s::varchar[])
            ON CONFLICT DO NOTHING
            RETURNING account_id, metric, date, message_id
        ), counted AS (
            INSERT INTO {usage} (tenant_id, account_id, metric, date, value)
            SELECT %(tenant)s, account_id, metric, date, count(*) FROM new
            GROUP BY account_id, metric, date ORDER BY account_id, metric, date
            ON CONFLICT (tenant_id, account_id, metric, date) DO UPDATE SET value = {usage}.value + EXCLUDED.value
        )
        SELECT metric, date, message_id FROM new
    """
    keys = sorted(rows)  # a stable order: concurrent batches lock the same rows in the same order
    params = {"tenant": tenant_id, "accounts": [rows[key][1] for key in keys], "metrics": [k[0] for k in keys],
              "days": [k[1] for k in keys], "ids": [k[2] for k in keys]}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {(metric, day, message_id) for metric, day, message_id in cursor.fetchall()}


# --- identify and group ---------------------------------------------------------------------------


def _people(items: list[tuple[int, dict]]) -> dict[int, str]:
    """identify and group calls: a few per user session, so handled one by one (a bounded number of
    queries each), with every account and known user read up front."""
    if not items:
        return {}
    _, accounts = accounts_locked_for_usage(
        ids=[], external_ids=list({item["group_id"] for _, item in items if item["group_id"]}))
    users = {user.user_id: user for user in ProductUser.objects.select_related("contact").filter(
        user_id__in={item["user_id"] for _, item in items if item["user_id"]})}
    statuses = {}
    for index, item in items:
        account_id = accounts.get(item["group_id"]) if item["group_id"] else None
        if item["group_id"] and account_id is None:
            statuses[index] = UNKNOWN_ACCOUNT
        elif item["type"] == "group" and not item["user_id"]:
            statuses[index] = MATCHED
        elif account_id is None and item["user_id"] not in users:
            statuses[index] = NO_ACCOUNT  # an identify for a user we cannot place yet
        else:
            statuses[index] = _person(item, account_id, users)
    return statuses


def _person(item: dict, account_id: int | None, users: dict[str, ProductUser]) -> str:
    user = users.get(item["user_id"]) if item["user_id"] else None
    contact = user.contact if user else None
    if contact is None and item["email"]:
        contact = Contact.objects.filter(email__iexact=item["email"]).first()
    changes: dict[str, Any] = {}
    if account_id is not None and (contact is None or contact.account_id != account_id):
        changes["account"] = Account.objects.get(pk=account_id)
    if item["email"] and (contact is None or not contact.email):
        changes["email"] = item["email"]
    if isinstance(item["name"], str) and item["name"].strip() and (contact is None or contact.name != item["name"]):
        changes["name"] = item["name"].strip()[:200]
    try:
        if contact is None:
            contact = contact_create(**{"name": item["email"] or item["user_id"]} | changes)
            status = CONTACT_CREATED
        elif changes:
            account = changes.pop("account", None)
            if account is not None:
                contact.account = account
                changes["account"] = account
            contact = contact_update(contact=contact, **changes) if changes else contact
            status = CONTACT_UPDATED
        else:
            status = MATCHED
    except DomainError as exc:  # e.g. an email taken by another contact: the item is skipped, said so
        return f"skipped: {exc}"
    if item["user_id"] and user is None:
        users[item["user_id"]] = ProductUser.objects.create(tenant=contact.tenant, user_id=item["user_id"],
                                                            contact=contact)
    if item["type"] == "group" and status != CONTACT_CREATED:
        status = LINKED
    return status


# --- mappings -------------------------------------------------------------------------------------


def event_mapping_create(*, event: str, metric: str) -> EventMapping:
    """Map a tracked event to a metric. The metric then belongs to events; refused (DomainError) when
    usage rows were pushed for it already (their values would mix with the counts)."""
    event, metric = (event or "").strip(), (metric or "").strip()
    if not event or len(event) > 200:
        raise DomainError("Give the event's name (at most 200 characters).", field="event")
    if len(metric) > 100 or not METRIC_RE.fullmatch(metric):
        raise DomainError("Give a metric name such as active_users or feature:<name>.", field="metric")
    if EventMapping.objects.filter(event=event).exists():
        raise DomainError(f"The event {event!r} is mapped already.", field="event")
    if metric not in event_owned_metrics() and UsageRecord.objects.filter(metric=metric).exists() \
            and not SeenEvent.objects.filter(metric=metric).exists():
        raise DomainError(f"Usage rows were pushed for {metric!r}: map the event to a metric of its own.",
                          field="metric")
    return EventMapping.objects.create(tenant=get_current_tenant(), event=event, metric=metric)


def event_mapping_delete(*, mapping: EventMapping) -> None:
    """Forget a mapping (counted events and their daily values stay)."""
    mapping.delete()
