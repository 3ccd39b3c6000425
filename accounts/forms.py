"""The accounts pages' forms (the user menu's language, the team calendar): shapes only; what
may be closed is the service's (``accounts.services.closed_day_add``)."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from sdrcrm.inputs import MAX_YEAR, MIN_YEAR, validate_date_range


class ClosedDayForm(forms.Form):
    on = forms.DateField(
        label=_("Day"),
        widget=forms.DateInput(attrs={"type": "date"}),
        validators=[validate_date_range],
        error_messages={
            "required": _("Choose the day the team is closed."),
            "invalid": _("Enter a date such as 2026-12-24."),
        },
    )
    yearly = forms.BooleanField(
        required=False, label=_("Every year (only the day and month count)")
    )
    label = forms.CharField(max_length=80, required=False, label=_("What it is"))


class ClosedDayRemoveForm(forms.Form):
    closed_day = forms.IntegerField(min_value=1, max_value=2**63 - 1)


class YearForm(forms.Form):
    year = forms.IntegerField(min_value=MIN_YEAR, max_value=MAX_YEAR, required=False)


class LanguageForm(forms.Form):
    """The user menu's language choice: one of settings.LANGUAGES, or "" (the team's)."""

    language = forms.ChoiceField(required=False, choices=[("", ""), *settings.LANGUAGES])
