"""Normalisation of the values that identify prospects and companies."""

import functools
import re
from urllib.parse import urlsplit

_DOMAIN_RE = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


def normalize_email(value: str | None) -> str | None:
    value = (value or "").strip().lower()
    return value or None


# Cached: an import calls it up to three times a row, for the same few thousand companies.
@functools.lru_cache(maxsize=8192)
def normalize_domain(value: str | None) -> str | None:
    """'https://www.Example.com/about' -> 'example.com'; '' -> None; junk -> None."""
    value = (value or "").strip().lower()
    if not value:
        return None
    if "://" not in value:
        value = "//" + value
    try:
        host = urlsplit(value).hostname or ""
    except ValueError:  # e.g. "http://[::1": an unbalanced IPv6 bracket
        return None
    host = host.rstrip(".")
    if host.startswith("www."):
        host = host[4:]
    return host if _DOMAIN_RE.match(host) else None


def normalize_name(value: str | None) -> str:
    return " ".join((value or "").split())
