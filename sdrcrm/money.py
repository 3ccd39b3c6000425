"""Amounts of money as the reader writes them, both ways (docs/i18n.md).

Shown: ``format_money(1234567.5, "NOK")`` is "1 234 567,50 kr" in bokmål and
"NOK 1,234,567.50" in English (groups and the decimal mark from sdrcrm/formats/; the spaces
are non-breaking). Whole amounts, as budgets and prices are kept, show no decimals.
Read: ``parse_amount`` takes what a person types in either language ("150 000", "150 000,-",
"1.234.567,50", "1,234,567.50", "kr 5000"); ``AmountField`` is the form field for a whole
amount (a budget, a price), refusing øre or cents with a clear error rather than rounding."""

import re
from decimal import Decimal, InvalidOperation

from django import forms
from django.core.exceptions import ValidationError
from django.utils import formats
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

DEFAULT_CURRENCY = "NOK"
NBSP = "\xa0"
# How bokmål names a currency after the amount; any other is written as its ISO code.
_NB_SYMBOLS = {"NOK": "kr"}
_CURRENCY_WORD = re.compile(r"^(?:kr\.?|nok)\s*|\s*(?:kr\.?|nok)$", re.IGNORECASE)
_DIGITS = re.compile(r"[0-9]+")


def _decimals(value: Decimal) -> int:
    return 0 if value == value.to_integral_value() else 2


def format_amount(value, decimal_pos: int | None = None) -> str:
    """A number grouped by thousands in the active language: "1 234 567" / "1,234,567"."""
    if value is None or value == "":
        return ""
    number = Decimal(str(value))
    if decimal_pos is None:
        decimal_pos = _decimals(number)
    return formats.number_format(number, decimal_pos, use_l10n=True, force_grouping=True)


def format_money(value, currency: str = "", decimal_pos: int | None = None) -> str:
    """``value`` in ``currency`` (the team's; NOK when empty) in the active language."""
    if value is None or value == "":
        return ""
    currency = (currency or DEFAULT_CURRENCY).upper()
    number = format_amount(value, decimal_pos)
    if (get_language() or "").startswith("nb"):
        return f"{number}{NBSP}{_NB_SYMBOLS.get(currency, currency)}"
    return f"{currency}{NBSP}{number}"


def _grouped(text: str, sep: str) -> bool:
    """Whether ``sep`` groups thousands in ``text``: 1.234 or 12,345,678."""
    head, *groups = text.split(sep)
    return 1 <= len(head) <= 3 and bool(groups) and all(len(g) == 3 for g in groups)


def parse_amount(text: str, language: str | None = None) -> Decimal:
    """What a person typed as an amount, in ``language`` (the active one by default).
    Spaces of any kind group thousands; the language's decimal mark is the decimal mark; the
    other mark is a thousands separator when it groups by three ("1.234" in bokmål is 1234),
    else a decimal mark ("12.5" in bokmål, from a number pad); with both, the last one is
    the decimal mark. "kr"/"NOK" and a closing ",-" are allowed. ValueError otherwise."""
    language = language or get_language() or "en"
    decimal_mark = "," if language.startswith("nb") else "."
    other = "." if decimal_mark == "," else ","
    value = "".join(str(text).split())  # every space, the non-breaking ones too
    value = _CURRENCY_WORD.sub("", value)
    if value.endswith((",-", ".-")):
        value = value[:-2]
    negative = value[:1] in ("-", "\u2212")
    if negative:
        value = value[1:]
    if not value or not set(value) <= set("0123456789.,"):
        raise ValueError(f"not an amount: {text!r}")
    if "," in value and "." in value:
        last = max(value.rfind(","), value.rfind("."))
        mark = value[last]
        value = value.replace("." if mark == "," else ",", "")
        if value.count(mark) != 1:
            raise ValueError(f"not an amount: {text!r}")
        value = value.replace(mark, ".")
    elif other in value:
        if _grouped(value, other):
            value = value.replace(other, "")
        elif value.count(other) == 1:
            value = value.replace(other, ".")
        else:
            raise ValueError(f"not an amount: {text!r}")
    elif decimal_mark in value:
        if value.count(decimal_mark) == 1:
            value = value.replace(decimal_mark, ".")
        elif _grouped(value, decimal_mark):
            value = value.replace(decimal_mark, "")
        else:
            raise ValueError(f"not an amount: {text!r}")
    whole, _, fraction = value.partition(".")
    if not _DIGITS.fullmatch(whole) or (fraction and not _DIGITS.fullmatch(fraction)):
        raise ValueError(f"not an amount: {text!r}")
    try:
        amount = Decimal(value)
    except InvalidOperation as exc:  # pragma: no cover - the checks above leave digits only
        raise ValueError(f"not an amount: {text!r}") from exc
    return -amount if negative else amount


class AmountField(forms.IntegerField):
    """A whole amount of money (a budget, a price) typed as the user writes numbers:
    "150 000", "1 234 567", "150 000,-", "150000,00", "NOK 1,234,567". A text input (a
    number input refuses spaces and a decimal comma) that shows the amount unformatted."""

    default_error_messages = {
        "whole": _("Enter a whole amount, without øre or cents."),
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("localize", True)
        super().__init__(**kwargs)

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        attrs["inputmode"] = "decimal"
        return attrs

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, int):
            return value
        try:
            amount = parse_amount(str(value))
        except ValueError:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None
        if amount != amount.to_integral_value():
            raise ValidationError(self.error_messages["whole"], code="whole")
        return int(amount)
