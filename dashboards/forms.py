from datetime import timedelta

from django import forms
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from leads.models import LeadSource
from sdrcrm.inputs import validate_date_range

from .metrics import Filters, Scope, scope_today

MAX_DAYS = 366


def _person_label(user, *, with_team: bool) -> str:
    label = str(user)
    if with_team and user.team_id:
        label = _("%(name)s · %(team)s") % {"name": label, "team": user.team.name}
    if not user.is_active:
        label = _("%(name)s (inactive)") % {"name": label}
    return label


class DashboardFilterForm(forms.Form):
    """The period (the team's local days, both ends included) and the filters of a page."""

    start = forms.DateField(
        required=False,
        label=gettext_lazy("From"),
        widget=forms.DateInput(attrs={"type": "date"}),
        validators=[validate_date_range],
    )
    end = forms.DateField(
        required=False,
        label=gettext_lazy("To"),
        widget=forms.DateInput(attrs={"type": "date"}),
        validators=[validate_date_range],
    )
    sdr = forms.TypedChoiceField(
        required=False, coerce=int, empty_value=None, label=gettext_lazy("SDR")
    )
    source = forms.ChoiceField(
        required=False,
        choices=[("", gettext_lazy("Any source")), *LeadSource.choices],
        label=gettext_lazy("Source"),
    )
    cadence = forms.TypedChoiceField(
        required=False, coerce=int, empty_value=None, label=gettext_lazy("Cadence")
    )
    team = forms.TypedChoiceField(
        required=False, coerce=int, empty_value=None, label=gettext_lazy("Team")
    )
    by = forms.ChoiceField(
        required=False,
        choices=[("day", gettext_lazy("Per day")), ("week", gettext_lazy("Per week"))],
        label=gettext_lazy("Group"),
    )
    stalled_days = forms.IntegerField(
        required=False, min_value=1, max_value=365, label=gettext_lazy("Stalled after (days)")
    )

    def __init__(self, data=None, *, scope: Scope, people=(), cadences=(), teams=()):
        super().__init__(data)
        self.scope = scope
        self.fields["sdr"].choices = [
            ("", _("Everyone")),
            *[(u.pk, _person_label(u, with_team=scope.kind == "all")) for u in people],
        ]
        self.fields["cadence"].choices = [
            ("", _("Any cadence")),
            *[(c.pk, c.name) for c in cadences],
        ]
        self.fields["team"].choices = [("", _("All teams")), *[(t.pk, t.name) for t in teams]]
        if not scope.sees_people:
            del self.fields["sdr"]
        if not teams:
            del self.fields["team"]
        if not scope.sees_leads:
            del self.fields["stalled_days"]

    @property
    def invalid(self) -> bool:
        """Filters were given and some are wrong: the page shows the errors, never figures of
        a period or a person other than the ones asked for."""
        return self.is_bound and not self.is_valid()

    def value(self, name, default=None):
        if self.is_bound and self.is_valid():
            v = self.cleaned_data.get(name)
            return default if v in (None, "") else v
        return default

    def filters(self) -> Filters:
        today = scope_today(self.scope)
        end = self.value("end", today)
        start = self.value("start", end - timedelta(days=29))
        if start > end:
            start, end = end, start
        if (end - start).days >= MAX_DAYS:
            start = end - timedelta(days=MAX_DAYS - 1)
        return Filters(
            start=start,
            end=end,
            sdr=self.value("sdr") if self.scope.sees_people else None,
            source=self.value("source", ""),
            cadence=self.value("cadence"),
        )

    @property
    def stalled_after(self) -> int:
        return self.value("stalled_days", settings.SDRCRM_DASHBOARDS_STALLED_DAYS)

    @property
    def group_by(self) -> str:
        return self.value("by", "day")
