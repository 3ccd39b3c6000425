from django import forms
from django.utils.translation import gettext_lazy as _

from .models import WebhookEvent


class TokenForm(forms.Form):
    name = forms.CharField(
        max_length=80,
        label=_("Token name"),
        help_text="What will use it, e.g. 'Zapier' or 'BI export'.",
    )


class SubscriptionForm(forms.Form):
    url = forms.URLField(max_length=500, label=_("Endpoint URL"), assume_scheme="https")
    events = forms.MultipleChoiceField(
        choices=WebhookEvent.choices, widget=forms.CheckboxSelectMultiple, label="Events"
    )
