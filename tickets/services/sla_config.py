"""A tenant's SLA configuration: the policy table, business hours, the at-risk and escalation settings.
Existing tickets keep the targets they were given (``lifecycle.ticket_reapply_sla`` re-applies)."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

from django.db import transaction

from base.errors import DomainError
from tenancy.context import get_current_tenant
from tickets import sla, sla_engine
from tickets.models import SlaClock, SlaPolicy, SupportSettings


@transaction.atomic
def sla_policies_replace(*, policies: Sequence[dict[str, Any]]) -> list[SlaPolicy]:
    """Replace the tenant's policy table. Rows: severity 1-4, segment (a segment key or None = any),
    response_minutes and resolution_minutes (>= 1), clock ("24x7" | "business_hours"). Existing
    tickets keep the targets they were given (``ticket_reapply_sla`` re-applies)."""
    tenant = get_current_tenant()
    segments = {row["key"] for row in tenant.get_segment_thresholds()}
    seen: set[tuple[int, str | None]] = set()
    rows: list[SlaPolicy] = []
    for index, item in enumerate(policies):
        where = f"Row {index}"
        severity = item.get("severity")
        if isinstance(severity, bool) or not isinstance(severity, int) or not 1 <= severity <= 4:
            raise DomainError(f"{where}: severity is 1 to 4.", field="severity")
        segment = item.get("segment") or None
        if segment is not None and segment not in segments:
            raise DomainError(f"{where}: unknown segment {segment!r} (one of {', '.join(sorted(segments))}, or null).",
                              field="segment")
        for key in ("response_minutes", "resolution_minutes"):
            value = item.get(key)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise DomainError(f"{where}: {key} must be a whole number of minutes >= 1.", field=key)
        if item["resolution_minutes"] < item["response_minutes"]:
            raise DomainError(f"{where}: resolution_minutes is shorter than response_minutes.",
                              field="resolution_minutes")
        clock = item.get("clock", SlaClock.ALWAYS)
        if clock not in SlaClock.values:
            raise DomainError(f"{where}: clock is '24x7' or 'business_hours'.", field="clock")
        if (severity, segment) in seen:
            raise DomainError(f"{where}: a second policy for severity {severity}, segment {segment or 'any'}.",
                              field="segment")
        seen.add((severity, segment))
        rows.append(SlaPolicy(tenant=tenant, severity=severity, segment=segment, clock=clock,
                              response_minutes=item["response_minutes"], resolution_minutes=item["resolution_minutes"]))
    SlaPolicy.objects.all().delete()
    return SlaPolicy.objects.bulk_create(rows)


def _settings_row() -> SupportSettings:
    """The tenant's settings row, locked; created with the defaults on first use. Concurrent first
    saves insert once: the unique index makes the others' ``ON CONFLICT DO NOTHING`` wait, then lock."""
    defaults = sla_engine.support_settings_get()
    if defaults.pk is None:
        SupportSettings.objects.bulk_create([defaults], ignore_conflicts=True)
    return SupportSettings.objects.select_for_update().get()


def _first_overlapping_weekday(intervals: Sequence[dict]) -> int | None:
    """The first weekday with two overlapping intervals (already validated by ``sla``), else None."""

    def minutes(text: str, *, end: bool) -> int:
        hours, mins = (int(part) for part in str(text).split(":"))
        value = hours * 60 + mins
        return 1440 if end and value == 0 else value

    by_day: dict[int, list[tuple[int, int]]] = {}
    for item in intervals:
        by_day.setdefault(int(item["weekday"]), []).append(
            (minutes(item["start"], end=False), minutes(item["end"], end=True))
        )
    for weekday in sorted(by_day):
        spans = sorted(by_day[weekday])
        if any(later_start < end for (_, end), (later_start, _) in itertools.pairwise(spans)):
            return weekday
    return None


@transaction.atomic
def business_hours_update(*, timezone_name: str, intervals: Sequence[dict], holidays: Sequence[str] = ()) -> SupportSettings:
    """Set the tenant's business hours (validated by ``tickets.sla``); new targets use them."""
    try:
        calendar = sla.BusinessCalendar.from_config(timezone_name, list(intervals), list(holidays))
    except ValueError as exc:
        message = str(exc)
        if message.startswith("holidays"):
            field = "holidays"
        elif message.startswith(("intervals", "business hours")):
            field = "intervals"
        else:
            field = "timezone"
        raise DomainError(message, field=field) from exc
    overlapping_day = _first_overlapping_weekday(intervals)
    if overlapping_day is not None:
        raise DomainError(f"intervals: two intervals overlap on weekday {overlapping_day} (they may touch).",
                          field="intervals")
    settings = _settings_row()
    config = calendar.to_config()
    settings.timezone = config["timezone"]
    settings.intervals = config["intervals"]
    settings.holidays = config["holidays"]
    settings.save()
    return settings


@transaction.atomic
def support_settings_update(**data: Any) -> SupportSettings:
    """``at_risk_percent`` (1-100) and ``escalate_after_minutes`` (>= 1, or None to never escalate by age)."""
    settings = _settings_row()
    if "at_risk_percent" in data:
        value = data["at_risk_percent"]
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 100:
            raise DomainError("at_risk_percent is 1 to 100.", field="at_risk_percent")
        settings.at_risk_percent = value
    if "escalate_after_minutes" in data:
        value = data["escalate_after_minutes"]
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
            raise DomainError("escalate_after_minutes is a whole number >= 1, or null.", field="escalate_after_minutes")
        settings.escalate_after_minutes = value
    settings.save()
    return settings
