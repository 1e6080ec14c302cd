"""Forms of the renewal page: the forecast override (with its reason) and the outcome. They check types
only; the rules (and their messages) are the services'."""

from __future__ import annotations

from decimal import Decimal

from django import forms

from renewals.models import Forecast, RenewalOutcome


class ForecastForm(forms.Form):
    forecast = forms.ChoiceField(choices=Forecast.choices)
    forecast_reason = forms.CharField(label="Reason", widget=forms.Textarea(attrs={"rows": 2}), required=False)


class OutcomeForm(forms.Form):
    outcome = forms.ChoiceField(choices=[("", "Choose…"), *RenewalOutcome.choices])
    renewed_arr = forms.DecimalField(label="Renewed ARR", min_value=Decimal("0"), max_digits=14, decimal_places=2,
                                     required=False, help_text="Empty for renewed (same ARR) or churned.")
    churn_reason = forms.CharField(label="Churn reason", max_length=500, required=False)

    def service_data(self) -> dict:
        data = {"outcome": self.cleaned_data["outcome"], "churn_reason": self.cleaned_data["churn_reason"]}
        if self.cleaned_data["renewed_arr"] is not None:
            data["renewed_arr"] = self.cleaned_data["renewed_arr"]
        return data
