from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from sdrcrm.errors import Conflict, Invalid, NotAllowed, NotFound

from . import selectors, services
from .forms import ClosedDayForm, ClosedDayRemoveForm, YearForm


@require_GET
def home(request):
    """Each role lands on its own starting page."""
    if request.user.is_marketing:
        return redirect("leads:overview")
    if request.user.is_prospector:
        return redirect("today")
    if request.user.is_privacy_officer:
        return redirect("privacy:subject")
    return redirect("leads:list")


@require_http_methods(["GET", "POST"])
def team_calendar(request):
    """The days the user's team does not work this year (its country's public holidays and its
    own closed days); its managers add and remove closed days. Everyone of the team reads it."""
    user = request.user
    if user.team_id is None:
        raise NotAllowed(_("The team calendar belongs to a team."))
    year_form = YearForm(request.GET)
    year = year_form.cleaned_data["year"] if year_form.is_valid() else None
    year = year or timezone.localdate().year
    form = ClosedDayForm(request.POST or None) if user.is_manager else None
    if request.method == "POST":
        if form is None:
            raise NotAllowed(_("Only the team's managers change its calendar."))
        if form.is_valid():
            try:
                closed = services.closed_day_add(actor=user, **form.cleaned_data)
            except (Invalid, Conflict) as error:
                form.add_error(error.field if error.field in form.fields else None, str(error))
            else:
                if closed.yearly:
                    said = _("Closed on %(day)s every year.")
                    day = date_format(closed.on, "j F")
                else:
                    said, day = _("Closed on %(day)s."), date_format(closed.on, "j F Y")
                messages.success(request, said % {"day": day})
                shown = year if closed.yearly else closed.on.year
                return redirect(f"{reverse('team_calendar')}?year={shown}")
    context = selectors.team_calendar_year(user=user, year=year)
    context["form"] = form
    status = 400 if request.method == "POST" else 200
    return render(request, "accounts/team_calendar.html", context, status=status)


@require_POST
def team_calendar_remove(request):
    """A manager reopens one of the team's closed days (another team's does not exist)."""
    form = ClosedDayRemoveForm(request.POST)
    if not request.user.is_manager or request.user.team_id is None:
        raise NotAllowed(_("Only the team's managers change its calendar."))
    if not form.is_valid():
        raise NotFound(_("No such closed day"))
    services.closed_day_remove(actor=request.user, closed_day_id=form.cleaned_data["closed_day"])
    messages.success(request, _("The team works on that day again."))
    year = YearForm(request.POST)
    shown = year.cleaned_data["year"] if year.is_valid() and year.cleaned_data["year"] else None
    return redirect(reverse("team_calendar") + (f"?year={shown}" if shown else ""))
