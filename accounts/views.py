from django.contrib import messages
from django.shortcuts import redirect
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from sdrcrm.i18n import user_language

from . import services
from .forms import LanguageForm

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
