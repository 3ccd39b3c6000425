from django import forms
from django.utils.translation import gettext as _

from sdrcrm.inputs import parse_id

from .models import FeedbackKind


class FeedbackForm(forms.Form):
    kind = forms.ChoiceField(choices=FeedbackKind.choices)
    body = forms.CharField(max_length=5000)
    event = forms.TypedChoiceField(required=False, coerce=int, empty_value=None, choices=())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Any id: the service checks that it is a coachable entry of this lead.
        raw = (self.data.get("event") or "").strip()
        self.fields["event"].choices = [("", _("The lead as a whole"))] + (
            [(raw, raw)] if parse_id(raw) is not None else []
        )
