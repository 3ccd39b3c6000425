"""Session idle and absolute timeouts, and the two-factor step after a password login."""

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpResponse
from django.shortcuts import redirect, resolve_url
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import TOTPDevice

STARTED = "_sdrcrm_started"
SEEN = "_sdrcrm_seen"
VERIFIED = "_sdrcrm_2fa"
# The last-seen time is written at most this often (seconds), not on every request.
SEEN_RESOLUTION = 60


def _now() -> float:
    return timezone.now().timestamp()


def _htmx_redirect(url: str) -> HttpResponse:
    """htmx requests follow a 302 inside the XMLHttpRequest and would swap the target page
    into a fragment; HX-Redirect on a 200 makes htmx load the whole page instead."""
    response = HttpResponse(status=200)
    response["HX-Redirect"] = url
    return response


def _current_page(request) -> str:
    """The page the user is on: for htmx, the page that made the request."""
    if getattr(request, "htmx", False) and request.htmx.current_url_abs_path:
        return request.htmx.current_url_abs_path
    return request.get_full_path()


def session_started(session) -> None:
    now = _now()
    session[STARTED] = now
    session[SEEN] = now


class SessionTimeoutMiddleware:
    """Logs a user out after SDRCRM_SESSION_IDLE_SECONDS without a request, and in any case
    SDRCRM_SESSION_MAX_SECONDS after the login. The login page then says why."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            session = request.session
            now = _now()
            started, seen = session.get(STARTED), session.get(SEEN)
            if started is None or seen is None:
                session_started(session)
            elif (
                now - seen > settings.SDRCRM_SESSION_IDLE_SECONDS
                or now - started > settings.SDRCRM_SESSION_MAX_SECONDS
            ):
                logout(request)  # LoginRequiredMiddleware then sends them to the login page
                messages.info(request, _("Your session expired. Please log in again."))
                if getattr(request, "htmx", False):
                    login_url = resolve_url(settings.LOGIN_URL)
                    return _htmx_redirect(
                        f"{login_url}?{urlencode({'next': _current_page(request)})}"
                    )
            elif now - seen > SEEN_RESOLUTION:
                session[SEEN] = now
        return self.get_response(request)


def two_factor_required(user) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed_at__isnull=False).exists()


class TwoFactorMiddleware:
    """A user with a confirmed authenticator reaches nothing but the code page (and log out)
    until they typed a code. The login marks the session pending (security.signals), so
    requests cost no query."""

    ALLOWED = ("security:verify", "logout")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not request.user.is_authenticated or request.session.get(VERIFIED) is not False:
            return None
        match = request.resolver_match
        if match is not None and match.view_name in self.ALLOWED:
            return None
        url = reverse("security:verify")
        if getattr(request, "htmx", False):
            return _htmx_redirect(f"{url}?{urlencode({'next': _current_page(request)})}")
        if request.method == "GET":
            url += "?" + urlencode({"next": request.get_full_path()})
        return redirect(url)
