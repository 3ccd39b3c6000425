"""Two guards in front of every view (docs/api.md, "Errors"; docs/reliability.md):

- ``InputGuardMiddleware`` refuses, with a 400, a request whose query string or form body
  holds a NUL character: PostgreSQL refuses NUL in text, so a NUL that reached a query or a
  row would be a 500. Form bodies are read for ``application/x-www-form-urlencoded`` only:
  a multipart body is parsed by its view (whose forms refuse NUL, Django's CharField does),
  and /api/ bodies by the API's parsers (which refuse NUL in JSON).
- ``ApiErrorMiddleware`` makes every error under /api/ JSON, whoever produced it: the URL
  resolver's 404 (``/api/leads/abc/``), a 405 of a function view, a 500, a CSRF 403, each
  ``{"detail": "…"}`` with the same status and headers (``Allow`` of a 405).

``DomainErrorMiddleware`` turns the services' errors (``sdrcrm.errors``) that a page view
let through into responses, in one place: not found and not allowed become Django's 404 and
403 (their pages); a conflict or wrong input on a POST comes back as a message on the page
the user came from (Post/Redirect/Get), otherwise as an error page with the message.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sdrcrm.errors import DomainError, NotAllowed, NotFound
from sdrcrm.i18n import accept_language, pick

API_PREFIX = "/api/"
FORM_TYPE = "application/x-www-form-urlencoded"
NUL_REFUSED = gettext_lazy("The request holds a NUL character (\\x00), which is refused.")


def _is_api(request) -> bool:
    return request.path_info.startswith(API_PREFIX)


def _has_nul(querydict) -> bool:
    return any("\x00" in k or any("\x00" in v for v in vs) for k, vs in querydict.lists())


def refuse(request, status: int, message) -> HttpResponse:
    """A 4xx for ``request``: JSON under /api/ or for a client asking for JSON, else a page.
    This runs before the user (and LocaleMiddleware) are known: ``message`` (a lazy
    translation) is in the browser's Accept-Language."""
    language = pick(accept_language(request.headers.get("Accept-Language", "")))
    with translation.override(language):
        if _is_api(request) or "application/json" in request.headers.get("Accept", ""):
            return JsonResponse({"detail": str(message)}, status=status)
        # No RequestContext: this may run before the session and the user are known.
        page = render_to_string("input_refused.html", {"message": message})
    response = HttpResponse(page, status=status)
    response.headers["Content-Language"] = language
    return response


class InputGuardMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        nul = _has_nul(request.GET)
        if not nul and request.method == "POST" and not _is_api(request):
            if request.content_type == FORM_TYPE:
                nul = _has_nul(request.POST)
        if nul:
            return refuse(request, 400, NUL_REFUSED)
        return self.get_response(request)


class ApiErrorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            response.status_code < 400
            or not _is_api(request)
            or response.get("Content-Type", "").startswith("application/json")
            or getattr(response, "streaming", False)
        ):
            return response
        json = JsonResponse(
            {"detail": _api_detail(response.status_code, response.reason_phrase)},
            status=response.status_code,
        )
        # Every header the inner middleware set (Allow, Retry-After, the security headers and
        # the Content-Security-Policy) still describes the answer; only the body changed.
        for header, value in response.items():
            if header.lower() not in ("content-type", "content-length"):
                json[header] = value
        return json


def _api_detail(status: int, reason: str) -> str:
    if status == 404:
        return _("Not found.")
    if status == 405:
        return _("Method not allowed.")
    if status >= 500:
        return _("Server error: the request could not be completed.")
    return reason


class DomainErrorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, DomainError):
            return None
        message = str(exception)
        if _is_api(request):  # an /api/ view that is not DRF's (DRF's have their handler)
            return JsonResponse({"detail": message}, status=exception.status)
        if isinstance(exception, NotFound):
            raise Http404(message) from exception
        if isinstance(exception, NotAllowed):
            raise PermissionDenied(message) from exception
        back = request.headers.get("Referer", "")
        if (
            request.method == "POST"
            and not request.headers.get("HX-Request")
            and url_has_allowed_host_and_scheme(
                back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
            )
        ):
            messages.error(request, message)
            return redirect(back)
        return render(
            request, "error.html", {"message": message}, status=exception.status
        )
