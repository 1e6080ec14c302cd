"""The KPI target settings form: its fields in the services' shape, validated again by
``dashboards.kpi_services.clean_target``, the validator the API uses too."""

from __future__ import annotations

from django import forms

from dashboards import kpi_catalogue
from dashboards.kpi_services import NOTE_LENGTH
from dashboards.kpi_status import Comparator
from dashboards.models import KpiTarget


class KpiTargetForm(forms.Form):
    metric = forms.ChoiceField(choices=kpi_catalogue.CHOICES, label="KPI")
    comparator = forms.ChoiceField(choices=[(c.value, c.label.capitalize()) for c in Comparator], label="On track when")
    target = forms.DecimalField(max_digits=8, decimal_places=2, label="Target",
                                help_text="Percentages as 115 for 115%; CSAT on its 1-5 scale; days; hours.")
    note = forms.CharField(required=False, max_length=NOTE_LENGTH, label="Note",
                           help_text="Where the target comes from, e.g. the handbook's KPI table.")

    @staticmethod
    def initial_for(target: KpiTarget) -> dict:
        return {"metric": target.metric, "comparator": target.comparator, "target": target.target,
                "note": target.note}
