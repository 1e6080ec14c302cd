"""Forms of the integrations settings pages: a webhook, a Slack endpoint, replay since a time."""

from __future__ import annotations

from django import forms

from integrations.catalogue import SLACK_NOTIFICATIONS, WEBHOOK_EVENTS
from integrations.services import MIN_SECRET_LENGTH


class WebhookForm(forms.Form):
    url = forms.CharField(max_length=2000, label="URL", help_text="Where to POST the events (https).",
                          widget=forms.URLInput(attrs={"placeholder": "https://example.com/hooks/csp"}))
    description = forms.CharField(max_length=200, required=False)
    events = forms.MultipleChoiceField(choices=[(k, f"{k}: {v}") for k, v in WEBHOOK_EVENTS.items()],
                                       widget=forms.CheckboxSelectMultiple)
    secret = forms.CharField(
        max_length=200, min_length=MIN_SECRET_LENGTH, widget=forms.TextInput(attrs={"autocomplete": "off"}),
        help_text="The key of each delivery's X-Signature. Copy it now: it is never shown again.",
    )
    max_in_flight = forms.IntegerField(min_value=1, max_value=64, initial=8, label="Deliveries in flight at once")
    active = forms.BooleanField(required=False, initial=True)

    def __init__(self, *args, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if editing:
            self.fields["secret"].required = False
            self.fields["secret"].help_text = "Leave blank to keep the current secret (it is never shown)."


class SlackForm(forms.Form):
    url = forms.CharField(max_length=2000, label="Incoming webhook URL",
                          help_text="A Slack (or Slack-compatible) incoming-webhook URL; it is a secret.",
                          widget=forms.URLInput(attrs={"placeholder": "https://hooks.slack.com/services/…"}))
    description = forms.CharField(max_length=200, required=False, help_text="e.g. the channel, “#cs-alerts”.")
    events = forms.MultipleChoiceField(choices=[(k, n.label) for k, n in SLACK_NOTIFICATIONS.items()],
                                       widget=forms.CheckboxSelectMultiple, label="Notify on")
    active = forms.BooleanField(required=False, initial=True)


class ReplaySinceForm(forms.Form):
    since = forms.DateTimeField(widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
                                input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
                                label="Send again everything since", help_text="In your tenant's time zone.")
