from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from sdrcrm.errors import Conflict, Invalid, NotAllowed, NotFound
from sdrcrm.i18n import user_language

from . import selectors, services
from .forms import ClosedDayForm, ClosedDayRemoveForm, LanguageForm, YearForm

# Where each role starts its day (issue 20): "/" and the login land there. By URL name: the
# pages belong to apps above this one.
START_PAGES = (
    ("is_prospector", "today"),  # SDRs and BDRs: their queue of touches
    ("is_ae", "qualification:queue"),  # AEs: the hand-offs waiting for them
    ("is_manager", "dashboards:pipeline"),  # managers: the team's pipeline
    ("is_marketing", "intake:list"),  # marketing: the list imports
    ("is_privacy_officer", "privacy:subject"),
)


@require_GET
def home(request):
    """Each role lands on its own starting page; anyone else (an admin) on the lead list."""
    for role, page in START_PAGES:
        if getattr(request.user, role):
            return redirect(page)
    return redirect("leads:list")


@require_POST
def language_set(request):
    """The user menu's language form: saves the user's own language ("" follows the team's)
    and goes back to the page it was sent from (on this site only), in the new language."""
    form = LanguageForm(request.POST)
    if form.is_valid():
        user = services.user_language_set(user=request.user, language=form.cleaned_data["language"])
        language = user_language(user, request.META.get("HTTP_ACCEPT_LANGUAGE", ""))
        translation.activate(language)
        request.LANGUAGE_CODE = language
        messages.success(request, _("Language saved."))
    else:
        messages.error(request, _("Choose one of the languages offered."))
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = "home"
    return redirect(target)


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
