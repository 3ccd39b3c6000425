"""Dates, times, numbers and money as each language writes and reads them (sdrcrm/formats/,
sdrcrm/money.py): "7. des. 2026", "14:05", "1 234 567,50 kr" in bokmål; English keeps its
own. Both weeks start on Monday."""

import datetime as dt
from decimal import Decimal

import pytest
from django import forms
from django.template import Context, Template
from django.utils import formats, translation
from django.utils.dateformat import format as date_format

from sdrcrm.money import AmountField, format_amount, format_money, parse_amount
from sdrcrm.partials import environment

NBSP = "\xa0"
DAY = dt.date(2026, 12, 7)
MOMENT = dt.datetime(2026, 12, 7, 14, 5)


@pytest.fixture
def nb():
    with translation.override("nb"):
        yield


@pytest.fixture
def en():
    with translation.override("en"):
        yield


# --- Dates and times ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "name", "expected"),
    [
        ("nb", "DATE_FORMAT", "7. des. 2026"),
        ("nb", "TIME_FORMAT", "14:05"),
        ("nb", "DATETIME_FORMAT", "7. des. 2026 14:05"),
        ("nb", "SHORT_DATE_FORMAT", "07.12.2026"),
        ("nb", "MONTH_DAY_FORMAT", "7. des."),
        ("nb", "YEAR_MONTH_FORMAT", "desember 2026"),
        ("en", "DATE_FORMAT", "Dec. 7, 2026"),
        ("en", "TIME_FORMAT", "2:05 p.m."),
        ("en", "DATETIME_FORMAT", "Dec. 7, 2026, 2:05 p.m."),
        ("en", "SHORT_DATE_FORMAT", "12/07/2026"),
        ("en", "YEAR_MONTH_FORMAT", "December 2026"),
    ],
)
def test_dates_and_times_are_shown_as_the_language_writes_them(language, name, expected):
    with translation.override(language):
        assert formats.date_format(MOMENT, name) == expected


def test_bokmal_abbreviates_months_as_norwegians_do(nb):
    assert [date_format(dt.date(2026, m, 7), "j. N") for m in (1, 3, 5, 6, 9, 12)] == [
        "7. jan.", "7. mar.", "7. mai", "7. jun.", "7. sept.", "7. des.",
    ]  # fmt: skip


def test_the_date_filter_in_a_template_follows_the_language():
    template = Template("{{ day|date }} {{ moment|time }}")
    context = Context({"day": DAY, "moment": MOMENT})
    with translation.override("nb"):
        assert template.render(context) == "7. des. 2026 14:05"
    with translation.override("en"):
        assert template.render(context) == "Dec. 7, 2026 2:05 p.m."


@pytest.mark.parametrize("language", ["nb", "en"])
def test_weeks_start_on_monday_in_both_languages(language):
    with translation.override(language):
        assert formats.get_format("FIRST_DAY_OF_WEEK") == 1


@pytest.mark.parametrize("typed", ["7.12.2026", "07.12.2026", "2026-12-07", "7.12.26"])
def test_a_bokmal_date_field_accepts_the_ways_norwegians_type_a_date(nb, typed):
    form = _form(forms.DateField())({"value": typed})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["value"] == DAY


@pytest.mark.parametrize("typed", ["2026-12-07", "12/07/2026"])
def test_an_english_date_field_accepts_iso_and_american_dates(en, typed):
    form = _form(forms.DateField())({"value": typed})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["value"] == DAY


def test_an_english_date_field_refuses_the_norwegian_form(en):
    form = _form(forms.DateField())({"value": "7.12.2026"})
    assert not form.is_valid()
    assert form.errors["value"] == ["Enter a valid date."]


@pytest.mark.parametrize("typed", ["14:05", "14.05"])
def test_a_bokmal_time_field_accepts_a_colon_or_a_dot(nb, typed):
    form = _form(forms.TimeField())({"value": typed})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["value"] == dt.time(14, 5)


@pytest.mark.parametrize("language", ["nb", "en"])
def test_a_date_input_writes_iso_for_the_browser_date_picker(language):
    """<input type="date"> only takes ISO: the first input format must be ISO."""
    with translation.override(language):
        widget = forms.DateInput(attrs={"type": "date"})
        assert 'value="2026-12-07"' in widget.render("day", DAY)


# --- Numbers and money ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "value", "currency", "expected"),
    [
        ("nb", Decimal("1234567.50"), "NOK", f"1{NBSP}234{NBSP}567,50{NBSP}kr"),
        ("nb", 150000, "NOK", f"150{NBSP}000{NBSP}kr"),
        ("nb", 150000, "", f"150{NBSP}000{NBSP}kr"),  # the default currency
        ("nb", 999, "EUR", f"999{NBSP}EUR"),
        ("nb", Decimal("-2500.5"), "SEK", f"-2{NBSP}500,50{NBSP}SEK"),
        ("en", Decimal("1234567.50"), "NOK", f"NOK{NBSP}1,234,567.50"),
        ("en", 150000, "nok", f"NOK{NBSP}150,000"),
        ("en", 0, "EUR", f"EUR{NBSP}0"),
    ],
)
def test_money_is_written_as_the_language_writes_it(language, value, currency, expected):
    with translation.override(language):
        assert format_money(value, currency) == expected


@pytest.mark.parametrize("value", [None, ""])
def test_no_amount_shows_nothing(nb, value):
    assert format_money(value, "NOK") == ""
    assert format_amount(value) == ""


def test_amounts_are_grouped_by_thousands():
    with translation.override("nb"):
        assert format_amount(1234567) == f"1{NBSP}234{NBSP}567"
        assert format_amount(Decimal("0.5")) == "0,50"
    with translation.override("en"):
        assert format_amount(1234567) == "1,234,567"


def test_plain_numbers_in_templates_are_not_grouped(nb):
    """USE_THOUSAND_SEPARATOR is off: an id or a count in a URL or a data attribute stays
    "1234567"; grouping is asked for with the amount or money filter."""
    assert Template("{{ n }}").render(Context({"n": 1234567})) == "1234567"


def test_the_money_and_amount_filters(nb):
    template = Template("{% load money %}{{ budget|money:team.currency }} · {{ n|amount }}")
    context = Context({"budget": 1234567, "team": {"currency": "NOK"}, "n": 2500})
    assert template.render(context) == f"1{NBSP}234{NBSP}567{NBSP}kr · 2{NBSP}500"


def test_the_jinja2_partials_translate_and_format_money():
    env = environment(autoescape=True)
    template = env.from_string('{{ _("Change language") }}: {{ budget|money("NOK") }}')
    with translation.override("nb"):
        assert template.render(budget=1500) == f"Bytt språk: 1{NBSP}500{NBSP}kr"
    with translation.override("en"):
        assert template.render(budget=1500) == f"Change language: NOK{NBSP}1,500"


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("150000", Decimal("150000")),
        ("150 000", Decimal("150000")),
        (f"1{NBSP}234{NBSP}567,50", Decimal("1234567.50")),
        ("1\u202f234\u202f567,50", Decimal("1234567.50")),  # a narrow no-break space
        ("1.234.567,50", Decimal("1234567.50")),
        ("150 000,-", Decimal("150000")),
        ("kr 150 000", Decimal("150000")),
        ("150 000 kr", Decimal("150000")),
        ("NOK 5000", Decimal("5000")),
        ("12,5", Decimal("12.5")),
        ("12.5", Decimal("12.5")),  # a number pad's dot
        ("1.234", Decimal("1234")),  # grouped by three: a thousands separator
        ("1,234.50", Decimal("1234.50")),  # both marks: the last one is the decimal mark
        ("-2 500", Decimal("-2500")),
    ],
)
def test_bokmal_amounts_are_read_as_typed(typed, expected):
    assert parse_amount(typed, "nb") == expected


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("1,234,567.50", Decimal("1234567.50")),
        ("NOK 1,234,567", Decimal("1234567")),
        ("1,234", Decimal("1234")),
        ("12.5", Decimal("12.5")),
        ("12,5", Decimal("12.5")),  # a decimal comma from a Nordic keyboard
        ("150 000", Decimal("150000")),
    ],
)
def test_english_amounts_are_read_as_typed(typed, expected):
    assert parse_amount(typed, "en") == expected


@pytest.mark.parametrize(
    "typed", ["", "lots", "1,2,3", "1.2.3", "12,5,0", "1e6", "0x10", "--5", "5-", "½", "٣"]
)
def test_what_is_not_an_amount_is_refused(typed):
    for language in ("nb", "en"):
        with pytest.raises(ValueError, match="not an amount"):
            parse_amount(typed, language)


# --- The amount field of the forms ----------------------------------------------------------


def _form(field):
    return type("OneField", (forms.Form,), {"value": field})


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("150 000", 150000), ("150 000,00", 150000), ("150 000,-", 150000), ("1.500.000", 1500000)],
)
def test_a_budget_takes_a_norwegian_amount(nb, typed, expected):
    form = _form(AmountField(min_value=0))({"value": typed})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["value"] == expected


def test_a_budget_takes_an_english_amount(en):
    form = _form(AmountField(min_value=0))({"value": "NOK 1,500,000"})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["value"] == 1500000


def test_a_budget_refuses_ore_with_a_clear_error(nb):
    form = _form(AmountField(min_value=0))({"value": "150 000,50"})
    assert not form.is_valid()
    assert form.errors["value"] == ["Skriv et helt beløp, uten øre."]


def test_a_budget_refuses_words_and_keeps_the_bounds(en):
    form = _form(AmountField(required=False, min_value=0, max_value=10**12))
    assert form({"value": "lots"}).errors["value"] == ["Enter a whole number."]
    assert form({"value": "-5"}).errors["value"] == [
        "Ensure this value is greater than or equal to 0."
    ]
    assert form({"value": ""}).is_valid()


def test_the_amount_field_is_a_text_input_with_a_decimal_keyboard(nb):
    html = str(_form(AmountField(required=False))(initial={"value": 150000})["value"])
    assert 'type="text"' in html
    assert 'inputmode="decimal"' in html
    assert 'value="150000"' in html
