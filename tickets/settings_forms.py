"""Forms of the SLA settings page: the policy table (a formset), business hours (time zone, a formset of
weekly intervals, holidays) and the at-risk / escalation settings.

They check what a person typed, name the row at fault and hand plain values to ``tickets.services``
(which validate again with the API's rules). Beyond the API, the page refuses a resolution target
shorter than the response target and overlapping intervals on one weekday.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from tickets.models import SEVERITY_CHOICES, SlaClock

MAX_TARGET_MINUTES = 365 * 24 * 60
WEEKDAYS = [(0, "Monday"), (1, "Tuesday"), (2, "Wednesday"), (3, "Thursday"), (4, "Friday"), (5, "Saturday"),
            (6, "Sunday")]
COMMON_TIMEZONES = [
    "UTC",
    "America/Los_Angeles", "America/Denver", "America/Phoenix", "America/Chicago", "America/New_York",
    "America/Toronto", "America/Mexico_City", "America/Bogota", "America/Sao_Paulo", "America/Argentina/Buenos_Aires",
    "Europe/London", "Europe/Dublin", "Europe/Lisbon", "Europe/Paris", "Europe/Berlin", "Europe/Madrid",
    "Europe/Amsterdam", "Europe/Zurich", "Europe/Stockholm", "Europe/Warsaw", "Europe/Athens", "Europe/Istanbul",
    "Africa/Lagos", "Africa/Johannesburg", "Asia/Dubai", "Asia/Kolkata", "Asia/Singapore", "Asia/Hong_Kong",
    "Asia/Shanghai", "Asia/Tokyo", "Asia/Seoul", "Australia/Perth", "Australia/Sydney", "Pacific/Auckland",
]
ANY_SEGMENT = ""
_HHMM = re.compile(r"^([01]\d|2[0-4]):([0-5]\d)$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_MINUTE_ERRORS = {
    "min_value": "At least 1 minute.",
    "max_value": "At most 365 days.",
    "invalid": "Whole minutes, e.g. 240 for 4 hours.",
    "required": "Required.",
}


def clock_minute(value: str, *, is_end: bool) -> int:
    """Minutes after midnight of "HH:MM"; an end of 00:00 or 24:00 is midnight at the end of the day."""
    match = _HHMM.match(value.strip())
    if not match or (match.group(1) == "24" and match.group(2) != "00"):
        raise ValidationError("A time as HH:MM (00:00-24:00).")
    minute = int(match.group(1)) * 60 + int(match.group(2))
    if is_end and minute == 0:
        return 24 * 60
    if not is_end and minute == 24 * 60:
        raise ValidationError("A day's hours can't start at 24:00.")
    return minute


def hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def minutes_label(minutes: int | None) -> str:
    """A target as people say it: ``45 min``, ``4 h``, ``1 h 30 min``, ``5 d``, ``1 d 4 h`` (blank: "")."""
    if not minutes or minutes < 0:
        return ""
    days, rest = divmod(int(minutes), 1440)
    hours, mins = divmod(rest, 60)
    parts = [f"{days} d" if days else "", f"{hours} h" if hours else "", f"{mins} min" if mins else ""]
    return " ".join(part for part in parts if part)


def _as_int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def kept_forms(formset: forms.BaseFormSet) -> list[forms.Form]:
    """Rows to save: every existing row and the filled-in new ones, less those marked for removal."""
    return [
        form for index, form in enumerate(formset.forms)
        if (index < formset.initial_form_count() or form.has_changed()) and not formset._should_delete_form(form)
    ]


# --------------------------------------------------------------------------- SLA policies


class SlaPolicyForm(forms.Form):
    """One row of the policy table: (severity, segment or any) -> response / resolution minutes, clock."""

    severity = forms.TypedChoiceField(
        choices=[("", "—"), *SEVERITY_CHOICES], coerce=int, empty_value=None, error_messages={"required": "Required."},
        widget=forms.Select(attrs={"aria-label": "Severity"}),
    )
    segment = forms.ChoiceField(required=False, widget=forms.Select(attrs={"aria-label": "Segment"}))
    response_minutes = forms.IntegerField(
        min_value=1, max_value=MAX_TARGET_MINUTES, error_messages=_MINUTE_ERRORS,
        widget=forms.NumberInput(attrs={"aria-label": "First response (minutes)", "data-minutes": "", "step": 1}),
    )
    resolution_minutes = forms.IntegerField(
        min_value=1, max_value=MAX_TARGET_MINUTES, error_messages=_MINUTE_ERRORS,
        widget=forms.NumberInput(attrs={"aria-label": "Resolution (minutes)", "data-minutes": "", "step": 1}),
    )
    clock = forms.ChoiceField(
        choices=SlaClock.choices, initial=SlaClock.ALWAYS, widget=forms.Select(attrs={"aria-label": "Clock"})
    )

    def __init__(self, *args, segment_choices: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["segment"].choices = [(ANY_SEGMENT, "Any segment"), *segment_choices]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        response, resolution = data.get("response_minutes"), data.get("resolution_minutes")
        if response and resolution and resolution < response:
            self.add_error("resolution_minutes", "Shorter than the response target.")
        return data

    @property
    def response_human(self) -> str:
        return minutes_label(_as_int(self["response_minutes"].value()))

    @property
    def resolution_human(self) -> str:
        return minutes_label(_as_int(self["resolution_minutes"].value()))

    def policy(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "severity": data["severity"], "segment": data["segment"] or None, "clock": data["clock"],
            "response_minutes": data["response_minutes"], "resolution_minutes": data["resolution_minutes"],
        }


class BaseSlaPolicyFormSet(forms.BaseFormSet):
    """The table; one row per (severity, segment): a second one is refused on the later row."""

    def kept_forms(self) -> list[SlaPolicyForm]:
        """Rows to save: filled in and not marked for removal."""
        return kept_forms(self)

    def clean(self) -> None:
        seen: dict[tuple[int, str], int] = {}
        duplicates = False
        kept = self.kept_forms()
        for index, form in enumerate(self.forms):
            data = getattr(form, "cleaned_data", {})
            if form not in kept or data.get("severity") is None or "segment" not in data:
                continue  # a row with its own errors
            key = (data["severity"], data["segment"] or ANY_SEGMENT)
            if key in seen:
                form.add_error("segment", f"Same severity and segment as row {seen[key] + 1}.")
                duplicates = True
            else:
                seen[key] = index
        if duplicates:
            raise ValidationError("Two rows for the same severity and segment: keep one.")

    def policies(self) -> list[dict[str, Any]]:
        return [form.policy() for form in self.kept_forms()]


SlaPolicyFormSet = forms.formset_factory(SlaPolicyForm, formset=BaseSlaPolicyFormSet, extra=1, can_delete=True)


def policy_formset(
    data=None, *, initial: list[dict] | None = None, segment_choices: list[tuple[str, str]]
) -> BaseSlaPolicyFormSet:
    return SlaPolicyFormSet(
        data, initial=initial, prefix="policy", form_kwargs={"segment_choices": segment_choices}
    )


# --------------------------------------------------------------------------- business hours


def _clock_input(label: str) -> forms.TextInput:
    return forms.TextInput(attrs={
        "aria-label": f"{label} (HH:MM)", "placeholder": "HH:MM", "inputmode": "numeric", "maxlength": 5,
        "pattern": r"([01]\d|2[0-4]):[0-5]\d", "title": "HH:MM, 00:00 to 24:00", "class": "mono",
    })


class IntervalForm(forms.Form):
    """Hours on one weekday, e.g. Monday 08:00-12:00 (a day may have several rows)."""

    weekday = forms.TypedChoiceField(
        choices=[("", "—"), *WEEKDAYS], coerce=int, empty_value=None, error_messages={"required": "Required."},
        widget=forms.Select(attrs={"aria-label": "Day"}),
    )
    start = forms.CharField(max_length=5, error_messages={"required": "Required."}, widget=_clock_input("Start"))
    end = forms.CharField(max_length=5, error_messages={"required": "Required."}, widget=_clock_input("End"))

    def clean_start(self) -> int:
        return clock_minute(self.cleaned_data["start"], is_end=False)

    def clean_end(self) -> int:
        return clock_minute(self.cleaned_data["end"], is_end=True)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start is not None and end is not None and start >= end:
            self.add_error("end", f"Ends before it starts ({hhmm(start)}).")
        return data

    def interval(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {"weekday": data["weekday"], "start": hhmm(data["start"]), "end": hhmm(data["end"])}


class BaseIntervalFormSet(forms.BaseFormSet):
    """The week: at least one interval; intervals of one weekday may touch but not overlap."""

    def kept_forms(self) -> list[IntervalForm]:
        return kept_forms(self)

    def clean(self) -> None:
        if any(self.errors):
            return
        kept = self.kept_forms()
        if not kept:
            raise ValidationError("Business hours need at least one interval.")
        by_day: dict[int, list[tuple[int, int, int]]] = {}
        for index, form in enumerate(self.forms):
            if form in kept:
                data = form.cleaned_data
                by_day.setdefault(data["weekday"], []).append((data["start"], data["end"], index))
        for spans in by_day.values():
            spans.sort()
            for (start, end, index), (next_start, _, next_index) in zip(spans, spans[1:], strict=False):
                if next_start < end:
                    self.forms[next_index].add_error(
                        "start", f"Overlaps row {index + 1} ({hhmm(start)}-{hhmm(end)}).")
        if any(self.errors):
            raise ValidationError("Intervals of the same day overlap.")

    def intervals(self) -> list[dict[str, Any]]:
        return [form.interval() for form in self.kept_forms()]


IntervalFormSet = forms.formset_factory(IntervalForm, formset=BaseIntervalFormSet, extra=1, can_delete=True)


def interval_formset(data=None, *, initial: list[dict] | None = None) -> BaseIntervalFormSet:
    return IntervalFormSet(data, initial=initial, prefix="interval")


def timezone_choices(*current: str) -> list[tuple[str, str]]:
    """The common IANA zones, plus the ones in use (saved and tenant) if they are not among them."""
    extra = [name for name in dict.fromkeys(current) if name and name not in COMMON_TIMEZONES]
    return [(name, name.replace("_", " ")) for name in [*extra, *COMMON_TIMEZONES]]


def _holiday(token: str) -> date:
    if not _DATE.match(token):
        raise ValueError(token)
    return date.fromisoformat(token)


class BusinessHoursForm(forms.Form):
    timezone = forms.ChoiceField(label="Time zone")
    holidays = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 6, "class": "mono", "spellcheck": "false"}),
        help_text="One date per line, YYYY-MM-DD (local dates: the whole day is off).",
    )

    def __init__(self, *args, current_timezones: tuple[str, ...] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["timezone"].choices = timezone_choices(*current_timezones)

    def clean_holidays(self) -> list[str]:
        days: set[date] = set()
        bad: list[str] = []
        for number, line in enumerate(self.cleaned_data["holidays"].splitlines(), start=1):
            try:  # one error per bad line, naming the whole line (not one per word of it)
                line_days = [_holiday(token) for token in line.replace(",", " ").split()]
            except ValueError:
                bad.append(f"line {number}: “{line.strip()[:60]}”")
            else:
                days.update(line_days)
        if bad:
            raise ValidationError(f"Not a date (YYYY-MM-DD): {'; '.join(bad[:5])}{' …' if len(bad) > 5 else ''}.")
        return sorted(day.isoformat() for day in days)


# --------------------------------------------------------------------------- at risk and escalation


class EscalationForm(forms.Form):
    at_risk_percent = forms.IntegerField(
        label="At risk when", min_value=1, max_value=100,
        help_text="% of a target elapsed (on its own clock).",
        error_messages={"min_value": "1 to 100.", "max_value": "1 to 100.", "required": "Required."},
    )
    escalate_after_hours = forms.DecimalField(
        label="Escalate unresolved tickets after", required=False, min_value=Decimal("0.05"),
        max_value=Decimal(MAX_TARGET_MINUTES // 60), max_digits=7, decimal_places=2,
        help_text="Hours since the ticket was opened (wall clock). Empty: never escalate by age.",
        error_messages={"min_value": "At least 3 minutes (0.05 h).", "max_value": "At most 365 days."},
    )

    @staticmethod
    def initial_for(at_risk_percent: int, escalate_after_minutes: int | None) -> dict[str, Any]:
        hours = None
        if escalate_after_minutes:
            hours = (Decimal(escalate_after_minutes) / 60).quantize(Decimal("0.01")).normalize()
            hours = hours.quantize(Decimal(1)) if hours == hours.to_integral() else hours
        return {"at_risk_percent": at_risk_percent, "escalate_after_hours": hours}

    def service_kwargs(self) -> dict[str, Any]:
        hours = self.cleaned_data["escalate_after_hours"]
        return {
            "at_risk_percent": self.cleaned_data["at_risk_percent"],
            "escalate_after_minutes": max(1, round(hours * 60)) if hours is not None else None,
        }
