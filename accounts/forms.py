from django import forms
from django.conf import settings


class LanguageForm(forms.Form):
    """The user menu's language choice: one of settings.LANGUAGES, or "" (the team's)."""

    language = forms.ChoiceField(required=False, choices=[("", ""), *settings.LANGUAGES])
