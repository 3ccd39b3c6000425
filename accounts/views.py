from django.contrib import messages
from django.shortcuts import redirect
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from sdrcrm.i18n import user_language

from . import services
from .forms import LanguageForm


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
