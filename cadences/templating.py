"""Restricted, safe personalisation of user-authored email templates.

Only ``{{ name }}`` placeholders from a fixed list are replaced, optionally with a fallback:
``{{ prospect.first_name or "there" }}``. No code runs, no attribute is looked up dynamically,
and nothing else in the text has a meaning (this is not Django's template engine). An unknown
placeholder is an error when the template is saved; a placeholder whose value is missing for a
given prospect makes the email *held* for the SDR to fix instead of sent with a blank.
"""

import re
from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

PLACEHOLDER = re.compile(
    r"\{\{\s*(?P<name>[a-z_]+(?:\.[a-z_]+)?)\s*(?:or\s+\"(?P<fallback>[^\"{}]*)\"\s*)?\}\}"
)
ANY_BRACES = re.compile(r"\{\{.*?\}\}", re.S)

FIELDS = {
    "prospect.first_name": gettext_lazy("The prospect's first name"),
    "prospect.last_name": gettext_lazy("The prospect's last name"),
    "prospect.full_name": gettext_lazy("The prospect's full name"),
    "prospect.title": gettext_lazy("The prospect's job title"),
    "prospect.email": gettext_lazy("The prospect's email address"),
    "company.name": gettext_lazy("The prospect's company"),
    "company.industry": gettext_lazy("The company's industry"),
    "company.website": gettext_lazy("The company's website"),
    "company.country": gettext_lazy("The company's country code"),
    "sdr.first_name": gettext_lazy("Your first name"),
    "sdr.last_name": gettext_lazy("Your last name"),
    "sdr.full_name": gettext_lazy("Your full name"),
    "sdr.title": gettext_lazy("Your job title"),
    "sdr.email": gettext_lazy("Your email address"),
    "sdr.phone": gettext_lazy("Your phone number"),
    "sdr.company": gettext_lazy("Your company's name"),
    "unsubscribe_url": gettext_lazy("The prospect's one-click unsubscribe link"),
}


def validate(text: str) -> list[str]:
    """Problems with a template, for the form that saves it. Empty: the template is fine."""
    problems = []
    for match in ANY_BRACES.finditer(text or ""):
        token = match.group(0)
        m = PLACEHOLDER.fullmatch(token)
        if m is None:
            problems.append(
                _("%(token)s is not a placeholder: write {{ prospect.first_name }}")
                % {"token": token}
            )
        elif m.group("name") not in FIELDS:
            problems.append(
                _("Unknown field %(name)s in %(token)s")
                % {"name": repr(m.group("name")), "token": token}
            )
    if "{{" in ANY_BRACES.sub("", text or "") or "}}" in ANY_BRACES.sub("", text or ""):
        problems.append(_("Unbalanced {{ or }}"))
    return problems


def fields_used(text: str) -> set[str]:
    return {m.group("name") for m in PLACEHOLDER.finditer(text or "")}


@dataclass
class Rendered:
    text: str
    missing: list[str]


def render(text: str, context: dict[str, str]) -> Rendered:
    """Replace placeholders with values from ``context`` (a flat dict keyed like FIELDS).
    ``missing`` lists the placeholders that had no value and no fallback."""
    missing: list[str] = []

    def replace(m: re.Match) -> str:
        name, fallback = m.group("name"), m.group("fallback")
        value = (context.get(name) or "").strip()
        if value:
            return value
        if fallback is not None:
            return fallback
        missing.append(name)
        return ""

    return Rendered(PLACEHOLDER.sub(replace, text or ""), missing)


def header_safe(value: str) -> str:
    """A single line for an email header: no CR/LF (header injection), collapsed spaces."""
    return " ".join((value or "").split())[:250]
