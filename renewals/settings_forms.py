"""The renewal and expansion settings forms, in the services' shapes (``renewal_settings_update``,
``opportunity_settings_update``), which validate everything again (the API's validators)."""

from __future__ import annotations

from decimal import Decimal

from django import forms

from core.registries.expansion import ExpansionTrigger
from renewals.models import OpportunityStage
from renewals.renewal_services import (
    MAX_MOTIONS,
    MAX_REASONS,
    MAX_STEPS,
    MAX_TERM_MONTHS,
    MAX_WINDOW_DAYS,
    REASON_LENGTH,
    STEP_LENGTH,
)


class _Form(forms.Form):
    """Labels without Django's trailing colon, as on the app's other forms."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


class RenewalSettingsForm(_Form):
    window_days = forms.IntegerField(
        min_value=1, max_value=MAX_WINDOW_DAYS, label="Renewal window (days)",
        help_text="A renewal opens for an active account this many days before its renewal date.",
    )
    term_months = forms.IntegerField(min_value=1, max_value=MAX_TERM_MONTHS, label="Default term (months)",
                                     help_text="A renewed contract's length: the next renewal date follows it.")
    churn_reasons = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 8}), label="Churn reasons",
        help_text=f"One reason per line (at most {MAX_REASONS}), offered when a renewal is recorded as churned.",
    )

    @staticmethod
    def initial_for(settings) -> dict:
        return {"window_days": settings.window_days, "term_months": settings.term_months,
                "churn_reasons": "\n".join(settings.churn_reasons)}

    def clean_churn_reasons(self) -> list[str]:
        reasons = list(dict.fromkeys(_lines(self.cleaned_data["churn_reasons"])))
        if len(reasons) > MAX_REASONS:
            raise forms.ValidationError(f"At most {MAX_REASONS} reasons ({len(reasons)} given).")
        too_long = [r for r in reasons if len(r) > REASON_LENGTH]
        if too_long:
            raise forms.ValidationError(f"At most {REASON_LENGTH} characters per reason: {too_long[0][:40]}…")
        return reasons


class MotionForm(_Form):
    offset = forms.IntegerField(required=False, min_value=0, max_value=MAX_WINDOW_DAYS, label="Days before the end")
    steps = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 4}), label="Steps",
                            help_text=f"One step per line, in order (at most {MAX_STEPS}).")

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("DELETE"):
            return cleaned
        steps = _lines(cleaned.get("steps", ""))
        cleaned["steps"] = steps
        if "offset" in cleaned and cleaned["offset"] is None and steps:
            self.add_error("offset", "Say how many days before the contract end these steps are due.")
        if cleaned.get("offset") is not None and not steps:
            self.add_error("steps", "At least one step, one per line (or tick Remove).")
        if len(steps) > MAX_STEPS:
            self.add_error("steps", f"At most {MAX_STEPS} steps ({len(steps)} given).")
        if any(len(step) > STEP_LENGTH for step in steps):
            self.add_error("steps", f"At most {STEP_LENGTH} characters per step.")
        return cleaned


class BaseMotionFormSet(forms.BaseFormSet):
    def clean(self):
        if any(self.errors):
            return
        offsets = [m["offset"] for m in self.motions()]
        repeated = sorted({o for o in offsets if offsets.count(o) > 1})
        if repeated:
            raise forms.ValidationError(f"Two motions at {repeated[0]} days: merge their steps into one.")

    def motions(self) -> list[dict]:
        return [
            {"offset": form.cleaned_data["offset"], "steps": form.cleaned_data["steps"]}
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE") and form.cleaned_data.get("offset") is not None
        ]


MotionFormSet = forms.formset_factory(
    MotionForm, formset=BaseMotionFormSet, extra=1, can_delete=True, max_num=MAX_MOTIONS, validate_max=True,
)


def motion_formset(data=None, *, motions: list[dict]) -> BaseMotionFormSet:
    initial = [{"offset": m["offset"], "steps": "\n".join(m["steps"])} for m in motions]
    return MotionFormSet(data, initial=initial, prefix="motions")


# --- expansion ---------------------------------------------------------------------------------------


def _number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


class ExpansionSettingsForm(_Form):
    """One percent per stage, and per registered trigger an on/off switch and its thresholds (fields named
    ``stage__<stage>``, ``<trigger>__enabled``, ``<trigger>__<param>``)."""

    def __init__(self, data=None, *, probabilities: dict[str, int], triggers: list[tuple[ExpansionTrigger, dict]]):
        super().__init__(data)
        self.triggers = triggers
        labels = dict(OpportunityStage.choices)
        for stage, value in probabilities.items():
            self.fields[f"stage__{stage}"] = forms.IntegerField(min_value=0, max_value=100, initial=value,
                                                               label=labels.get(stage, stage))
        for trigger, params in triggers:
            self.fields[f"{trigger.key}__enabled"] = forms.BooleanField(
                required=False, initial=params.get("enabled", True), label=f"Open suggestions for “{trigger.label}”")
            for name in trigger.params:
                self.fields[f"{trigger.key}__{name}"] = forms.DecimalField(
                    min_value=Decimal("0.01"), max_digits=12, decimal_places=2, initial=params.get(name),
                    label=trigger.param_labels.get(name, name),
                )

    def stage_fields(self):
        return [self[name] for name in self.fields if name.startswith("stage__")]

    def trigger_groups(self):
        return [
            {"trigger": trigger, "enabled": self[f"{trigger.key}__enabled"],
             "params": [self[f"{trigger.key}__{name}"] for name in trigger.params]}
            for trigger, _ in self.triggers
        ]

    def service_data(self) -> dict:
        data = self.cleaned_data
        return {
            "stage_probabilities": {name.split("__", 1)[1]: data[name] for name in self.fields
                                    if name.startswith("stage__")},
            "trigger_params": {
                trigger.key: {"enabled": data[f"{trigger.key}__enabled"],
                              **{name: _number(data[f"{trigger.key}__{name}"]) for name in trigger.params}}
                for trigger, _ in self.triggers
            },
        }
