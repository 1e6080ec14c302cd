"""The support operations settings page (``tickets:sla_settings``, /tickets/settings/): the SLA policy
table, business hours (time zone, weekly intervals, holidays), the at-risk and escalation settings,
and a preview of the due instants a ticket opened now would get.

Every member of the tenant may read it; saving needs ``tickets.configure`` (anyone else gets the page
read-only, and a POST from them is 403). The three forms post to the same URL, ``form`` naming the
one sent; each writes through ``tickets.services`` and redirects (PRG). Bad input re-renders the page
with the errors (400) and writes nothing. The page costs two queries (the engine's configuration
read), however many rows the tables hold.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from base.errors import DomainError
from tenancy.decorators import member_can
from tenancy.permissions import TICKETS_CONFIGURE
from tickets import sla
from tickets.models import SEVERITY_CHOICES, SlaClock
from tickets.services import sla_config
from tickets.settings_forms import (
    WEEKDAYS,
    BusinessHoursForm,
    EscalationForm,
    hhmm,
    interval_formset,
    minutes_label,
    policy_formset,
)
from tickets.sla_engine import DEFAULT_TARGETS, SlaConfig, load_config
from tickets.views.common import member_view

SEVERITY_LABELS = dict(SEVERITY_CHOICES)
DAY_ABBR = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
SECTIONS = {"policies": "sla-policies", "hours": "business-hours", "escalation": "escalation"}


# --------------------------------------------------------------------------- display helpers


def day_ranges(days: list[int]) -> str:
    """``[0, 1, 2, 3, 4]`` -> ``Mon-Fri``; ``[0, 2, 3, 4]`` -> ``Mon, Wed-Fri``; all seven -> ``Every day``."""
    if len(days) == 7:
        return "Every day"
    runs: list[list[int]] = []
    for day in sorted(days):
        if runs and runs[-1][-1] == day - 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    return ", ".join(DAY_ABBR[run[0]] if len(run) == 1 else f"{DAY_ABBR[run[0]]}-{DAY_ABBR[run[-1]]}" for run in runs)


def spans_by_weekday(calendar: sla.BusinessCalendar) -> list[tuple[tuple[int, int], ...]]:
    """Each weekday's (start, end) minutes, merged, Monday first."""
    return [
        tuple((i.start_minute, i.end_minute) for i in calendar.intervals if i.weekday == day) for day in range(7)
    ]


def weekly_schedule(calendar: sla.BusinessCalendar) -> str:
    """``Mon-Fri 08:00-12:00 and 13:00-18:00; Sat 10:00-14:00`` (days with the same hours together)."""
    groups: dict[tuple[tuple[int, int], ...], list[int]] = {}
    for day, spans in enumerate(spans_by_weekday(calendar)):
        if spans:
            groups.setdefault(spans, []).append(day)
    parts = []
    for spans, days in sorted(groups.items(), key=lambda item: item[1][0]):
        hours = "24 hours" if spans == ((0, 1440),) else " and ".join(f"{hhmm(s)}-{hhmm(e)}" for s, e in spans)
        parts.append(f"{day_ranges(days)} {hours}")
    return "; ".join(parts) or "No hours"


def hours_label(minutes: int) -> str:
    """Business time in hours: ``49 h``, ``37 h 30 min`` (days of business time would mislead)."""
    hours, mins = divmod(int(minutes), 60)
    return f"{hours} h" + (f" {mins} min" if mins else "")


def business_day_note(calendar: sla.BusinessCalendar) -> str:
    """How long a day of target lasts on this clock: ``about 2.4 working days of 10 h``."""
    open_days = sum(1 for spans in spans_by_weekday(calendar) if spans)
    day_minutes = calendar.weekly_minutes / open_days
    day_hours = f"{day_minutes / 60:.1f}".removesuffix(".0")
    return f"about {1440 / day_minutes:.1f} working days of {day_hours} h"


def plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


@dataclass(frozen=True)
class PolicyRow:
    severity: int
    segment: str | None
    segment_label: str
    response_minutes: int
    resolution_minutes: int
    clock: str

    @property
    def severity_label(self) -> str:
        return SEVERITY_LABELS[self.severity]

    @property
    def response_label(self) -> str:
        return minutes_label(self.response_minutes)

    @property
    def resolution_label(self) -> str:
        return minutes_label(self.resolution_minutes)

    @property
    def clock_label(self) -> str:
        return SlaClock(self.clock).label

    def initial(self) -> dict[str, Any]:
        return {"severity": self.severity, "segment": self.segment or "", "clock": self.clock,
                "response_minutes": self.response_minutes, "resolution_minutes": self.resolution_minutes}


@dataclass(frozen=True)
class PreviewCell:
    response_due: datetime
    resolution_due: datetime
    response_label: str
    resolution_label: str
    clock_label: str
    source: str  # the row that applies, or "API default"


# --------------------------------------------------------------------------- what the page shows


def _segments(tenant) -> list[tuple[str, str]]:
    return [(row["key"], row["label"]) for row in tenant.get_segment_thresholds()]


def _policy_rows(config: SlaConfig, labels: dict[str, str]) -> list[PolicyRow]:
    """The stored table, or the API defaults (one any-segment row per severity) when none is stored."""
    if not config.policies:
        return [PolicyRow(sev, None, "Any segment", resp, res, SlaClock.ALWAYS)
                for sev, (resp, res) in DEFAULT_TARGETS.items()]
    policies = sorted(config.policies.values(), key=lambda p: (p.severity, p.segment is not None, p.segment or ""))
    return [
        PolicyRow(p.severity, p.segment, labels.get(p.segment, f"{p.segment} (no longer a segment)")
                  if p.segment else "Any segment", p.response_minutes, p.resolution_minutes, p.clock)
        for p in policies
    ]


def _default_label(severity: int) -> str:
    response, resolution = DEFAULT_TARGETS[severity]
    return f"{minutes_label(response)} / {minutes_label(resolution)}, 24x7"


def coverage_notes(config: SlaConfig, segments: list[tuple[str, str]]) -> list[str]:
    """Where a stored table leaves (severity, segment) pairs to the built-in defaults."""
    if not config.policies:
        return []
    notes = []
    for severity in DEFAULT_TARGETS:
        if (severity, None) in config.policies:
            continue
        missing = [label for key, label in segments if (severity, key) not in config.policies]
        if len(missing) == len(segments):
            notes.append(f"Sev{severity} has no row: every Sev{severity} ticket gets the default "
                         f"({_default_label(severity)}).")
        elif missing:
            notes.append(f"Sev{severity} tickets of {', '.join(missing)} accounts get the default "
                         f"({_default_label(severity)}): add a Sev{severity} row for them or for any segment.")
    return notes


def _preview(config: SlaConfig, segments: list[tuple[str, str]], labels: dict[str, str], now: datetime):
    """Due instants of a ticket opened ``now``, per severity (rows) and segment (columns)."""
    rows = []
    for severity in DEFAULT_TARGETS:
        cells = []
        for key, _ in segments:
            target = config.target_for(severity, key)
            calendar = config.calendar(target.clock)
            source = "API default"
            if target.policy is not None:
                source = f"Sev{severity} · {labels.get(target.segment, target.segment) if target.segment else 'any segment'}"
            cells.append(PreviewCell(
                response_due=sla.add_business_minutes(now, target.response_minutes, calendar),
                resolution_due=sla.add_business_minutes(now, target.resolution_minutes, calendar),
                response_label=minutes_label(target.response_minutes),
                resolution_label=minutes_label(target.resolution_minutes),
                clock_label=SlaClock(target.clock).label, source=source,
            ))
        rows.append({"severity": severity, "label": SEVERITY_LABELS[severity], "cells": cells})
    return rows


def _week_strip(calendar: sla.BusinessCalendar) -> list[dict[str, Any]]:
    """One track per weekday with its business hours as blocks (percent of the day)."""
    return [
        {
            "day": name,
            "blocks": [{"left": round(100 * s / 1440, 3), "width": round(100 * (e - s) / 1440, 3),
                        "text": f"{hhmm(s)}-{hhmm(e)}"} for s, e in spans],
            "hours": hours_label(sum(e - s for s, e in spans)) if spans else "closed",
        }
        for (_, name), spans in zip(WEEKDAYS, spans_by_weekday(calendar), strict=True)
    ]


def _business_hours(config: SlaConfig, today: date) -> dict[str, Any]:
    settings = config.settings
    calendar = config.calendar(SlaClock.BUSINESS_HOURS)
    holidays = sorted(calendar.holidays)
    upcoming = [day for day in holidays if day >= today]
    schedule = weekly_schedule(calendar)
    return {
        "timezone": settings.timezone,
        "schedule": schedule,
        "summary": f"{schedule}, {settings.timezone}; {plural(len(holidays), 'holiday')}",
        "weekly_minutes": f"{calendar.weekly_minutes:,}",
        "weekly_label": hours_label(calendar.weekly_minutes),
        "business_day_note": business_day_note(calendar),
        "strip": _week_strip(calendar),
        "holidays": holidays,
        "upcoming": upcoming,
        "is_default": not settings.intervals,
    }


def _context(request, config: SlaConfig) -> dict[str, Any]:
    """Everything the page shows, with unbound edit forms for a member who may save (``_save`` swaps in
    the one just posted when it has errors)."""
    tenant = request.tenant
    segments = _segments(tenant)
    labels = dict(segments)
    rows = _policy_rows(config, labels)
    settings = config.settings
    now = timezone.now()
    can_configure = member_can(request, TICKETS_CONFIGURE)
    context = {
        "can_configure": can_configure,
        "rows": rows,
        "stored": bool(config.policies),
        "segments": segments,
        "coverage_notes": coverage_notes(config, segments),
        "business_clock_rows": sum(1 for row in rows if row.clock == SlaClock.BUSINESS_HOURS),
        "hours": _business_hours(config, timezone.localdate(now)),
        "settings": settings,
        "escalate_label": minutes_label(settings.escalate_after_minutes) if settings.escalate_after_minutes else None,
        "preview": _preview(config, segments, labels, now),
        "now": now,
        "tenant_timezone": tenant.timezone,
    }
    if can_configure:
        stale = sorted({row.segment for row in rows if row.segment and row.segment not in labels})
        segment_choices = segments + [(key, f"{key} (no longer a segment)") for key in stale]
        context |= {
            "policy_formset": policy_formset(initial=[row.initial() for row in rows], segment_choices=segment_choices),
            "hours_form": BusinessHoursForm(
                initial={"timezone": settings.timezone, "holidays": "\n".join(settings.holidays or ())},
                current_timezones=(settings.timezone, tenant.timezone),
            ),
            "interval_formset": interval_formset(
                initial=[i.as_config() for i in config.calendar(SlaClock.BUSINESS_HOURS).intervals]
            ),
            "escalation_form": EscalationForm(
                initial=EscalationForm.initial_for(settings.at_risk_percent, settings.escalate_after_minutes)
            ),
            "segment_choices": segment_choices,
        }
    return context


# --------------------------------------------------------------------------- the view


@member_view
@require_http_methods(["GET", "POST"])
def sla_settings(request):
    if request.method == "POST":
        if not member_can(request, TICKETS_CONFIGURE):
            raise PermissionDenied("Your role may not change SLA settings (tickets.configure).")
        return _save(request)
    return render(request, "tickets/settings.html", _context(request, load_config()))


def _saved(request, which: str, message: str):
    messages.success(request, message)
    return redirect(f"{reverse('tickets:sla_settings')}#{SECTIONS[which]}")


def _save(request):
    """Validate and save the form named by ``form``; on bad input, the page with its errors (400)."""
    which = request.POST.get("form", "")
    config = load_config()
    if which == "policies":
        context = _context(request, config)
        formset = policy_formset(request.POST, segment_choices=context["segment_choices"])
        if formset.is_valid():
            try:
                saved = sla_config.sla_policies_replace(policies=formset.policies())
            except DomainError as exc:
                context["policy_error"] = str(exc)
            else:
                return _saved(request, which, f"SLA policies saved ({plural(len(saved), 'row')}). Open tickets keep "
                                              "the targets they were given; new tickets use these.")
        context["policy_formset"] = formset
    elif which == "hours":
        context = _context(request, config)
        form = BusinessHoursForm(request.POST, current_timezones=(config.settings.timezone, request.tenant.timezone))
        intervals = interval_formset(request.POST)
        if form.is_valid() and intervals.is_valid():
            try:
                sla_config.business_hours_update(
                    timezone_name=form.cleaned_data["timezone"], intervals=intervals.intervals(),
                    holidays=form.cleaned_data["holidays"],
                )
            except DomainError as exc:
                context["hours_error"] = str(exc)
            else:
                return _saved(request, which, "Business hours saved. New targets on the business-hours clock use them.")
        context |= {"hours_form": form, "interval_formset": intervals}
    elif which == "escalation":
        context = _context(request, config)
        form = EscalationForm(request.POST)
        if form.is_valid():
            try:
                sla_config.support_settings_update(**form.service_kwargs())
            except DomainError as exc:
                context["escalation_error"] = str(exc)
            else:
                return _saved(request, which, "At-risk and escalation settings saved.")
        context["escalation_form"] = form
    else:
        messages.error(request, "Unknown form.")
        return render(request, "tickets/settings.html", _context(request, config), status=400)
    context["failed"] = which
    return render(request, "tickets/settings.html", context, status=400)
