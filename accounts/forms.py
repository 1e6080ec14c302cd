from __future__ import annotations

from django import forms

from accounts.models import Account, ActivityKind, Contact, TaskPriority
from tenancy.models import Role
from tenancy.selectors import tenant_users, work_owners


class TenantUserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.full_name or obj.email


def _users_field(required=False, roles=None, label="CSM"):
    field = TenantUserChoiceField(queryset=tenant_users(roles=roles), required=required, label=label)
    field.empty_label = "— nobody —"
    return field


class AccountForm(forms.ModelForm):
    class Meta:
        model = Account
        fields = [
            "name", "external_id", "industry", "employee_count", "arr", "tier", "lifecycle_stage", "csm",
            "renewal_date", "customer_since", "status", "payment_overdue",
        ]
        widgets = {
            "renewal_date": forms.DateInput(attrs={"type": "date"}),
            "customer_since": forms.DateInput(attrs={"type": "date"}),
        }
        labels = {"arr": "ARR", "external_id": "External id (CRM)", "csm": "CSM"}
        error_messages = {"employee_count": {"min_value": "Must be zero or more."}}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["csm"] = _users_field(roles=[Role.CSM, Role.VP, Role.ADMIN])
        self.fields["external_id"].required = False

    def cleaned_service_data(self) -> dict:
        data = dict(self.cleaned_data)
        if not data.get("external_id"):
            data["external_id"] = None
        return data


class ContactForm(forms.ModelForm):
    class Meta:
        model = Contact
        fields = ["name", "email", "title", "phone", "role", "is_champion", "is_executive_sponsor", "left_company"]


class NoteForm(forms.Form):
    kind = forms.ChoiceField(choices=[c for c in ActivityKind.choices if c[0] != ActivityKind.SYSTEM])
    subject = forms.CharField(max_length=200, required=False)
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def clean(self):
        data = super().clean()
        if not (data.get("subject", "").strip() or data.get("body", "").strip()):
            raise forms.ValidationError("Write something first.")
        return data


class TaskForm(forms.Form):
    title = forms.CharField(max_length=200)
    due_date = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    priority = forms.ChoiceField(choices=TaskPriority.choices, initial=TaskPriority.MEDIUM)
    owner = forms.ModelChoiceField(queryset=None, required=False)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"] = TenantUserChoiceField(queryset=work_owners(), required=False, label="Owner")
        self.fields["owner"].empty_label = "— nobody —"
