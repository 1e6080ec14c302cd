"""Forms of the support pages: new ticket, reply/note, ticket properties, bulk assignment, saved views."""

from __future__ import annotations

from django import forms

from accounts.models import Account, AccountStatus, Contact
from tenancy.models import User
from tenancy.selectors import tenant_users
from tickets.models import SEVERITY_CHOICES, SUPPORT_LEVEL_CHOICES, Channel
from tickets.selectors import assignable_users


class MemberChoiceField(forms.ModelChoiceField):
    """A member of the current tenant (the queryset is scoped when the query runs)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("queryset", User.objects.none())
        super().__init__(**kwargs)
        self.queryset = tenant_users()

    def label_from_instance(self, obj: User) -> str:
        return obj.display_name if not obj.full_name else obj.full_name


class AssigneeChoiceField(MemberChoiceField):
    """A member whose role can work tickets (``tickets.selectors.assignable_users``: never a viewer)."""

    default_error_messages = {
        "invalid_choice": "Choose a member of the support team: that person can't work tickets.",
    }

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.queryset = assignable_users()


class TicketCreateForm(forms.Form):
    account = forms.ModelChoiceField(queryset=Account.objects.none(), empty_label="Choose an account…")
    contact_email = forms.EmailField(
        required=False, label="Requester email", help_text="A contact of the account (optional)."
    )
    subject = forms.CharField(max_length=300)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 8}))
    severity = forms.TypedChoiceField(choices=SEVERITY_CHOICES, coerce=int, initial=3)
    channel = forms.ChoiceField(choices=Channel.choices, initial=Channel.PORTAL)
    support_level = forms.TypedChoiceField(choices=SUPPORT_LEVEL_CHOICES, coerce=int, initial=1, label="Level")
    assignee = AssigneeChoiceField(required=False, empty_label="Unassigned")
    acknowledge = forms.BooleanField(required=False, initial=True, label="Email the requester the ticket number")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = Account.objects.filter(status=AccountStatus.ACTIVE).order_by("name")

    def clean(self):
        data = super().clean()
        email = data.get("contact_email")
        account = data.get("account")
        data["contact"] = None
        if email and account is not None:
            contact = Contact.objects.filter(account=account, email__iexact=email).first()
            if contact is None:
                self.add_error("contact_email", f"{account.name} has no contact with this email.")
            data["contact"] = contact
        return data

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        keys = ("account", "contact", "subject", "description", "severity", "channel", "support_level", "assignee")
        return {key: data[key] for key in keys} | {"acknowledge": data["acknowledge"]}


class ReplyForm(forms.Form):
    """A public reply (``kind=reply``) or an internal note (``kind=note``)."""

    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 5, "placeholder": "Write a reply or a note…"}))
    kind = forms.ChoiceField(choices=[("reply", "Reply"), ("note", "Internal note")], initial="reply")
    files = forms.FileField(required=False, label="Attachments")

    @property
    def public(self) -> bool:
        return self.cleaned_data.get("kind") == "reply"


class PropertiesForm(forms.Form):
    """Severity, level and assignee of a ticket (only the fields that were sent are changed)."""

    severity = forms.TypedChoiceField(choices=SEVERITY_CHOICES, coerce=int, required=False)
    support_level = forms.TypedChoiceField(choices=SUPPORT_LEVEL_CHOICES, coerce=int, required=False, label="Level")
    assignee = AssigneeChoiceField(required=False, empty_label="Unassigned")

    def changed_values(self) -> dict:
        """The submitted fields, as service arguments (``assignee`` may be None: unassign)."""
        return {name: self.cleaned_data[name] for name in self.fields if name in self.data}


class BulkAssignForm(forms.Form):
    ticket = forms.TypedMultipleChoiceField(coerce=int, choices=[], error_messages={"required": "Select one or more tickets to assign (tick their boxes), then press Assign."})
    assignee = AssigneeChoiceField(required=False, empty_label="Unassigned")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Any id is acceptable here: the service only touches the tenant's own tickets.
        self.fields["ticket"].valid_value = lambda value: str(value).isdigit()


class SavedViewForm(forms.Form):
    name = forms.CharField(max_length=60)
    query = forms.CharField(max_length=500, required=False)
