"""The cadence settings form: its fields in the services' shape (steps one per line), validated again by
``renewals.cadence_services.clean_cadence``, the validator the API uses too."""

from __future__ import annotations

from django import forms

from renewals.cadence_services import RESETTABLE_KINDS
from renewals.models import CadenceScope, IntervalUnit, TouchpointCadence, TouchpointKind
from renewals.models.cadences import MAX_LEAD_DAYS, MAX_STEPS


class CadenceForm(forms.Form):
    kind = forms.ChoiceField(choices=TouchpointKind.choices, label="Touchpoint")
    label = forms.CharField(required=False, max_length=100, label="Custom name",
                            help_text="Only for a custom touchpoint, e.g. Roadmap session.")
    scope = forms.ChoiceField(choices=CadenceScope.choices, label="Applies to")
    match = forms.CharField(max_length=50, label="Segment or tier",
                            help_text="A segment key (e.g. enterprise) or a tier name (e.g. Pro).")
    interval_count = forms.IntegerField(min_value=1, label="Every")
    interval_unit = forms.ChoiceField(choices=IntervalUnit.choices, initial=IntervalUnit.MONTHS, label="Unit")
    lead_days = forms.IntegerField(min_value=0, max_value=MAX_LEAD_DAYS, initial=14, label="Lead time (days)",
                                   help_text="The prepare CTA opens this many days before the due date.")
    automated = forms.BooleanField(required=False, label="Automated (digital touch, no CTA)")
    active = forms.BooleanField(required=False, initial=True, label="Active")
    resets_on = forms.MultipleChoiceField(
        required=False, widget=forms.CheckboxSelectMultiple, label="Counts as this touchpoint",
        help_text="Timeline entries that reset the clock. None ticked: the touchpoint's usual kinds.",
    )
    steps = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 6}), label="Steps",
                            help_text=f"One step per line, in order (at most {MAX_STEPS}).")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["resets_on"].choices = [(k, k.upper() if k == "qbr" else k.capitalize()) for k in RESETTABLE_KINDS]

    @staticmethod
    def initial_for(cadence: TouchpointCadence) -> dict:
        return {
            "kind": cadence.kind, "label": cadence.label, "scope": cadence.scope, "match": cadence.match,
            "interval_count": cadence.interval_count, "interval_unit": cadence.interval_unit,
            "lead_days": cadence.lead_days, "automated": cadence.automated, "active": cadence.active,
            "resets_on": cadence.resets_on, "steps": "\n".join(cadence.steps),
        }

    def service_data(self) -> dict:
        data = dict(self.cleaned_data)
        data["steps"] = [line.strip() for line in data["steps"].splitlines() if line.strip()]
        return data
