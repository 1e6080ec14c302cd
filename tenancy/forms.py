"""Forms of the settings pages (people and roles, API keys) and of the invitation email."""

from __future__ import annotations

from django import forms
from django.contrib.auth.forms import PasswordResetForm, SetPasswordForm

from tenancy.models import Membership, Role, User
from tenancy.services import VALID_SCOPES


class InviteForm(forms.Form):
    email = forms.EmailField(max_length=254)
    full_name = forms.CharField(max_length=200, required=False, label="Name (optional)")
    role = forms.ChoiceField(choices=Role.choices, initial=Role.CSM)

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        if Membership.objects.filter(user__email__iexact=email).exists():
            raise forms.ValidationError(f"{email} is already a member; change their role below.")
        return email


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)


class ApiKeyForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="What the key is for, e.g. “Salesforce sync”.")
    scopes = forms.MultipleChoiceField(
        choices=[(s, s) for s in VALID_SCOPES], widget=forms.CheckboxSelectMultiple, initial=["read"],
        help_text="read: every GET. write: create, change and delete too (never people or keys).",
    )


class MemberPasswordResetForm(PasswordResetForm):
    """Password reset that also reaches people invited but who have not set a password yet.

    Django's form skips users with an unusable password; an invited member has one until they
    choose theirs, and may need a fresh link when the invitation's has expired.
    """

    def get_users(self, email):
        users = User.objects.filter(email__iexact=email.strip(), is_active=True)
        invited = set(Membership.all_tenants.filter(user__in=users).values_list("user_id", flat=True))
        return (u for u in users if u.has_usable_password() or u.pk in invited)


class AcceptInvitationForm(SetPasswordForm):
    """A new person accepting an invitation: their name and a password (Django's validators apply)."""

    full_name = forms.CharField(max_length=200, required=False, label="Your name")
    field_order = ["full_name", "new_password1", "new_password2"]
