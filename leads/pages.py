"""What the pages of several apps answer about a lead, written once."""

from django.contrib import messages
from django.http import HttpResponseRedirect
from django.shortcuts import redirect
from django.utils.translation import gettext as _


def lead_changed_meanwhile(request, to: str = "leads:list") -> HttpResponseRedirect:
    """The lead was visible a moment ago (the view checked) but the service no longer finds it
    in the user's scope: someone moved it meanwhile, e.g. the AE rejected it while also
    clicking accept. Say so and go ``to`` (a URL name or path)."""
    messages.error(
        request,
        _(
            "Someone else changed this lead meanwhile and it is no longer in your list. "
            "Nothing was changed by you."
        ),
    )
    return redirect(to)
