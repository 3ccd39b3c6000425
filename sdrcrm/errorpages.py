"""The product's own error pages: 400, 403, 404, 500 and the CSRF failure.

The root URLconf names the four handlers (``handler400`` … ``handler500``) and the settings
the CSRF one (``CSRF_FAILURE_VIEW``). Django uses them whenever DEBUG is off, as in
production and under ``make run`` (scripts/run-dev.sh; ``make run DJANGO_DEBUG=1`` brings
Django's debug pages back, for a developer who wants them). The 403 and the CSRF pages are
ours with DEBUG on too.

Each page extends the site's layout (templates/base.html, with the navigation) for a logged-in
user and a plain one otherwise (templates/error_plain.html), says what happened in the
user's words and offers a way back: the page before when it was one of this site's, and the
start page (or the login page). A 404 or 403 that a service raised (``sdrcrm.errors``: "No
such lead") shows its message; Django's own messages (the URL resolver's lists the URL
patterns) are never shown. The server error page renders without the site's layout when
that fails too (the database may be why it is shown).
"""

import logging

from django.core.exceptions import DisallowedHost
from django.http import HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import requires_csrf_token

from .errors import DomainError

log = logging.getLogger(__name__)

SITE_LAYOUT = "base.html"
PLAIN_LAYOUT = "error_plain.html"


def _logged_in(request) -> bool:
    user = getattr(request, "user", None)
    try:
        return bool(user is not None and user.is_authenticated)
    except Exception:  # noqa: BLE001  (an error page must not fail: the session may be why)
        return False


def _back(request) -> str:
    """The page the user came from, when it was one of this site's and not this one."""
    referer = request.headers.get("Referer", "")
    try:
        host = request.get_host()
    except DisallowedHost:
        return ""
    same_site = url_has_allowed_host_and_scheme(
        referer, allowed_hosts={host}, require_https=request.is_secure()
    )
    return referer if referer and same_site and referer != request.build_absolute_uri() else ""


def _service_message(exception) -> str:
    """The message of a service's error behind ``exception`` (written for the user), else ''."""
    cause = getattr(exception, "__cause__", None)
    return str(cause) if isinstance(cause, DomainError) else ""


def _page(request, template: str, status: int, message: str = "") -> HttpResponse:
    logged_in = _logged_in(request)
    context = {
        "layout": SITE_LAYOUT if logged_in else PLAIN_LAYOUT,
        "logged_in": logged_in,
        "back": _back(request),
        "status": status,
        "message": message,
    }
    return render(request, template, context, status=status)


@requires_csrf_token
def bad_request(request, exception=None):
    return _page(request, "400.html", 400)


@requires_csrf_token
def permission_denied(request, exception=None):
    return _page(request, "403.html", 403, _service_message(exception))


@requires_csrf_token
def page_not_found(request, exception=None):
    return _page(request, "404.html", 404, _service_message(exception))


@requires_csrf_token
def server_error(request):
    try:
        return _page(request, "500.html", 500)
    except Exception:  # noqa: BLE001  (the site's layout failed too: the plain page, no request)
        log.exception("The server error page could not use the site's layout")
        context = {"layout": PLAIN_LAYOUT, "logged_in": False, "status": 500}
        return HttpResponse(render_to_string("500.html", context), status=500)


def csrf_failure(request, reason=""):
    """settings.CSRF_FAILURE_VIEW: a form sent without its token, or with an old one."""
    return _page(request, "403_csrf.html", 403)
