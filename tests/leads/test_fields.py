"""leads/fields.py, the gate every lead field passes: each field's accepted, normalised and
refused values. Pure functions: no database."""

import pytest
from django.core.exceptions import ValidationError

from leads import fields
from leads.models import Company, Prospect
from leads.normalize import normalize_domain

# (value, what is stored) — a value the gate accepts.
WEBSITES_OK = [
    ("", ""),
    ("   ", ""),
    (None, ""),
    ("fjord.example", "https://fjord.example"),
    ("  fjord.example  ", "https://fjord.example"),
    ("www.fjord.example/om-oss", "https://www.fjord.example/om-oss"),
    ("//fjord.example/a", "https://fjord.example/a"),
    ("fjord.example:8080/x", "https://fjord.example:8080/x"),
    ("http://fjord.example", "http://fjord.example"),
    ("https://fjord.example/", "https://fjord.example/"),
    ("HTTPS://Fjord.EXAMPLE/Path?Q=1#Top", "https://fjord.example/Path?Q=1#Top"),
    ("HtTp://fjord.example", "http://fjord.example"),
    ("https://fjord.example./", "https://fjord.example/"),
    ("blåbær.no", "https://blåbær.no"),
    ("https://BLÅBÆR.no/om", "https://blåbær.no/om"),
    ("https://xn--blbr-roah.no", "https://xn--blbr-roah.no"),
    ("https://例え.テスト/", "https://例え.テスト/"),
    ("https://fjord.example/a@b", "https://fjord.example/a@b"),
    ("https://x.example/" + "a" * 280, "https://x.example/" + "a" * 280),
]

SCHEME = "is refused: use an http:// or https:// address."

# (value, the message) — a value the gate refuses.
WEBSITES_BAD = [
    (
        "javascript://host/%0Aalert(document.cookie)",
        "Website 'javascript://host/%0Aalert(document.cookie)' is refused: "
        "use an http:// or https:// address.",
    ),
    (
        "javascript:alert(1)",
        "Website 'javascript:alert(1)' is refused: use an http:// or https:// address.",
    ),
    (
        "JaVaScRiPt:alert(1)",
        "Website 'JaVaScRiPt:alert(1)' is refused: use an http:// or https:// address.",
    ),
    (
        "  javascript:alert(1)",
        "Website 'javascript:alert(1)' is refused: use an http:// or https:// address.",
    ),
    (
        "data:text/html;base64,PHNjcmlwdD4=",
        "Website 'data:text/html;base64,PHNjcmlwdD4=' is refused: "
        "use an http:// or https:// address.",
    ),
    ("vbscript:msgbox(1)", f"Website \'vbscript:msgbox(1)\' {SCHEME}"),
    ("ftp://fjord.example", f"Website \'ftp://fjord.example\' {SCHEME}"),
    ("FTP://fjord.example", f"Website \'FTP://fjord.example\' {SCHEME}"),
    ("mailto:kari@fjord.example", f"Website \'mailto:kari@fjord.example\' {SCHEME}"),
    ("file:///etc/passwd", f"Website \'file:///etc/passwd\' {SCHEME}"),
    # Whitespace or a control character inside: browsers drop tabs and newlines from a URL,
    # so "java\tscript:" would be javascript:.
    ("java\tscript:alert(1)", "Website 'java\\x09script:alert(1)' is not a web address."),
    ("java\nscript:alert(1)", "Website 'java\\x0ascript:alert(1)' is not a web address."),
    ("https://fjord.example/a b", "Website 'https://fjord.example/a b' is not a web address."),
    ("\x00javascript:alert(1)", "Website contains a control character (U+0000)."),
    ("https://fjord.example/\x1b[0m", "Website contains a control character (U+001B)."),
    ("https://fjord.example/\x7f", "Website contains a control character (U+007F)."),
    ("https://fjord.example/\u202egnp.exe", "Website contains a control character (U+202E)."),
    ("https:\\\\evil.example", "Website 'https:\\\\evil.example' is not a web address."),
    ("http:/fjord.example", "Website 'http:/fjord.example' is not a web address."),
    ("https:fjord.example", "Website 'https:fjord.example' is not a web address."),
    ("http://", "Website 'http://' is not a web address."),
    ("https://localhost", "Website 'https://localhost' is not a web address."),
    ("localhost:8080", "Website 'localhost:8080' is not a web address."),
    ("https://127.0.0.1", "Website 'https://127.0.0.1' is not a web address."),
    ("https://[::1]/", "Website 'https://[::1]/' is not a web address."),
    ("http://[::1", "Website 'http://[::1' is not a web address."),
    ("https://fjord.example:99999", "Website 'https://fjord.example:99999' is not a web address."),
    ("https://linkedin.com@evil.example",
     "Website 'https://linkedin.com@evil.example' is not a web address."),
    ("not a website", "Website 'not a website' is not a web address."),
    ("acme", "Website 'acme' is not a web address."),
    ("https://-bad-.example", "Website 'https://-bad-.example' is not a web address."),
    ("x" * 70 + ".example", f"Website '{'x' * 60}…' is not a web address."),
    ("https://x.example/" + "a" * 283, "Website is longer than 300 characters."),
    ("x.example/" + "a" * 283, "Website is longer than 300 characters."),  # with https://
    (42, "Website must be text."),
]  # fmt: skip


@pytest.mark.parametrize(("value", "stored"), WEBSITES_OK)
def test_a_website_is_normalised(value, stored):
    assert fields.clean_website(value) == stored
    assert fields.clean_website(stored) == stored  # idempotent: normalising twice is once
    assert fields.http_url(stored) == stored


@pytest.mark.parametrize(("value", "message"), WEBSITES_BAD)
def test_a_bad_website_is_refused_naming_the_field(value, message):
    with pytest.raises(ValidationError) as exc:
        fields.clean_website(value)
    assert exc.value.messages == [message]


LINKEDIN_OK = [
    ("linkedin.com/in/kari", "https://linkedin.com/in/kari"),
    ("www.linkedin.com/in/kari", "https://www.linkedin.com/in/kari"),
    ("https://no.LinkedIn.com/in/kari/", "https://no.linkedin.com/in/kari/"),
    ("http://www.linkedin.com/company/fjordkraft", "http://www.linkedin.com/company/fjordkraft"),
    ("", ""),
]
LINKEDIN_BAD = [
    ("javascript://www.linkedin.com/%0Aalert(1)",
     "LinkedIn profile 'javascript://www.linkedin.com/%0Aalert(1)' is refused: "
     "use an http:// or https:// address."),
    ("https://evil.example/linkedin.com/in/kari",
     "LinkedIn profile 'https://evil.example/linkedin.com/in/kari' is not a linkedin.com address."),
    ("https://linkedin.com.evil.example/in/kari",
     "LinkedIn profile 'https://linkedin.com.evil.example/in/kari' is not a linkedin.com address."),
    ("https://notlinkedin.com/in/kari",
     "LinkedIn profile 'https://notlinkedin.com/in/kari' is not a linkedin.com address."),
    ("https://lnkd.in/abc",
     "LinkedIn profile 'https://lnkd.in/abc' is not a linkedin.com address."),
    ("https://www.linkedin.com@evil.example/",
     "LinkedIn profile 'https://www.linkedin.com@evil.example/' is not a web address."),
]  # fmt: skip


@pytest.mark.parametrize(("value", "stored"), LINKEDIN_OK)
def test_a_linkedin_address_is_normalised(value, stored):
    assert fields.clean_linkedin_url(value) == stored


@pytest.mark.parametrize(("value", "message"), LINKEDIN_BAD)
def test_a_linkedin_address_must_be_http_and_on_linkedin(value, message):
    with pytest.raises(ValidationError) as exc:
        fields.clean_linkedin_url(value)
    assert exc.value.messages == [message]


def test_the_company_linkedin_field_names_itself():
    with pytest.raises(ValidationError) as exc:
        fields.clean_lead_field("company_linkedin_url", "data:text/html,x")
    assert exc.value.messages == [
        "Company LinkedIn 'data:text/html,x' is refused: use an http:// or https:// address."
    ]


@pytest.mark.parametrize(
    ("value", "stored"),
    [
        ("  Kari.Nordmann@Fjordkraft.NO ", "kari.nordmann@fjordkraft.no"),
        ("ola@Blåbær.no", "ola@blåbær.no"),
        ("", ""),
        (None, ""),
    ],
)
def test_an_email_is_trimmed_and_lower_cased(value, stored):
    assert fields.clean_email(value) == stored


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("a(at)x.no", "Email 'a(at)x.no' is not a valid address."),
        ("a@x", "Email 'a@x' is not a valid address."),
        ("a@@x.no", "Email 'a@@x.no' is not a valid address."),
        ("a..b@x.no", "Email 'a..b@x.no' is not a valid address."),
        ("a b@x.no", "Email 'a b@x.no' is not a valid address."),
        ("a@x.no\x00", "Email contains a control character (U+0000)."),
        ("a@[127.0.0.1]", "Email 'a@[127.0.0.1]' is not a valid address."),
        ("a" * 250 + "@x.no", f"Email '{'a' * 60}…' is not a valid address."),
    ],
)
def test_a_bad_email_is_refused(value, message):
    with pytest.raises(ValidationError) as exc:
        fields.clean_email(value)
    assert exc.value.messages == [message]


@pytest.mark.parametrize(
    ("value", "stored"),
    [("Europe/Oslo", "Europe/Oslo"), (" europe/oslo ", "Europe/Oslo"), ("UTC", "UTC"),
     ("america/new_york", "America/New_York"), ("", "")],
)  # fmt: skip
def test_a_time_zone_is_an_iana_name_with_its_case_corrected(value, stored):
    assert fields.clean_time_zone(value) == stored


@pytest.mark.parametrize("value", ["Mars/Olympus", "CEST", "+01:00", "Europe/Oslo\x00", "x" * 65])
def test_an_unknown_time_zone_is_refused(value):
    with pytest.raises(ValidationError) as exc:
        fields.clean_lead_field("company_time_zone", value)
    assert exc.value.messages[0].startswith("Company time zone ")


@pytest.mark.parametrize(
    ("value", "stored"), [("NO", "NO"), (" no ", "NO"), ("se", "SE"), ("UK", "GB"), ("", "")]
)
def test_a_country_is_an_iso_code(value, stored):
    assert fields.clean_country(value) == stored


@pytest.mark.parametrize("value", ["XX", "N", "NOR", "Norway", "1A", "ZZ"])
def test_an_unknown_country_is_refused(value):
    with pytest.raises(ValidationError) as exc:
        fields.clean_country(value)
    assert exc.value.messages == [
        f"Country '{value}' is not recognised: use a two-letter code such as NO."
    ]


@pytest.mark.parametrize(
    ("name", "value", "stored"),
    [
        ("first_name", "  Ann \t Marie\n", "Ann Marie"),
        ("last_name", "Ødegård", "Ødegård"),
        ("title", " Head  of Sales ", "Head of Sales"),
        ("phone", "+47 912\u00a034 567", "+47 912 34 567"),
        ("company_name", "=HYPERLINK(\"x\")", "=HYPERLINK(\"x\")"),  # exports neutralise it
        ("company_industry", "Software", "Software"),
        ("first_name", "‏سارة‎", "‏سارة‎"),  # right-to-left marks are kept
        ("company_employee_count", 140, 140),
        ("company_employee_count", None, None),
        ("company_employee_count", "", None),
        ("company_annual_revenue", fields.REVENUE_MAX, fields.REVENUE_MAX),
        ("company_domain", "https://www.Fjord.example/x", "fjord.example"),
        ("company_domain", "blåbær.no", "xn--blbr-roah.no"),
        ("company_domain", "", ""),
        ("source", "anything", "anything"),  # no gate: the model's choices check it
    ],
)
def test_text_and_numbers(name, value, stored):
    assert fields.clean_lead_field(name, value) == stored


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("first_name", "Ka\x00ri", "First name contains a control character (U+0000)."),
        ("last_name", "Nord\x1b[31mmann", "Last name contains a control character (U+001B)."),
        ("title", "CEO\u202e", "Job title contains a control character (U+202E)."),
        ("phone", "+47\x9b", "Phone contains a control character (U+009B)."),
        ("company_name", "x" * 201, "Company is longer than 200 characters."),
        ("title", "x" * 151, "Job title is longer than 150 characters."),
        ("company_industry", "x" * 121, "Industry is longer than 120 characters."),
        ("company_employee_count", -1, "Number of employees must be between 0 and 10000000."),
        ("company_employee_count", True, "Number of employees 'True' is not a whole number."),
        ("company_employee_count", "many", "Number of employees 'many' is not a whole number."),
        ("company_annual_revenue", 10**15,
         "Annual revenue must be between 0 and 999999999999999."),
        ("company_domain", "javascript:alert(1)",
         "Company domain 'javascript:alert(1)' is not a valid domain."),
        ("company_domain", "localhost", "Company domain 'localhost' is not a valid domain."),
    ],
)  # fmt: skip
def test_bad_text_and_numbers_are_refused_naming_the_field(name, value, message):
    with pytest.raises(ValidationError) as exc:
        fields.clean_lead_field(name, value)
    assert exc.value.messages == [message]


@pytest.mark.parametrize(
    ("value", "href"),
    [
        ("https://fjord.example", "https://fjord.example"),
        ("HTTP://fjord.example/x", "HTTP://fjord.example/x"),
        ("javascript://host/%0Aalert(document.cookie)", ""),
        ("javascript:alert(1)", ""),
        (" javascript:alert(1)", ""),
        ("fjord.example", ""),  # relative: it would link into the CRM itself
        ("//evil.example", ""),
        ("data:text/html,x", ""),
        ("https://fjord.example/\nx", ""),
        ("https://fjord.example/\x00", ""),
        ("https:\\\\evil.example", ""),
        ("http://", ""),
        ("", ""),
        (None, ""),
    ],
)
def test_a_link_is_made_only_to_http_addresses(value, href):
    assert fields.http_url(value) == href


def test_the_limits_are_the_models():
    def limit(model, name):
        return model._meta.get_field(name).max_length

    assert (
        fields.NAME_MAX,
        fields.EMAIL_MAX,
        fields.PHONE_MAX,
        fields.TITLE_MAX,
        fields.URL_MAX,
        fields.TIME_ZONE_MAX,
    ) == (
        limit(Prospect, "first_name"),
        limit(Prospect, "email"),
        limit(Prospect, "phone"),
        limit(Prospect, "title"),
        limit(Prospect, "linkedin_url"),
        limit(Prospect, "time_zone"),
    )
    assert limit(Prospect, "last_name") == fields.NAME_MAX
    assert (fields.COMPANY_NAME_MAX, fields.INDUSTRY_MAX, fields.DOMAIN_MAX, fields.URL_MAX) == (
        limit(Company, "name"),
        limit(Company, "industry"),
        limit(Company, "domain"),
        limit(Company, "website"),
    )
    assert limit(Company, "linkedin_url") == limit(Company, "website") == fields.URL_MAX
    assert limit(Company, "time_zone") == fields.TIME_ZONE_MAX
    assert limit(Company, "country") == 2
    revenue = Company._meta.get_field("annual_revenue")
    assert fields.REVENUE_MAX == 10 ** (revenue.max_digits - revenue.decimal_places) - 1


def test_the_domain_of_a_normalised_website_is_the_domain_of_what_was_typed():
    for typed in ("fjord.example", "https://www.FJORD.example/x", "blåbær.no"):
        assert normalize_domain(fields.clean_website(typed)) == normalize_domain(typed)
    assert normalize_domain("xn--blbr-roah.no") == normalize_domain("BLÅBÆR.NO")
