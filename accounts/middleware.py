"""The language of a signed-in user's pages (docs/i18n.md)."""

from django.utils import translation

from sdrcrm.i18n import user_language


class UserLanguageMiddleware:
    """After AuthenticationMiddleware: a signed-in user's pages are in their own language,
    else their team's, else the browser's (sdrcrm.i18n.user_language). Django's
    LocaleMiddleware, earlier, has already chosen from the browser for everyone else (and
    sets Content-Language on the way out from the language active then). No query: the team
    comes with the user (accounts.backends)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            language = user_language(user, request.META.get("HTTP_ACCEPT_LANGUAGE", ""))
            if language != request.LANGUAGE_CODE:
                translation.activate(language)
                request.LANGUAGE_CODE = language
        return self.get_response(request)
