from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from sdrcrm.inputs import validate_date_range
from sdrcrm.money import AmountField

from .models import Decision
from .scoring import (
    Authority,
    Budget,
    Fit,
    Need,
    ScoringConfig,
    Timeline,
)
from .services import BRIEF_FIELDS, Answers, Brief, QualifyInput

SIZE_ROWS = 6
INDUSTRY_ROWS = 8
POINTS = {"min_value": -100, "max_value": 100}


def _points(label: str, **kwargs) -> forms.IntegerField:
    return forms.IntegerField(label=label, **POINTS, **kwargs)


def _choice_points(prefix: str, choices, unknown_label: str) -> dict[str, forms.Field]:
    fields = {f"{prefix}_{c.value}": _points(c.label) for c in choices}
    fields[f"{prefix}_unknown"] = _points(unknown_label)
    return fields


class ScoringModelForm(forms.Form):
    """The team's qualification model, flat: size bands and target industries as rows."""

    based_on_version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
    size_unknown_points = _points(_("Size unknown"))
    min_employees = forms.IntegerField(
        required=False,
        min_value=0,
        max_value=1_000_000,
        label=_("Scrap companies with fewer employees than"),
        help_text=_(
            "A hard disqualifier: 1 scraps the sole proprietor with no employees. "
            "Empty: no size disqualifies."
        ),
    )
    other_industry_points = _points(_("Any other industry"))
    excluded_industries = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        label=_("Excluded industries (one a line)"),
        help_text=_("A hard disqualifier: leads in these industries are scrapped."),
    )
    price_floor = AmountField(
        min_value=0, max_value=10**12, label=_("Cheapest plan a year"),
        help_text=_("A stated budget below this cannot afford the product."),
    )  # fmt: skip
    price_list = AmountField(
        min_value=0, max_value=10**12, label=_("Usual deal a year"),
        help_text=_("A budget at or above this can afford it; in between is a stretch."),
    )  # fmt: skip
    budget_cannot_disqualifies = forms.BooleanField(
        required=False, label=_("A budget below the cheapest plan scraps the lead")
    )
    need_none_disqualifies = forms.BooleanField(required=False, label=_("No need scraps the lead"))
    threshold = forms.IntegerField(
        min_value=0, max_value=100, label=_("Qualified from score"),
        help_text=_("Scores are 0–100: the sum of the points, kept within that range."),
    )  # fmt: skip
    escalate_after_hours = forms.IntegerField(
        min_value=1, max_value=200, label=_("Escalate a hand-off after (business hours)"),
        help_text=_("An AE who neither accepts nor rejects a lead within this many business "
        "hours (Monday–Friday, 08–16) is reported to the managers."),
    )  # fmt: skip
    note = forms.CharField(
        required=False, max_length=200, label=_("What changed (for the history)")
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for i in range(SIZE_ROWS):
            self.fields[f"size_{i}_min"] = forms.IntegerField(
                required=False, min_value=0, max_value=10_000_000, label=_("From")
            )
            self.fields[f"size_{i}_max"] = forms.IntegerField(
                required=False, min_value=0, max_value=10_000_000, label=_("To"),
                help_text=_("Empty: no upper limit"),
            )  # fmt: skip
            self.fields[f"size_{i}_points"] = _points(_("Points"), required=False)
        for i in range(INDUSTRY_ROWS):
            self.fields[f"industry_{i}_name"] = forms.CharField(
                required=False, max_length=120, label=_("Industry")
            )
            self.fields[f"industry_{i}_points"] = _points(_("Points"), required=False)
        self.fields.update(_choice_points("budget", Budget, _("Budget not known")))
        self.fields.update(_choice_points("timeline", Timeline, _("Timeline not known")))
        self.fields.update(_choice_points("authority", Authority, _("Authority not known")))
        self.fields.update(_choice_points("need", Need, _("Need not known")))
        self.fields.update(_choice_points("fit", Fit, _("Fit not assessed")))

    # Rows and groups for the template.
    def size_rows(self):
        return [
            (self[f"size_{i}_min"], self[f"size_{i}_max"], self[f"size_{i}_points"])
            for i in range(SIZE_ROWS)
        ]

    def industry_rows(self):
        return [
            (self[f"industry_{i}_name"], self[f"industry_{i}_points"]) for i in range(INDUSTRY_ROWS)
        ]

    @property
    def groups(self) -> dict:
        """The points fields of each answer factor, for the template."""
        return {
            prefix: [self[f"{prefix}_{c.value}"] for c in choices] + [self[f"{prefix}_unknown"]]
            for prefix, choices in (
                ("budget", Budget),
                ("timeline", Timeline),
                ("authority", Authority),
                ("need", Need),
                ("fit", Fit),
            )
        }

    @classmethod
    def initial_for(cls, config: ScoringConfig, version: int) -> dict:
        initial = {
            "based_on_version": version,
            "size_unknown_points": config.size_unknown_points,
            "min_employees": config.min_employees,
            "other_industry_points": config.other_industry_points,
            "excluded_industries": "\n".join(config.excluded_industries),
            "price_floor": config.price_floor,
            "price_list": config.price_list,
            "budget_cannot_disqualifies": config.budget_cannot_disqualifies,
            "need_none_disqualifies": config.need_none_disqualifies,
            "threshold": config.threshold,
            "escalate_after_hours": config.escalate_after_hours,
        }
        for i, band in enumerate(config.size_bands[:SIZE_ROWS]):
            initial[f"size_{i}_min"] = band.min_employees
            initial[f"size_{i}_max"] = band.max_employees
            initial[f"size_{i}_points"] = band.points
        for i, (name, points) in enumerate(config.target_industries[:INDUSTRY_ROWS]):
            initial[f"industry_{i}_name"] = name
            initial[f"industry_{i}_points"] = points
        for prefix, mapping in (
            ("budget", config.budget_points),
            ("timeline", config.timeline_points),
            ("authority", config.authority_points),
            ("need", config.need_points),
            ("fit", config.fit_points),
        ):
            for key, points in mapping.items():
                initial[f"{prefix}_{key}"] = points
        return initial

    def clean(self):
        cleaned = super().clean()
        for i in range(SIZE_ROWS):
            lo, pts = cleaned.get(f"size_{i}_min"), cleaned.get(f"size_{i}_points")
            hi = cleaned.get(f"size_{i}_max")
            if (lo is None) != (pts is None) or (lo is None and hi is not None):
                self.add_error(
                    f"size_{i}_min",
                    _(
                        "Give a size band both its lowest count and its points, "
                        "or leave the row empty."
                    ),
                )
        for i in range(INDUSTRY_ROWS):
            name, pts = cleaned.get(f"industry_{i}_name"), cleaned.get(f"industry_{i}_points")
            if name and pts is None:
                self.add_error(f"industry_{i}_points", _("Give the industry its points."))
        return cleaned

    def to_config(self) -> dict:
        d = self.cleaned_data

        def points(prefix, choices):
            out = {c.value: d[f"{prefix}_{c.value}"] for c in choices}
            out["unknown"] = d[f"{prefix}_unknown"]
            return out

        return {
            "size_bands": [
                {"min_employees": d[f"size_{i}_min"], "max_employees": d[f"size_{i}_max"],
                 "points": d[f"size_{i}_points"]}
                for i in range(SIZE_ROWS)
                if d.get(f"size_{i}_min") is not None
            ],
            "size_unknown_points": d["size_unknown_points"],
            "min_employees": d["min_employees"],
            "target_industries": [
                [d[f"industry_{i}_name"], d[f"industry_{i}_points"]]
                for i in range(INDUSTRY_ROWS)
                if d.get(f"industry_{i}_name")
            ],
            "other_industry_points": d["other_industry_points"],
            "excluded_industries": [
                line.strip() for line in d["excluded_industries"].splitlines() if line.strip()
            ],
            "price_floor": d["price_floor"],
            "price_list": d["price_list"],
            "budget_points": points("budget", Budget),
            "budget_cannot_disqualifies": d["budget_cannot_disqualifies"],
            "timeline_points": points("timeline", Timeline),
            "authority_points": points("authority", Authority),
            "need_points": points("need", Need),
            "need_none_disqualifies": d["need_none_disqualifies"],
            "fit_points": points("fit", Fit),
            "threshold": d["threshold"],
            "escalate_after_hours": d["escalate_after_hours"],
        }  # fmt: skip


def _blank(choices, label: str):
    return [("", label), *choices.choices]


class AnswersForm(forms.Form):
    """BANT and fit; also what the live score preview reads."""

    budget = AmountField(
        required=False, min_value=0, max_value=10**12, label=_("Stated budget a year"),
        help_text=_("Empty: not known yet."),
    )  # fmt: skip
    timeline = forms.ChoiceField(
        required=False,
        choices=_blank(Timeline, _("Not known yet")),
        label=pgettext_lazy("BANT", "Timeline"),
    )
    authority = forms.ChoiceField(
        required=False,
        choices=_blank(Authority, _("From the prospect's role")),
        label=_("Authority of our contact"),
    )
    need = forms.ChoiceField(
        required=False, choices=_blank(Need, _("Not known yet")), label=_("Need")
    )
    fit = forms.ChoiceField(
        required=False, choices=_blank(Fit, _("Not assessed yet")), label=_("Fit"),
        help_text=_("Does the team sell to companies like this, and can it meet the need?"),
    )  # fmt: skip

    def to_answers(self) -> Answers:
        d = self.cleaned_data
        return Answers(
            budget=d.get("budget"),
            timeline=d.get("timeline") or "",
            authority=d.get("authority") or "",
            need=d.get("need") or "",
            fit=d.get("fit") or "",
        )


DECISIONS = [
    (Decision.QUALIFY.value, _("Qualify and hand off to an AE")),
    (Decision.DISQUALIFY.value, _("Scrap (disqualify)")),
    (Decision.NURTURE.value, _("Not now: nurture until a date")),
]
ROUTE = "route"


class QualifyForm(AnswersForm):
    action = forms.ChoiceField(choices=[("save", _("Save answers")), ("decide", _("Decide"))])
    expected_state = forms.CharField(required=False, widget=forms.HiddenInput)
    decision = forms.ChoiceField(
        required=False, choices=DECISIONS, widget=forms.RadioSelect, label=_("Your judgement")
    )
    override_reason = forms.CharField(
        required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}),
        label=_("Why (required when you go against the score)"),
    )  # fmt: skip
    brief_need = forms.CharField(required=False, max_length=1000, label=_("Need"))
    brief_budget = forms.CharField(required=False, max_length=1000, label=_("Budget"))
    brief_timeline = forms.CharField(
        required=False, max_length=1000, label=pgettext_lazy("BANT", "Timeline")
    )
    brief_decision_maker = forms.CharField(
        required=False, max_length=1000, label=_("Decision maker")
    )
    brief_next_step = forms.CharField(required=False, max_length=1000, label=_("Next step"))
    ae = forms.ChoiceField(
        required=False,
        label=_("Account executive"),
        help_text=_(
            "Automatically: round-robin in proportion to capacity, skipping AEs who are "
            "away or whose queue is full. By each AE: hand-offs waiting / capacity."
        ),
    )
    # The team's own list (leads.Reason), given by the view: a code of another team's list
    # or a deactivated reason is "not one of the available choices".
    disqualify_reason = forms.ChoiceField(required=False, choices=[], label=_("Reason"))
    disqualify_note = forms.CharField(
        required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}),
        label=_("Note (required for \"Other\")"),
    )  # fmt: skip
    recycle_on = forms.DateField(
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        label=_("Back to new on"),
        validators=[validate_date_range],
    )

    def __init__(self, *args, aes=(), disqualify_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["disqualify_reason"].choices = list(disqualify_choices)
        choices = [(ROUTE, _("Route automatically"))]
        for a in aes:
            status = {"away": _(" — away"), "full": _(" — queue full")}.get(a["status"], "")
            choices.append(
                (str(a["user"].pk), f"{a['user']} ({a['load']}/{a['capacity']}){status}")
            )
        self.fields["ae"].choices = choices

    def brief_fields(self):
        return [self[f"brief_{name}"] for name, _ in BRIEF_FIELDS]

    def to_input(self) -> QualifyInput:
        d = self.cleaned_data
        ae = d.get("ae") or ROUTE
        return QualifyInput(
            decision=d.get("decision") or "",
            answers=self.to_answers(),
            override_reason=d.get("override_reason") or "",
            brief=Brief(**{name: d.get(f"brief_{name}") or "" for name, _ in BRIEF_FIELDS}),
            ae_id=None if ae == ROUTE else int(ae),
            disqualify_reason=d.get("disqualify_reason") or "",
            disqualify_note=d.get("disqualify_note") or "",
            recycle_on=d.get("recycle_on"),
            expected_state=d.get("expected_state") or None,
        )


class RejectForm(forms.Form):
    """The AE's rejection: one of the team's reasons (leads.Reason, kind "reject") and, if
    they want (required for "Other"), their own words for the SDR."""

    # Not required here: the words alone count as "other", as in the API (the service says
    # what is missing when neither is given); a code not in the team's list is an error.
    reason_code = forms.ChoiceField(
        choices=[],
        required=False,
        label=_("Reason"),
        error_messages={"invalid_choice": _("Choose one of your team's reasons.")},
    )
    reason = forms.CharField(
        required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}),
        label=_("In your words, for the SDR (required for “Other”)"),
    )  # fmt: skip

    def __init__(self, *args, reason_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason_code"].choices = list(reason_choices)


class AEProfileForm(forms.Form):
    capacity = forms.IntegerField(required=False, min_value=0, max_value=500)
    is_away = forms.BooleanField(required=False, label=_("Away"))
