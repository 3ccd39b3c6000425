from django import forms

from .models import WebhookEvent


class TokenForm(forms.Form):
    name = forms.CharField(
        max_length=80,
        label="Token name",
        help_text="What will use it, e.g. 'Zapier' or 'BI export'.",
    )


class SubscriptionForm(forms.Form):
    url = forms.URLField(max_length=500, label="Endpoint URL", assume_scheme="https")
    events = forms.MultipleChoiceField(
        choices=WebhookEvent.choices, widget=forms.CheckboxSelectMultiple, label="Events"
    )
