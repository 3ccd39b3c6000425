"""The links a page makes of a prospect's phone number and LinkedIn address, whatever a row
holds (a value stored before the field gate, an import's odd cell): ``tel_href`` and
``linkedin_href``. Pure: values in, an href or '' out. '' means "show the value as text".

The Django filters (``leads_extras.tel_href``, ``leads_extras.linkedin_href``), the includes
(templates/leads/_phone.html, partials/leads/_phone.jinja) and the Jinja2 partials that get
these functions in their context all go through here, so every page links the same way.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from . import fields

LINKEDIN = "linkedin.com"

# What people type between the digits of a number: spaces, dashes, dots, slashes, brackets.
_SEPARATORS_RE = re.compile(r"[\s\-./()\u00a0\u2010-\u2015]")
# Where an extension starts: "x12", "ext. 12", "ext 12", "#12".
_EXTENSION_RE = re.compile(r"(?:\s*(?:ext\.?|x|#)\s*)(\d{1,6})\s*$", re.IGNORECASE)
_MIN_DIGITS = 3  # 112, 113: the shortest number worth a link
_MAX_DIGITS = 15  # E.164's longest


def tel_href(value) -> str:
    """``tel:`` and the number's digits (E.164-ish: a leading ``+`` kept, ``00`` read as ``+``,
    separators dropped, an extension as ``;ext=``), or '' when the value is no phone number
    (letters, too few or too many digits): the page then shows it as text, never as a link.

    '+47 22 33 44 55' -> 'tel:+4722334455'; '(0047) 22-33 44 55 ext. 12' ->
    'tel:+4722334455;ext=12'."""
    if not isinstance(value, str):
        return ""
    text = value.strip()
    extension = ""
    m = _EXTENSION_RE.search(text)
    if m and m.start() > 0:
        extension, text = m[1], text[: m.start()]
    number = _SEPARATORS_RE.sub("", text)
    plus = number.startswith("+")
    if plus:
        number = number[1:]
    elif number.startswith("00"):
        plus, number = True, number[2:]
    if not number.isascii() or not number.isdigit():
        return ""
    if not _MIN_DIGITS <= len(number) <= _MAX_DIGITS:
        return ""
    href = "tel:" + ("+" if plus else "") + number
    return href + (f";ext={extension}" if extension else "")


def linkedin_href(value) -> str:
    """``value`` if it is an http(s) address on linkedin.com (or a subdomain: www., no.…),
    else '': a link shown as a LinkedIn profile never leads elsewhere, and never to a
    ``javascript:`` or ``data:`` address."""
    href = fields.http_url(value)
    if not href:
        return ""
    host = (urlsplit(href).hostname or "").rstrip(".")
    name = fields.ascii_host(host) or ""
    return href if name == LINKEDIN or name.endswith("." + LINKEDIN) else ""
