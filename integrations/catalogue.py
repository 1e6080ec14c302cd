"""What an endpoint may subscribe to: the webhook events of API.md and the Slack notifications.

Pure data and small pure functions (no database): which object an event is about (deliveries about one object
go out in order), and which Slack notifications an event occurrence triggers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

# API.md "Webhooks": the events a webhook may subscribe to, with what they mean.
WEBHOOK_EVENTS: dict[str, str] = {
    "account.created": "An account was created.",
    "account.updated": "An account's fields changed (data.changed names them).",
    "health.status_changed": "An account's health band changed.",
    "ticket.created": "A ticket was opened.",
    "ticket.sla_breached": "A ticket breached an SLA target.",
    "renewal.outcome_recorded": "A renewal's outcome was recorded.",
    "survey.response_received": "An NPS or CSAT response arrived.",
}

# Which object each event is about: (kind, key of its id in the payload). Deliveries to one endpoint about the
# same object are sent in the order the events happened.
OBJECT_OF_EVENT: dict[str, tuple[str, str]] = {
    "account.created": ("account", "id"),
    "account.updated": ("account", "id"),
    "health.status_changed": ("account", "account_id"),
    "ticket.created": ("ticket", "ticket_id"),
    "ticket.sla_breached": ("ticket", "ticket_id"),
    "renewal.outcome_recorded": ("renewal", "renewal_id"),
    "renewal.at_risk": ("renewal", "renewal_id"),
    "survey.response_received": ("survey_response", "response_id"),
}


def object_key(event: str, data: dict) -> str:
    """``"ticket:42"`` for a ticket event; "" when the event is about no one object (no ordering then)."""
    kind, field = OBJECT_OF_EVENT.get(event, ("", ""))
    value = data.get(field) if kind else None
    return f"{kind}:{value}" if value is not None else ""


def severity_number(data: dict) -> int | None:
    """The ticket's severity as its number (the API's 1-4; "sev1" / "Sev 1" read the same), or None."""
    raw = str(data.get("severity", "")).strip().lower().removeprefix("sev").strip()
    return int(raw) if raw.isdigit() else None


@dataclass(frozen=True)
class SlackNotification:
    key: str
    label: str
    event: str
    applies: Callable[[dict], bool]


SLACK_NOTIFICATIONS: dict[str, SlackNotification] = {n.key: n for n in (
    SlackNotification("sev1_opened", "Sev1 ticket opened", "ticket.created", lambda d: severity_number(d) == 1),
    SlackNotification("sla_breached", "SLA breached", "ticket.sla_breached", lambda d: True),
    SlackNotification("account_red", "Account turned red (bottom health band)", "health.status_changed",
                      lambda d: bool(d.get("is_bottom_band"))),
    SlackNotification("detractor", "Detractor response", "survey.response_received",
                      lambda d: d.get("category") == "detractor"),
    SlackNotification("renewal_at_risk", "Renewal at risk", "renewal.at_risk", lambda d: True),
)}

# Every event name an endpoint of either kind can be reached by (the recorder ignores the others).
RECORDED_EVENTS = frozenset(WEBHOOK_EVENTS) | {n.event for n in SLACK_NOTIFICATIONS.values()}


def slack_wants(event: str, data: dict, subscribed: list[str]) -> bool:
    """Whether a Slack endpoint subscribed to the notification keys ``subscribed`` wants this occurrence."""
    return any(
        (n := SLACK_NOTIFICATIONS.get(key)) is not None and n.event == event and n.applies(data) for key in subscribed
    )
