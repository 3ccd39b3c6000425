"""What the lead pages tell a user whose change found the lead gone from their scope."""

from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import gettext as _


def lead_gone_meanwhile(request, to: str = "leads:list"):
    """The answer to a change whose lead was visible a moment ago but that the service no
    longer finds in the user's scope (``NotFound``): someone moved it meanwhile, e.g. the AE
    rejected it while also clicking accept. A message and a redirect, not a 404 page."""
    messages.error(
        request,
        _(
            "Someone else changed this lead meanwhile and it is no longer in your list. "
            "Nothing was changed by you."
        ),
    )
    return redirect(to)
