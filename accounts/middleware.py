"""The language of every page (docs/i18n.md)."""

from django.utils import translation

from sdrcrm.i18n import accept_language, pick, user_language


class UserLanguageMiddleware:
    """After AuthenticationMiddleware: a signed-in user's pages are in their own language,
    else their team's, else the browser's (sdrcrm.i18n.user_language); anyone else's in the
    browser's, where "no" and "nn" mean bokmål too (Django's LocaleMiddleware, earlier, only
    knows "nb"; it chose for what runs before this and sets Content-Language on the way out
    from the language active then). No query: the team comes with the user
    (accounts.backends)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        accept = request.META.get("HTTP_ACCEPT_LANGUAGE", "")
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            language = user_language(user, accept)
        else:
            language = pick(accept_language(accept))
        if language != getattr(request, "LANGUAGE_CODE", None):
            translation.activate(language)
            request.LANGUAGE_CODE = language
        return self.get_response(request)
