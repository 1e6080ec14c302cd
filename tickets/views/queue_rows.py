"""The queue's rows, rendered in Python once per request (see ``QueueRows``), and ``decorate``: what a
queue row (or the account panel's row) shows of a ticket's SLA."""

from __future__ import annotations

import html
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.contrib.humanize.templatetags.humanize import naturaltime
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.text import Truncator
from django.utils.timesince import timesince

from tickets.models import Ticket
from tickets.sla_display import health_label, overall_state, sla_targets
from tickets.states import SlaState, TicketStatus


def decorate(ticket: Ticket, now: datetime, segment_labels: dict[str, str], rows: QueueRows | None = None) -> Ticket:
    """Attach what a queue row shows: the target the queue order follows, its live state and time left, and
    (``rows``) the row's text prepared once in Python: links, labels and times in the page's time zone."""
    targets = {t.key: t for t in sla_targets(ticket, now)}
    metric = ticket.next_due_metric
    ticket.queue_target = targets.get(metric) if metric else None
    ticket.paused_target = targets["resolution"] if ticket.status == TicketStatus.PENDING_CUSTOMER else None
    ticket.live_sla_state = overall_state(list(targets.values()), ticket)
    ticket.live_sla_label = SlaState(ticket.live_sla_state).label
    ticket.segment_label = segment_labels.get(ticket.account.segment, ticket.account.segment)
    ticket.account.health_label = health_label(ticket.account.health_status)
    if rows is not None:
        rows.prepare(ticket)
    return ticket


class _Plural:
    """``"%(num)d day"`` / ``"%(num)d days"`` by count: the English strings ``naturaltime`` uses, resolved once."""

    def __init__(self, one: str, many: str):
        self.one, self.many = one, many

    def __mod__(self, values: dict) -> str:
        return (self.one if values["num"] == 1 else self.many) % values


_PAST_UNITS = {unit: _Plural(f"%(num)d {unit}", f"%(num)d {unit}s")
               for unit in ("year", "month", "week", "day", "hour", "minute")}


_CHUNKS = ((604800, "week"), (86400, "day"), (3600, "hour"), (60, "minute"))


def opened_ago(value: datetime, now: datetime) -> str:
    """``naturaltime`` of a past instant, same words, without a lazy translation per call (it was the costliest
    part of a queue row). Instants in the future (clock skew) go to ``naturaltime`` itself."""
    if value >= now:
        return naturaltime(value)
    delta = now - value
    if delta.days >= 28:  # months and years: the calendar matters
        return f"{timesince(value, now, time_strings=_PAST_UNITS)} ago"
    if delta.days:  # under 28 days no month has passed: weeks, days, hours, minutes, two adjacent units at most
        left, parts = int(delta.total_seconds()), []
        for size, unit in _CHUNKS:
            count, left = divmod(left, size)
            if count:
                parts.append(f"{count}\xa0{unit}{'s' if count != 1 else ''}")
            elif parts:
                break
            if len(parts) == 2:
                break
        return f"{', '.join(parts)} ago"
    if delta.seconds == 0:
        return "now"
    if delta.seconds < 60:
        return "a second ago" if delta.seconds == 1 else f"{delta.seconds}\xa0seconds ago"
    minutes = delta.seconds // 60
    if minutes < 60:
        return "a minute ago" if minutes == 1 else f"{minutes}\xa0minutes ago"
    hours = minutes // 60
    return "an hour ago" if hours == 1 else f"{hours}\xa0hours ago"


_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_URL_SENTINEL = 987654321987  # stands for the pk in a URL reversed once per page


def _esc(value) -> str:
    """Django's ``escape`` (the same five characters) without its lazy-string wrapper and SafeString: rows are
    marked safe once, whole."""
    return html.escape(str(value))


class QueueRows:
    """The queue's rows, rendered in Python once per request.

    The row markup lives here rather than in ``queue.html``: at 50 rows a page, the template engine spent more
    time on the rows (a few dozen variable lookups, ``if`` tags, filters, ``url`` tags, date formatting in the
    page's time zone and ``naturaltime`` per row) than the database took to find them. What every row shares is
    worked out once (URL patterns from one ``reverse`` each, the time zone, the labels); each value is escaped
    exactly as the template's autoescaping did. ``queue.html``'s ``row`` partial prints ``t.row_html``.
    """

    def __init__(self, now: datetime, *, can_write: bool = False, selected: set[int] | frozenset = frozenset(),
                 query: str = ""):
        self.now = now
        self.tz = timezone.get_current_timezone()
        self.can_write, self.selected, self.query = can_write, selected, _esc(query)
        self.urls = {name: reverse(name, args=[_URL_SENTINEL]) for name in
                     ("tickets:detail", "tickets:claim", "accounts:detail")}
        self.queue_url = reverse("tickets:queue")
        self.channels = dict(Ticket._meta.get_field("channel").choices)
        self.statuses = dict(TicketStatus.choices)

    def url(self, name: str, pk: int) -> str:
        return self.urls[name].replace(str(_URL_SENTINEL), str(pk))

    def local(self, value: datetime) -> datetime:
        return value.astimezone(self.tz)

    def prepare(self, t: Ticket) -> None:
        t.detail_url = self.url("tickets:detail", t.pk)
        t.claim_url = self.url("tickets:claim", t.pk)
        t.account_url = self.url("accounts:detail", t.account_id)
        t.subject_short = t.subject if len(t.subject) <= 80 else Truncator(t.subject).chars(80)
        t.channel_label = self.channels.get(t.channel, t.channel)
        t.status_label = self.statuses.get(t.status, t.status)
        opened = self.local(t.opened_at)
        t.opened_title = f"{opened:%Y-%m-%d %H:%M} {opened.tzname()}"
        t.opened_ago = opened_ago(t.opened_at, self.now)
        due = t.queue_target.due_at if t.queue_target else None
        if due is not None:
            due = self.local(due)
            t.due_title = (f"{_WEEKDAYS[due.weekday()]} {_MONTHS[due.month - 1]} {due.day}, "
                           f"{due:%H:%M} {due.tzname()}")
        else:
            t.due_title = ""
        score = t.account.health_score
        t.health_score_label = "" if score is None else str(
            Decimal(str(score)).quantize(Decimal(1), rounding=ROUND_HALF_UP))
        t.row_html = mark_safe(self.row(t))  # noqa: S308 - every value below is escaped

    def _sla_cell(self, t: Ticket) -> str:
        if t.paused_target:
            return ('<span class="badge blue paused" title="Pending customer: the resolution clock is stopped">'
                    f'Paused</span><div class="muted small">{_esc(t.paused_target.left_label)} left</div>')
        target = t.queue_target
        if target:
            notes = {"breached": " · breached", "at_risk": " · at risk"}.get(target.state, "")
            if t.live_sla_state == SlaState.BREACHED and target.state != SlaState.BREACHED:
                notes += ' · <span class="text-red">response breached</span>'
            return (f'<span class="sla-left {_esc(target.state)}" title="{_esc(target.label)} due '
                    f'{_esc(t.due_title)}">{_esc(target.left_label)}</span>'
                    f'<div class="muted small">{_esc(target.label.lower())}{notes}</div>')
        colour = "red" if t.live_sla_state == SlaState.BREACHED else "green"
        return f'<span class="badge {colour}">{_esc(t.live_sla_label)}</span>'

    def _assignee_cell(self, t: Ticket) -> str:
        if t.assignee:
            return _esc(t.assignee.display_name)
        if self.can_write and t.is_unresolved:
            claim = f"{t.claim_url}?{self.query}"
            return (f'<button class="btn small" type="submit" formaction="{claim}" name="next" '
                    f'value="{self.queue_url}?{self.query}" hx-post="{claim}" hx-vals=\'{{"row": "1"}}\' '
                    f'hx-target="#ticket-row-{t.pk}" hx-swap="outerHTML">Claim</button>')
        return '<span class="muted">—</span>'

    def row(self, t: Ticket) -> str:
        pk, number, account = t.pk, t.number, t.account
        meta = f"{_esc(t.contact.name)} · " if t.contact else ""
        meta += _esc(t.channel_label)
        if t.comment_count:
            meta += f" · {t.comment_count} comment{'' if t.comment_count == 1 else 's'}"
        meta += "".join(f' <span class="tag">{_esc(tag)}</span>' for tag in t.tags or ())
        health = ""
        if account.health_status:
            score = f" {t.health_score_label}" if t.health_score_label else ""
            health = (f'<span class="badge {_esc(account.health_status)}" title="Health '
                      f'{_esc("" if account.health_score is None else account.health_score)}">'
                      f'{_esc(account.health_label)}{score}</span>')
        select = ""
        if self.can_write:
            checked = " checked" if pk in self.selected else ""
            select = (f'<td class="sel"><input type="checkbox" name="ticket" value="{pk}"{checked} '
                      f'aria-label="Select ticket #{number}"></td>')
        breached = " is-breached" if t.live_sla_state == SlaState.BREACHED else ""
        return (
            f'<tr id="ticket-row-{pk}" class="sev{t.severity}{breached}">{select}'
            f'<td class="nowrap sla-cell">{self._sla_cell(t)}</td>'
            f'<td><span class="badge sev sev{t.severity}">Sev{t.severity}</span></td>'
            f'<td class="subject"><a href="{t.detail_url}"><span class="muted">#{number}</span> '
            f'<strong>{_esc(t.subject_short)}</strong></a><div class="muted small">{meta}</div></td>'
            f'<td><a href="{t.account_url}">{_esc(account.name)}</a><div class="small">{health} '
            f'<span class="muted">{_esc(t.segment_label)}</span></div></td>'
            f'<td class="nowrap">{_esc(t.status_label)}</td><td>L{t.support_level}</td>'
            f'<td class="nowrap">{self._assignee_cell(t)}</td>'
            f'<td class="nowrap muted small" title="{_esc(t.opened_title)}">{_esc(t.opened_ago)}</td></tr>'
        )
