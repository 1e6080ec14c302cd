"""Slack messages (``{"text", "blocks"}``, Slack's incoming-webhook format) for the notification events.

``text`` is the plain fallback (notifications, screen readers); ``blocks`` carry the same with a link to the
account, ticket or renewal page (absolute, from ``settings.SITE_URL``).
"""

from __future__ import annotations

from django.conf import settings
from django.urls import NoReverseMatch, reverse

from integrations.catalogue import severity_number


def _link(route: str, pk) -> str:
    if pk is None:
        return ""
    try:
        return settings.SITE_URL.rstrip("/") + reverse(route, args=[pk])
    except NoReverseMatch:
        return ""


def _escape(text) -> str:
    """Slack mrkdwn: &, < and > are control characters."""
    return str(text if text is not None else "").replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _severity(d: dict) -> str:
    number = severity_number(d)
    return f"Sev{number}" if number is not None else str(d.get("severity", ""))


def _anchor(url: str, label) -> str:
    return f"<{url}|{_escape(label)}>" if url else _escape(label)


def _lines(event: str, d: dict) -> tuple[str, str, str]:
    """(headline, detail, link URL) of one occurrence."""
    account = d.get("account_name") or f"account {d.get('account_id')}"
    account_url = _link("accounts:detail", d.get("account_id"))
    if event == "ticket.created":
        url = _link("tickets:detail", d.get("ticket_id"))
        return (f":rotating_light: {_severity(d)} ticket opened: {d.get('subject', '')}",
                f"{_anchor(url, 'Ticket #' + str(d.get('ticket_id')))} for {_anchor(account_url, account)}", url)
    if event == "ticket.sla_breached":
        url = _link("tickets:detail", d.get("ticket_id"))
        metric = str(d.get("metric", "")).replace("_", " ")
        return (f":alarm_clock: SLA breached ({metric}): {d.get('subject', '')}",
                f"{_anchor(url, 'Ticket #' + str(d.get('ticket_id')))} for {_anchor(account_url, account)}, "
                f"{_severity(d)}, due {d.get('due_at')}", url)
    if event == "health.status_changed":
        return (f":red_circle: {account} turned {d.get('to_status')}",
                f"{_anchor(account_url, account)}: health {d.get('score')} (was {d.get('from_status') or 'unscored'})",
                account_url)
    if event == "survey.response_received":
        comment = f": “{_escape(d.get('comment'))}”" if d.get("comment") else ""
        return (f":warning: Detractor response from {account} ({str(d.get('kind', '')).upper()} {d.get('score')})",
                f"{_anchor(account_url, account)} scored {d.get('score')}{comment}", account_url)
    if event == "renewal.at_risk":
        url = _link("renewals:detail", d.get("renewal_id")) or account_url
        return (f":chart_with_downwards_trend: Renewal at risk: {account}",
                f"{_anchor(url, 'Renewal')} of {_anchor(account_url, account)} on {d.get('renewal_date')}, "
                f"ARR {d.get('arr')}, forecast {d.get('forecast')}", url)
    return (f"{event}: {account}", _anchor(account_url, account), account_url)


def slack_message(event: str, data: dict) -> dict:
    headline, detail, url = _lines(event, data)
    blocks = [
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*{_escape(headline)}*\n{detail}"}},
    ]
    if url:
        blocks.append({"type": "actions", "elements": [
            {"type": "button", "text": {"type": "plain_text", "text": "Open"}, "url": url},
        ]})
    return {"text": headline + (f" {url}" if url else ""), "blocks": blocks}
