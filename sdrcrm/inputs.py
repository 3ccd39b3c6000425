"""What every piece of outside input must be before code uses it: shared by the pages, the API
and the webhooks, so that a hostile value is a clear 4xx wherever it comes in, never a 500.

- Ids are ASCII digits within PostgreSQL's bigint (``str.isdigit`` accepts "²" and "٣", which
  ``int`` refuses or reads; a 20-digit id overflows the column).
- Dates and times are within ``MIN_YEAR``–``MAX_YEAR``: schedules, periods and time zones add
  days and hours to them, which overflows near year 1 and year 9999.
- Text holds no NUL character (PostgreSQL refuses it in text and jsonb).
- JSON is at most ``MAX_JSON_DEPTH`` deep (the parser and any code walking it recurse).
"""

import json
import re
from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

MIN_YEAR = 2000
MAX_YEAR = 2100
MAX_ID = 2**63 - 1
MAX_JSON_DEPTH = 32

_ASCII_ID = re.compile(r"[0-9]{1,19}")


def parse_id(value) -> int | None:
    """``value`` as a positive bigint id, or None if it is not one (ASCII digits only)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value if 0 < value <= MAX_ID else None
    if not isinstance(value, str) or not _ASCII_ID.fullmatch(value):
        return None
    number = int(value)
    return number if 0 < number <= MAX_ID else None


def parse_ids(values) -> list[int]:
    """The valid ids among ``values`` (a form's repeated checkbox), in order, others dropped."""
    return [i for i in (parse_id(v) for v in values) if i is not None]


def is_ascii_digits(value: str, max_length: int) -> bool:
    return isinstance(value, str) and re.fullmatch(rf"[0-9]{{1,{max_length}}}", value) is not None


DATE_RANGE_MESSAGE = _("Enter a date between the years %(min)s and %(max)s.")


def validate_date_range(value) -> None:
    """A Django/DRF validator: the date (or datetime) is within MIN_YEAR..MAX_YEAR."""
    if isinstance(value, datetime | date) and not MIN_YEAR <= value.year <= MAX_YEAR:
        raise ValidationError(
            DATE_RANGE_MESSAGE, code="date_range", params={"min": MIN_YEAR, "max": MAX_YEAR}
        )


def has_nul(value) -> bool:
    return isinstance(value, str) and "\x00" in value


class JsonRefused(ValueError):
    """The JSON is too deep or holds a NUL character; ``str(error)`` says which (safe to show)."""


def _nested(max_depth: int) -> str:
    return ngettext(
        "The JSON is nested deeper than %(depth)d level.",
        "The JSON is nested deeper than %(depth)d levels.",
        max_depth,
    ) % {"depth": max_depth}


def _nul() -> str:
    return gettext("The JSON holds a NUL character (\\u0000), which is refused.")


def check_json(data, *, max_depth: int = MAX_JSON_DEPTH) -> None:
    """Walk parsed JSON without recursion: refuse nesting deeper than ``max_depth`` and any
    key or string holding a NUL character."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict | list):
            if depth > max_depth:
                raise JsonRefused(_nested(max_depth))
            items = value.items() if isinstance(value, dict) else enumerate(value)
            for key, item in items:
                if has_nul(key):
                    raise JsonRefused(_nul())
                stack.append((item, depth + 1))
        elif has_nul(value):
            raise JsonRefused(_nul())


def loads(raw: bytes, *, max_depth: int = MAX_JSON_DEPTH):
    """Parse JSON bytes: ValueError for text that is not JSON (or not UTF-8), JsonRefused (its
    message safe to show) for JSON too deep or holding a NUL."""
    try:
        data = json.loads(raw.decode("utf-8"))  # not UTF-8: UnicodeDecodeError, a ValueError
    except RecursionError as exc:
        raise JsonRefused(_nested(max_depth)) from exc
    check_json(data, max_depth=max_depth)
    return data
