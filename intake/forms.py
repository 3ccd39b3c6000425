from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Team
from leads.models import LeadSource

from .models import AssignmentRule, DuplicatePolicy, ImportJob, WebForm
from .rows import FIELDS

FIELD_CHOICES = [("", _("— ignore —"))] + [(k, label) for k, (label, _limit) in FIELDS.items()]


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("CSV or XLSX file"),
        help_text=_(
            "Exports from other CRMs and spreadsheets: UTF-8 or Windows encodings, "
            "comma, semicolon or tab separated."
        ),
    )
    team = forms.ModelChoiceField(queryset=Team.objects.none(), required=False, label=_("Team"))

    def __init__(self, *args, choose_team: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if choose_team:
            self.fields["team"].queryset = Team.objects.order_by("name")
            self.fields["team"].required = True
        else:
            del self.fields["team"]


class MappingForm(forms.Form):
    """One select per file column, the header row, and the import options."""

    header_row = forms.IntegerField(
        min_value=1, max_value=15, label=_("Header row (line number)"),
        help_text=_("The line holding the column names."),
    )  # fmt: skip
    source = forms.ChoiceField(choices=LeadSource.choices, label=_("Source"))
    assignment = forms.ChoiceField(
        choices=AssignmentRule.choices, widget=forms.RadioSelect, label=_("Assignment")
    )
    assignees = forms.TypedMultipleChoiceField(
        coerce=int, required=False, label=_("SDRs"), widget=forms.CheckboxSelectMultiple,
        help_text=_("One SDR, or the SDRs of the round-robin."),
    )  # fmt: skip
    duplicates = forms.ChoiceField(
        choices=DuplicatePolicy.choices, widget=forms.RadioSelect,
        label=_("Prospects already in the CRM (same email)"),
    )  # fmt: skip
    all_or_nothing = forms.TypedChoiceField(
        choices=[("0", _("Import the valid rows; list the others")),
                 ("1", _("All or nothing: import only if every row is valid"))],
        coerce=lambda v: v == "1", widget=forms.RadioSelect, label=_("Rows with errors"),
    )  # fmt: skip

    def __init__(self, *args, job: ImportJob, sdrs, **kwargs):
        super().__init__(*args, **kwargs)
        self.job = job
        self.sdrs = list(sdrs)
        self.fields["assignees"].choices = [(u.pk, str(u)) for u in self.sdrs]
        self.column_fields = []
        for i, header in enumerate(job.columns):
            name = f"col_{i}"
            self.fields[name] = forms.ChoiceField(
                choices=FIELD_CHOICES,
                required=False,
                label=header or _("Column %(n)s") % {"n": i + 1},
            )
            self.initial.setdefault(name, job.mapping.get(str(i), ""))
            self.column_fields.append(name)
        self.country_fields = []
        for u in self.sdrs:
            name = f"countries_{u.pk}"
            self.fields[name] = forms.CharField(
                required=False, max_length=200, label=_("Countries for %(sdr)s") % {"sdr": u},
                help_text=_("Two-letter codes, e.g. NO, DK"),
            )  # fmt: skip
            self.initial.setdefault(
                name, ", ".join(c for c, uid in job.country_owners.items() if uid == u.pk)
            )
            self.country_fields.append(name)
        self.initial.setdefault("header_row", job.header_row + 1)
        for name in ("source", "assignment", "duplicates"):
            self.initial.setdefault(name, getattr(job, name))
        self.initial.setdefault("assignees", job.assignees)
        self.initial.setdefault("all_or_nothing", "1" if job.all_or_nothing else "0")

    def columns(self):
        return [self[name] for name in self.column_fields]

    def countries(self):
        return [self[name] for name in self.country_fields]

    def mapping(self) -> dict[str, str]:
        return {
            name.removeprefix("col_"): self.cleaned_data.get(name) or ""
            for name in self.column_fields
            if self.cleaned_data.get(name)
        }

    def clean(self):
        data = super().clean()
        owners: dict[str, int] = {}
        for u in self.sdrs:
            raw = data.get(f"countries_{u.pk}") or ""
            for code in filter(None, (c.strip().upper() for c in raw.replace(";", ",").split(","))):
                if len(code) != 2 or not code.isalpha():
                    self.add_error(
                        f"countries_{u.pk}",
                        _("'%(code)s' is not a two-letter code.") % {"code": code},
                    )
                elif code in owners and owners[code] != u.pk:
                    self.add_error(
                        f"countries_{u.pk}", _("%(code)s is given to two SDRs.") % {"code": code}
                    )
                else:
                    owners[code] = u.pk
        data["country_owners"] = owners
        return data


class WebFormForm(forms.ModelForm):
    class Meta:
        model = WebForm
        fields = ["name", "redirect_url"]
        labels = {"name": _("Name"), "redirect_url": _("Redirect url")}
        help_texts = {"redirect_url": _("Where the visitor goes after posting (optional)")}
