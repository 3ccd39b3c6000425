from datetime import datetime, time

from django import forms
from django.conf import settings
from django.forms import formset_factory
from django.utils.translation import gettext_lazy as _

from sdrcrm.inputs import validate_date_range

from . import templating
from .models import Channel, OffsetFrom, StopReason, TaskOutcome
from .schedule import zone

WEEKDAY_CHOICES = [
    ("0", _("Mon")),
    ("1", _("Tue")),
    ("2", _("Wed")),
    ("3", _("Thu")),
    ("4", _("Fri")),
    ("5", _("Sat")),
    ("6", _("Sun")),
]


class CadenceForm(forms.Form):
    name = forms.CharField(max_length=120, label=_("Name"))
    description = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}), label=_("Description")
    )
    # Not required: a post without it (an older page, a script) keeps the cadence's language,
    # or gives a new one the team's (services.authoring.content_language).
    language = forms.ChoiceField(
        choices=settings.LANGUAGES,
        required=False,
        label=_("Language"),
        help_text=_(
            "Write the emails in this language: the unsubscribe line and page the prospect "
            "sees follow it."
        ),
    )
    window_start = forms.TimeField(
        initial=time(8, 0), widget=forms.TimeInput(attrs={"type": "time"}), label=_("Send from")
    )
    window_end = forms.TimeField(
        initial=time(17, 0), widget=forms.TimeInput(attrs={"type": "time"}), label=_("Send until")
    )
    window_days = forms.MultipleChoiceField(
        choices=WEEKDAY_CHOICES,
        initial=["0", "1", "2", "3", "4"],
        widget=forms.CheckboxSelectMultiple,
        label=_("Sending days"),
    )
    stop_on_colleague_reply = forms.BooleanField(
        required=False,
        label=_("Stop when someone else at the company replies"),
        help_text=_(
            "Read from the SDR's mailbox: a reply from another address at the prospect's "
            "company domain stops the cadence, as the prospect's own reply does."
        ),
    )

    def clean(self):
        data = super().clean()
        start, end = data.get("window_start"), data.get("window_end")
        if start and end and start >= end:
            self.add_error("window_end", _("The send window must end after it starts."))
        return data


class StepForm(forms.Form):
    id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    channel = forms.ChoiceField(
        choices=[("", _("Choose a channel")), *Channel.choices], label=_("Channel")
    )
    day_offset = forms.IntegerField(min_value=0, max_value=60, initial=0, label=_("Business days"))
    offset_from = forms.ChoiceField(
        choices=OffsetFrom.choices, initial=OffsetFrom.PREVIOUS, label=_("counted")
    )
    subject_template = forms.CharField(required=False, max_length=250, label=_("Subject"))
    body_template = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 5}), label=_("Body")
    )
    instructions = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}), label=_("Instructions")
    )
    is_breakup = forms.BooleanField(required=False, label=_("Break-up step"))
    breakup_wait_days = forms.IntegerField(
        min_value=1, max_value=30, initial=5, label=_("Wait for an answer (business days)")
    )
    reply_in_thread = forms.BooleanField(
        required=False,
        label=_("Reply in the same thread"),
        help_text=_(
            "Goes out as a reply to the lead's previous email of this cadence (“Re:” and its "
            "subject), so the prospect sees one conversation. The subject above is used when "
            "no earlier email was sent."
        ),
    )

    def clean_subject_template(self):
        return _clean_template(self.cleaned_data.get("subject_template", ""))

    def clean_body_template(self):
        return _clean_template(self.cleaned_data.get("body_template", ""))

    def clean(self):
        data = super().clean()
        channel = data.get("channel")
        if channel in (Channel.AUTO_EMAIL, Channel.MANUAL_EMAIL):
            if not data.get("subject_template") and "subject_template" not in self.errors:
                self.add_error("subject_template", _("An email step needs a subject."))
            if not data.get("body_template") and "body_template" not in self.errors:
                self.add_error("body_template", _("An email step needs a body."))
        elif channel and not (data.get("instructions") or "").strip():
            self.add_error("instructions", _("Say what the SDR should do in this step."))
        if data.get("is_breakup") and channel not in (Channel.AUTO_EMAIL, Channel.MANUAL_EMAIL):
            self.add_error("is_breakup", _("The break-up step must be an email."))
        if data.get("reply_in_thread") and channel != Channel.AUTO_EMAIL:
            self.add_error(
                "reply_in_thread", _("Only an automatic email can reply in the same thread.")
            )
        return data


def _clean_template(value: str) -> str:
    problems = templating.validate(value)
    if problems:
        raise forms.ValidationError(problems)
    return value


# Steps are added, removed and reordered in place on the page (static/js/cadence_editor.js):
# a new step is a copy of the empty form, a removed one is marked DELETE, the order is ORDER.
# Without script, ORDER is a number field and DELETE a box: the same POST either way.
StepFormSet = formset_factory(
    StepForm, extra=0, can_delete=True, can_order=True, min_num=1, validate_min=True
)


def forms_in_order(formset) -> list:
    """The formset's forms in the order the page showed them (its ORDER fields, then the
    position in the POST), so that a page sent back with errors keeps the order typed."""

    def key(item):
        index, form = item
        try:
            order = int(form["ORDER"].value())
        except (TypeError, ValueError):
            order = 10**6
        return (order, index)

    return [form for _index, form in sorted(enumerate(formset.forms), key=key)]


class StepPreviewForm(forms.Form):
    """The selected step's subject and body, posted by the editor as they are typed."""

    subject_template = forms.CharField(required=False, max_length=2000)
    body_template = forms.CharField(required=False, max_length=100_000)


class PreviewForm(forms.Form):
    start = forms.DateTimeField(
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"],
        validators=[validate_date_range],
        label=_("Start"),
    )
    timezone = forms.CharField(max_length=64, initial="Europe/Oslo", label=_("Time zone"))
    country = forms.CharField(max_length=2, required=False, initial="NO", label=_("Country"))

    def clean_timezone(self):
        value = self.cleaned_data["timezone"].strip()
        if zone(value) is None:
            raise forms.ValidationError(_("Unknown time zone; use a name like Europe/Oslo."))
        return value

    def clean_country(self):
        return self.cleaned_data.get("country", "").strip().upper()

    def start_in_zone(self) -> datetime:
        start = self.cleaned_data["start"]
        tz = zone(self.cleaned_data["timezone"])
        return start.replace(tzinfo=None).replace(tzinfo=tz)


class EnrollForm(forms.Form):
    cadence = forms.TypedChoiceField(coerce=int, choices=[])

    def __init__(self, *args, cadences=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cadence"].choices = [("", _("Choose a cadence"))] + [
            (c.pk, c.name) for c in cadences
        ]


class StopForm(forms.Form):
    reason = forms.ChoiceField(choices=StopReason.choices, initial=StopReason.MANUAL)
    note = forms.CharField(required=False, max_length=1000)


class CompleteForm(forms.Form):
    outcome = forms.ChoiceField(choices=TaskOutcome.choices)
    note = forms.CharField(required=False, max_length=5000)


class ReminderForm(forms.Form):
    due_at = forms.DateTimeField(
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        label=_("When"),
        validators=[validate_date_range],
    )
    note = forms.CharField(max_length=500, label=_("What"))


class SnippetForm(forms.Form):
    title = forms.CharField(max_length=120, label=_("Title"))
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), label=_("Body"))
    language = forms.ChoiceField(
        choices=settings.LANGUAGES,
        required=False,  # as the cadence's
        label=_("Language"),
        help_text=_("In the cadence editor, the snippets in the cadence's language come first."),
    )
