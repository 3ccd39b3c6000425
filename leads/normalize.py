"""Normalisation of the values that identify prospects and companies."""

import functools
from urllib.parse import urlsplit

from .fields import ascii_host

# Providers of personal addresses: their domain says nothing of the company (an import does not
# make a company of it; the mailbox sync does not take a sender there for a colleague).
FREE_MAIL = frozenset(
    """gmail.com googlemail.com hotmail.com hotmail.no outlook.com live.com live.no msn.com
    yahoo.com yahoo.no icloud.com me.com mac.com aol.com proton.me protonmail.com online.no
    gmx.com gmx.net mail.com yandex.com zoho.com""".split()
)


def normalize_email(value: str | None) -> str | None:
    value = (value or "").strip().lower()
    return value or None


# Cached: an import calls it up to three times a row, for the same few thousand companies.
@functools.lru_cache(maxsize=8192)
def normalize_domain(value: str | None) -> str | None:
    """'https://www.Example.com/about' -> 'example.com'; 'blåbær.no' -> 'xn--blbr-roah.no'
    (the IDNA form, as DNS knows it); '' -> None; junk -> None."""
    value = (value or "").strip().lower()
    if not value:
        return None
    if "://" not in value:
        value = "//" + value
    try:
        host = urlsplit(value).hostname or ""
    except ValueError:  # e.g. "http://[::1": an unbalanced IPv6 bracket
        return None
    host = ascii_host(host) or ""
    if host.startswith("www."):
        host = host[4:]
    return host if ascii_host(host) else None


def normalize_name(value: str | None) -> str:
    return " ".join((value or "").split())
