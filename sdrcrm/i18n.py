"""Which language a page or an email is in (docs/i18n.md).

A user's pages: their own setting, else their team's language, else the browser's
Accept-Language, else LANGUAGE_CODE (``accounts.middleware.UserLanguageMiddleware``).
What a prospect sees (the emails sent to them, the unsubscribe page, the web form's answer)
is in the cadence's language when it has one, else the team's: ``prospect_translation`` is
the one place that switches to it. This module knows teams, users and cadences only by their
``language`` attribute (it sits below the apps that define them)."""

from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.shortcuts import render
from django.utils import translation
from django.utils.translation.trans_real import parse_accept_lang_header

# Browsers in Norway send "no" or "nn" as often as "nb": both read bokmål better than English.
_ALIASES = {"no": "nb", "nn": "nb"}


def supported(code: str | None) -> str:
    """``code`` when it is one of settings.LANGUAGES (or a variant of one: "nb-NO",
    "en-GB"), else ""."""
    if not code or len(code) > 16:
        return ""
    code = code.strip().lower().replace("_", "-")
    languages = {c for c, _ in settings.LANGUAGES}
    for candidate in (code, code.split("-")[0]):
        candidate = _ALIASES.get(candidate, candidate)
        if candidate in languages:
            return candidate
    return ""


def pick(*codes: str | None) -> str:
    """The first supported language among ``codes``, else settings.LANGUAGE_CODE."""
    for code in codes:
        found = supported(code)
        if found:
            return found
    return settings.LANGUAGE_CODE


def accept_language(header: str) -> str:
    """The browser's preferred supported language in an Accept-Language header, or ""."""
    for code, _ in parse_accept_lang_header(header or ""):
        if code == "*":
            break
        found = supported(code)
        if found:
            return found
    return ""


def user_language(user, accept: str = "") -> str:
    """A signed-in user's language: their setting, their team's, the browser's, the site's.
    ``user.team`` is loaded with the user (accounts.backends): no query."""
    team = user.team if getattr(user, "team_id", None) else None
    return pick(
        getattr(user, "language", ""),
        getattr(team, "language", ""),
        accept_language(accept),
    )


def prospect_language(team=None, cadence=None) -> str:
    """The language a prospect is written to in: the cadence's (``Cadence.language``, always
    set: the team's when it was made), else the team's (a web form has no cadence), else the
    site's."""
    return pick(getattr(cadence, "language", ""), getattr(team, "language", ""))


@contextmanager
def prospect_translation(team=None, cadence=None, *, language: str = "") -> Iterator[str]:
    """Render what a prospect sees inside ``with prospect_translation(team, cadence):``.
    ``language`` instead when it is already known (a web form's result)."""
    code = supported(language) or prospect_language(team, cadence)
    with translation.override(code):
        yield code


def render_for_prospect(
    request, template_name: str, context=None, *, team=None, cadence=None, language: str = "",
    status: int | None = None,
):  # fmt: skip
    """A public page a prospect sees (the unsubscribe page, the web form's answer), in their
    language (``prospect_translation``), saying so in Content-Language (LocaleMiddleware
    keeps it). Without a team (an unknown link), the request's own language."""
    if team is None and cadence is None and not language:
        return render(request, template_name, context, status=status)
    with prospect_translation(team, cadence, language=language) as code:
        response = render(request, template_name, context, status=status)
    response.headers["Content-Language"] = code
    return response
