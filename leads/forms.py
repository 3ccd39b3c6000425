from django import forms
from django.utils.translation import gettext_lazy as _

from sdrcrm.inputs import validate_date_range
from sdrcrm.money import AmountField

from . import fields as lead_fields
from .models import CallOutcome, LeadSource, LeadState, ProspectRole, ReasonKind
from .selectors import DEFAULT_SORT, SORTS, LeadFilters


class LeadFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=200, label=_("Search"))
    state = forms.MultipleChoiceField(
        required=False, choices=LeadState.choices, widget=forms.CheckboxSelectMultiple
    )
    source = forms.ChoiceField(
        required=False, choices=[("", _("Any source")), *LeadSource.choices], label=_("Source")
    )
    owner = forms.ChoiceField(required=False, choices=[("", _("Anyone"))], label=_("Owner"))
    industry = forms.CharField(required=False, max_length=120, label=_("Industry"))
    score_min = forms.IntegerField(
        required=False, min_value=0, max_value=100, label=_("Score from")
    )
    score_max = forms.IntegerField(required=False, min_value=0, max_value=100, label=_("Score to"))
    created_from = forms.DateField(
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        label=_("Created from"),
        validators=[validate_date_range],
    )
    created_to = forms.DateField(
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        label=_("Created to"),
        validators=[validate_date_range],
    )
    sort = forms.ChoiceField(
        required=False,
        choices=[(k, v[0]) for k, v in SORTS.items()],
        initial=DEFAULT_SORT,
        label=_("Sort"),
    )
    cursor = forms.CharField(required=False, max_length=500, widget=forms.HiddenInput)

    def __init__(self, *args, owners=(), show_owner_filter=True, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", _("Anyone")), ("me", _("Me")), ("unassigned", _("Unassigned pool"))]
        choices += [(str(u.pk), str(u)) for u in owners]
        self.fields["owner"].choices = choices
        if not show_owner_filter:
            del self.fields["owner"]

    def to_filters(self) -> LeadFilters:
        # A bad value (score_min=abc) drops that one filter, shown as an error on its field;
        # the valid filters still apply, so the rows always match what the form shows.
        d = {}
        if self.is_bound:
            self.is_valid()  # cleaned_data then holds every field that is valid
            d = self.cleaned_data
        return LeadFilters(
            q=d.get("q", ""),
            states=d.get("state") or [],
            source=d.get("source", ""),
            owner=d.get("owner", "") or "",
            industry=d.get("industry", ""),
            score_min=d.get("score_min"),
            score_max=d.get("score_max"),
            created_from=d.get("created_from"),
            created_to=d.get("created_to"),
            sort=d.get("sort") or DEFAULT_SORT,
        )


class LeadForm(forms.Form):
    # The prospect
    first_name = forms.CharField(max_length=100, label=_("First name"))
    last_name = forms.CharField(max_length=100, required=False, label=_("Last name"))
    email = forms.EmailField(max_length=254, required=False, label=_("Email"))
    phone = forms.CharField(max_length=40, required=False, label=_("Phone"))
    title = forms.CharField(max_length=150, required=False, label=_("Job title"))
    role = forms.ChoiceField(
        choices=ProspectRole.choices,
        required=False,
        label=_("Buying role"),
        help_text=_("Decision maker is one of the roles: the one who decides."),
    )
    linkedin_url = forms.CharField(max_length=300, required=False, label=_("LinkedIn URL"))
    time_zone = forms.CharField(max_length=64, required=False, label=_("Time zone"))
    do_not_contact = forms.BooleanField(required=False, label=_("Do not contact"))
    # The company
    company_name = forms.CharField(max_length=200, required=False, label=_("Company"))
    company_website = forms.CharField(max_length=300, required=False, label=_("Website"))
    company_industry = forms.CharField(max_length=120, required=False, label=_("Industry"))
    company_employee_count = forms.IntegerField(
        required=False, min_value=0, max_value=lead_fields.EMPLOYEES_MAX, label=_("Employees")
    )
    company_annual_revenue = AmountField(
        required=False, min_value=0, max_value=lead_fields.REVENUE_MAX, label=_("Annual revenue")
    )
    company_country = forms.CharField(max_length=2, required=False, label=_("Country (ISO code)"))
    company_time_zone = forms.CharField(max_length=64, required=False, label=_("Company time zone"))
    company_linkedin_url = forms.CharField(
        max_length=300, required=False, label=_("Company LinkedIn")
    )
    no_company_reason = forms.CharField(
        max_length=lead_fields.NO_COMPANY_REASON_MAX,
        required=False,
        label=_("No company because…"),
        help_text=_(
            "A lead needs a company or the reason it has none (a private person, a sole trader…)."
        ),
    )
    # The lead
    source = forms.ChoiceField(
        choices=LeadSource.choices, initial=LeadSource.OUTBOUND, label=_("Source")
    )
    owner = forms.TypedChoiceField(
        required=False, coerce=int, empty_value=None, label=_("Owner"), choices=[]
    )
    version = forms.IntegerField(
        required=False,
        widget=forms.HiddenInput,
        error_messages={"invalid": _("This form is out of date: reload the page and try again.")},
    )

    PROSPECT_FIELDS = list(lead_fields.PROSPECT_FIELDS)
    COMPANY_FIELDS = [f"company_{name}" for name in lead_fields.COMPANY_FIELDS]

    def __init__(self, *args, owners=None, **kwargs):
        super().__init__(*args, **kwargs)
        if owners is None:
            del self.fields["owner"]
        else:
            self.fields["owner"].choices = [("", _("Unassigned pool"))] + [
                (u.pk, str(u)) for u in owners
            ]

    def prospect_fields(self):
        return [self[name] for name in self.PROSPECT_FIELDS if name != "no_company_reason"]

    def company_fields(self):
        return [self[name] for name in self.COMPANY_FIELDS] + [self["no_company_reason"]]

    def clean(self):
        """The rule of every lead (leads.fields.reachability_errors), on the fields it names."""
        data = super().clean()
        fields = ("email", "phone", "linkedin_url", "company_name", "company_website")
        if all(name not in self.errors for name in fields):
            errors = lead_fields.reachability_errors(
                email=data.get("email") or "",
                phone=data.get("phone") or "",
                linkedin_url=data.get("linkedin_url") or "",
                has_company=bool(data.get("company_name") or data.get("company_website")),
                no_company_reason=data.get("no_company_reason") or "",
            )
            for name, message in errors.items():
                self.add_error(name, message)
        return data


def _gated(name: str):
    """``clean_<name>``: the field's gate in leads.fields, the same one every path runs."""

    def clean(self):
        return lead_fields.clean_lead_field(name, self.cleaned_data.get(name))

    return clean


for _name in LeadForm.PROSPECT_FIELDS + LeadForm.COMPANY_FIELDS:
    if _name in lead_fields.LEAD_FIELDS:
        setattr(LeadForm, f"clean_{_name}", _gated(_name))


class TransitionForm(forms.Form):
    expected_state = forms.ChoiceField(choices=LeadState.choices, required=False)
    reason = forms.CharField(required=False, max_length=2000)
    note = forms.CharField(required=False, max_length=5000, widget=forms.Textarea)
    recycle_on = forms.DateField(
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        validators=[validate_date_range],
    )
    ae = forms.TypedChoiceField(required=False, coerce=int, empty_value=None, choices=[])
    brief = forms.CharField(required=False, max_length=10_000, widget=forms.Textarea)

    def __init__(self, *args, aes=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["ae"].choices = [("", _("Choose an AE"))] + [(u.pk, str(u)) for u in aes]


class NoteForm(forms.Form):
    body = forms.CharField(
        max_length=10_000, widget=forms.Textarea(attrs={"rows": 3}), label=_("Note")
    )


class CallForm(forms.Form):
    outcome = forms.ChoiceField(choices=[("", _("Choose an outcome")), *CallOutcome.choices])
    notes = forms.CharField(
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2}),
        label=_("Call notes"),
    )


class BulkAssignForm(forms.Form):
    lead_ids = forms.CharField(widget=forms.HiddenInput, required=False)
    owner = forms.ChoiceField(choices=[])

    def __init__(self, *args, owners=(), **kwargs):
        # Shown on the lead list next to the filter form, which has its own "owner" field.
        kwargs.setdefault("auto_id", "bulk_%s")
        super().__init__(*args, **kwargs)
        self.fields["owner"].choices = [("", _("Assign to…")), ("pool", _("Unassigned pool"))] + [
            (str(u.pk), str(u)) for u in owners
        ]


class ReasonAddForm(forms.Form):
    """The manager adds a reason to one of the team's lists."""

    kind = forms.ChoiceField(choices=ReasonKind.choices, widget=forms.HiddenInput)
    label = forms.CharField(max_length=100, label=_("New reason"))


class ReasonChangeForm(forms.Form):
    """The manager renames a reason, deactivates or activates it, or moves it up or down."""

    ACTIONS = ("rename", "deactivate", "activate", "up", "down")

    action = forms.ChoiceField(choices=[(a, a) for a in ACTIONS])
    label = forms.CharField(max_length=100, required=False, label=_("Name"))

    def clean(self):
        data = super().clean()
        if data.get("action") == "rename" and not (data.get("label") or "").strip():
            self.add_error("label", _("Give the reason a name."))
        return data
