"""Forms of the survey pages: a campaign (its wording and targets) and the responses list's filters."""

from __future__ import annotations

from django import forms

from accounts.models import ContactRole
from advocacy.models import SurveyKind, SurveyPurpose
from core.templatetags.tenant_labels import segment_label

MANUAL_PURPOSES = [(SurveyPurpose.NPS_QUARTERLY.value, SurveyPurpose.NPS_QUARTERLY.label)]


class SurveyForm(forms.Form):
    name = forms.CharField(max_length=200)
    question = forms.CharField(max_length=300, required=False, help_text="Empty: the tenant's default wording.")
    comment_question = forms.CharField(max_length=300, required=False)
    email_subject = forms.CharField(max_length=200, required=False)
    email_body = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False)
    target_roles = forms.MultipleChoiceField(
        choices=ContactRole.choices, required=False, widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: every contact role.",
    )
    scheduled_for = forms.DateTimeField(
        required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text="Empty: a draft you send by hand.",
    )

    @classmethod
    def initial_for(cls, survey) -> dict:
        return {name: getattr(survey, name) for name in cls.base_fields}

    def service_data(self) -> dict:
        data = dict(self.cleaned_data)
        data["target_roles"] = list(data.get("target_roles") or [])
        return data


class ResponseFilterForm(forms.Form):
    kind = forms.ChoiceField(choices=[("", "Any kind"), *SurveyKind.choices], required=False)
    category = forms.ChoiceField(
        choices=[("", "Any category"), ("promoter", "Promoters (9-10)"), ("passive", "Passives (7-8)"),
                 ("detractor", "Detractors (0-6)")],
        required=False,
    )
    segment = forms.ChoiceField(required=False)
    start = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}), label="From")
    end = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}), label="To")

    def __init__(self, *args, segments: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["segment"].choices = [("", "Any segment"), *((s, segment_label(s)) for s in segments)]


class SettingsForm(forms.Form):
    fatigue_days = forms.IntegerField(min_value=0, max_value=3650, label="Fatigue limit (days)",
                                      help_text="A contact sent an NPS or post-implementation survey fewer days ago is skipped.")
    csat_contact_days = forms.IntegerField(min_value=0, max_value=3650, label="Ticket CSAT: at most once per contact in (days)")
    link_max_age_days = forms.IntegerField(min_value=1, max_value=3650, label="Survey links expire after (days)")
    csat_on_ticket_resolved = forms.BooleanField(required=False, label="Send a CSAT survey when a ticket is resolved")
    post_implementation_days = forms.CharField(
        max_length=100, label="Post-implementation surveys (days after go-live)", help_text="Comma-separated, e.g. 30, 60, 90.",
    )

    def clean_post_implementation_days(self):
        try:
            days = sorted({int(part) for part in self.cleaned_data["post_implementation_days"].split(",") if part.strip()})
        except ValueError:
            raise forms.ValidationError("Whole numbers separated by commas.") from None
        if not days or any(not 0 < d <= 730 for d in days):
            raise forms.ValidationError("Days from 1 to 730.")
        return days
