"""Restricted personalisation: only known ``{{ field }}`` placeholders, optional fallbacks,
missing values reported (the email is held), and nothing that runs code."""

from types import SimpleNamespace

import pytest

from cadences.context import render_context, unsubscribe_token, unsubscribe_touch_id
from cadences.templating import FIELDS, fields_used, header_safe, render, validate

NOT_A_PLACEHOLDER = "{token} is not a placeholder: write {{{{ prospect.first_name }}}}"


# --- validate: what the editor refuses when a template is saved ------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "",
        "No placeholder at all.",
        "Hi {{ prospect.first_name }}, from {{sdr.full_name}}",
        '{{ prospect.first_name or "there" }} at {{ company.name or "your company" }}',
        '{{ company.name or "" }}',  # an empty fallback is allowed
        "Unsubscribe: {{ unsubscribe_url }}",
        "{% load static %} stays plain text",  # no Django template tags exist here
        "{# a comment #} and { single } braces",
    ],
)
def test_valid_templates(text):
    assert validate(text) == []


def test_every_documented_field_is_valid():
    text = " ".join(f"{{{{ {name} }}}}" for name in FIELDS)
    assert validate(text) == []
    assert fields_used(text) == set(FIELDS)


@pytest.mark.parametrize(
    ("text", "problems"),
    [
        (
            "Hi {{ prospect.middle_name }}",
            ["Unknown field 'prospect.middle_name' in {{ prospect.middle_name }}"],
        ),
        ("Hi {{ first_name }}", ["Unknown field 'first_name' in {{ first_name }}"]),
        (
            "{{ prospect.__class__ }}",
            ["Unknown field 'prospect.__class__' in {{ prospect.__class__ }}"],
        ),
        ("{{ 7*7 }}", [NOT_A_PLACEHOLDER.format(token="{{ 7*7 }}")]),
        (
            "{{ prospect.first_name|upper }}",
            [NOT_A_PLACEHOLDER.format(token="{{ prospect.first_name|upper }}")],
        ),
        (
            "{{ PROSPECT.FIRST_NAME }}",
            [NOT_A_PLACEHOLDER.format(token="{{ PROSPECT.FIRST_NAME }}")],
        ),
        (
            "{{ prospect.email.split }}",
            [NOT_A_PLACEHOLDER.format(token="{{ prospect.email.split }}")],
        ),
        ("Hi {{ prospect.first_name", ["Unbalanced {{ or }}"]),
        ("Hi prospect.first_name }}", ["Unbalanced {{ or }}"]),
        ("{{ }}", [NOT_A_PLACEHOLDER.format(token="{{ }}")]),
    ],
)
def test_invalid_templates(text, problems):
    assert validate(text) == problems


@pytest.mark.parametrize(
    "token",
    [
        "{{ prospect.first_name or there }}",  # the fallback must be quoted
        "{{ prospect.first_name or 'there' }}",  # with double quotes
        '{{ prospect.first_name "there" }}',  # with "or"
        '{{ prospect.first_name or "th{e}re" }}',  # no braces inside a fallback
        '{{ prospect.first_name default "there" }}',
    ],
)
def test_malformed_fallbacks_are_refused(token):
    assert validate(f"Hi {token}!") == [NOT_A_PLACEHOLDER.format(token=token)]


def test_a_fallback_does_not_excuse_an_unknown_field():
    assert validate('{{ prospect.nickname or "there" }}') == [
        "Unknown field 'prospect.nickname' in {{ prospect.nickname or \"there\" }}"
    ]


def test_every_problem_is_listed_in_order():
    text = "{{ prospect.nick }} {{ 1+1 }} {{ company.name }} {{ sdr.salary }} {{"
    assert validate(text) == [
        "Unknown field 'prospect.nick' in {{ prospect.nick }}",
        NOT_A_PLACEHOLDER.format(token="{{ 1+1 }}"),
        "Unknown field 'sdr.salary' in {{ sdr.salary }}",
        "Unbalanced {{ or }}",
    ]


# --- render: a given prospect -----------------------------------------------------------------

CONTEXT = {
    "prospect.first_name": "Ada",
    "prospect.last_name": "Lovelace",
    "company.name": "Analytical Engines AS",
    "company.industry": "",
    "sdr.full_name": "Sam Seller",
}


def test_render_substitutes_the_values():
    result = render(
        "Hi {{ prospect.first_name }} at {{company.name}}! — {{ sdr.full_name }}", CONTEXT
    )
    assert (result.text, result.missing) == (
        "Hi Ada at Analytical Engines AS! — Sam Seller",
        [],
    )


def test_render_lists_the_missing_values_in_order():
    result = render(
        "{{ company.industry }} / {{ prospect.title }} / {{ prospect.first_name }}", CONTEXT
    )
    assert (result.text, result.missing) == (" /  / Ada", ["company.industry", "prospect.title"])


def test_a_blank_value_counts_as_missing():
    result = render("Hi {{ prospect.first_name }}", {"prospect.first_name": "   "})
    assert (result.text, result.missing) == ("Hi ", ["prospect.first_name"])


def test_values_are_trimmed():
    assert render("[{{ prospect.first_name }}]", {"prospect.first_name": "  Ada \n"}).text == (
        "[Ada]"
    )


def test_the_fallback_is_used_only_when_the_value_is_missing():
    text = '{{ prospect.first_name or "there" }}, in {{ company.industry or "your industry" }}'
    assert render(text, CONTEXT).text == "Ada, in your industry"
    result = render(text, {})
    assert (result.text, result.missing) == ("there, in your industry", [])
    assert render('[{{ company.industry or "" }}]', CONTEXT).missing == []


def test_no_code_runs_and_nothing_is_looked_up():
    """Anything but a known placeholder is left as it is or reported missing: no attribute
    lookup, no template tag, no arithmetic."""
    assert render("{% load static %}{% now 'Y' %}", CONTEXT).text == (
        "{% load static %}{% now 'Y' %}"
    )
    assert render("{{ 7*7 }}", CONTEXT).text == "{{ 7*7 }}"
    assert render("{{ prospect.first_name|upper }}", CONTEXT).text == (
        "{{ prospect.first_name|upper }}"
    )
    dunder = render("{{ prospect.__class__ }}", {**CONTEXT, "prospect": object()})
    assert (dunder.text, dunder.missing) == ("", ["prospect.__class__"])


def test_a_value_is_not_expanded_again():
    """A prospect named '{{ sdr.email }}' gets exactly that, not the SDR's address."""
    context = {**CONTEXT, "prospect.first_name": "{{ sdr.email }}", "sdr.email": "s@x.example"}
    assert render("Hi {{ prospect.first_name }}", context).text == "Hi {{ sdr.email }}"


def test_fields_used():
    assert fields_used('{{ prospect.first_name }} {{ company.name or "x" }} {{ 7*7 }}') == {
        "prospect.first_name",
        "company.name",
    }


# --- header_safe ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Hello\r\nBcc: victim@example.com", "Hello Bcc: victim@example.com"),
        ("Hello\nX-Injected: 1", "Hello X-Injected: 1"),
        ("Hello\rthere", "Hello there"),
        ("  lots   of\tspace  ", "lots of space"),
        ("", ""),
        (None, ""),
    ],
)
def test_header_safe_is_one_line(value, expected):
    assert header_safe(value) == expected


def test_header_safe_truncates():
    assert header_safe("x" * 300) == "x" * 250


# --- The context a touch is rendered with -----------------------------------------------------


def test_the_render_context_offers_exactly_the_documented_fields(settings):
    settings.SDRCRM_BASE_URL = "https://crm.example/"
    settings.SDRCRM_COMPANY_NAME = "Nordlys CRM"
    prospect = SimpleNamespace(
        first_name="Ada", last_name="Lovelace", full_name="Ada Lovelace", title=None,
        email="ada@example.com",
    )  # fmt: skip
    company = SimpleNamespace(name="AE", industry="Software", website="", country="NO")
    sdr = SimpleNamespace(
        first_name="Sam", last_name="Seller", title="SDR", email="sam@example.com", phone="",
        get_full_name=lambda: "Sam Seller",
    )  # fmt: skip
    context = render_context(prospect=prospect, company=company, sdr=sdr, touch_id=42)
    assert set(context) == set(FIELDS)
    assert context["prospect.title"] == ""
    assert context["sdr.company"] == "Nordlys CRM"
    assert context["sdr.full_name"] == "Sam Seller"
    token = context["unsubscribe_url"].removeprefix("https://crm.example/u/").removesuffix("/")
    assert unsubscribe_touch_id(token) == 42
    no_company = render_context(prospect=prospect, company=None, sdr=sdr, touch_id=None)
    assert (no_company["company.name"], no_company["unsubscribe_url"]) == ("", "")


def test_unsubscribe_tokens_are_signed():
    token = unsubscribe_token(7)
    assert unsubscribe_touch_id(token) == 7
    assert unsubscribe_touch_id(token[:-2] + ("AA" if not token.endswith("AA") else "BB")) is None
    assert unsubscribe_touch_id("7") is None
    assert unsubscribe_touch_id("") is None
