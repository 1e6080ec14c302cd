"""The retention report's window picker: start and end dates (default: the trailing twelve months),
validated with errors that say what to change."""

from __future__ import annotations

from datetime import date

from django import forms

from renewals import retention
from renewals.retention_report import MAX_WINDOW_MONTHS


class DateInput(forms.DateInput):
    input_type = "date"


class RetentionWindowForm(forms.Form):
    start = forms.DateField(label="From (end of day)", widget=DateInput(format="%Y-%m-%d"))
    end = forms.DateField(label="To (included)", widget=DateInput(format="%Y-%m-%d"))

    def __init__(self, data, *, today: date, default: tuple[date, date]):
        self.today = today
        given = {"start": data.get("start", default[0].isoformat()), "end": data.get("end", default[1].isoformat())}
        super().__init__(given)

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if end is not None and end > self.today:
            self.add_error("end", f"The end can't be after today ({self.today.isoformat()}).")
        elif start is not None and end is not None:
            if start >= end:
                self.add_error("start", "The start must be before the end.")
            elif retention.month_index(end) - retention.month_index(start) > MAX_WINDOW_MONTHS:
                self.add_error("start", f"A window of at most {MAX_WINDOW_MONTHS} months: pick a later start.")
        return cleaned

    def error_list(self) -> list[str]:
        """Every error as "Field: message" (the CSV export's 400)."""
        return [f"{self.fields[name].label if name in self.fields else 'Window'}: {message}"
                for name, messages in self.errors.items() for message in messages]
