"""leads/contact_links.py: the tel: and LinkedIn hrefs pages make of what a row holds.
Pure functions: no database."""

import pytest

from leads.contact_links import linkedin_href, tel_href


@pytest.mark.parametrize(
    ("typed", "href"),
    [
        ("+47 22 33 44 55", "tel:+4722334455"),
        ("+47 912\u00a034 567", "tel:+4791234567"),
        ("0047 22-33-44-55", "tel:+4722334455"),
        ("(0047) 22.33.44.55", "tel:+4722334455"),
        ("22 33 44 55", "tel:22334455"),
        ("+1 (415) 555-0100", "tel:+14155550100"),
        ("+47 22 33 44 55 ext. 12", "tel:+4722334455;ext=12"),
        ("+47 22 33 44 55 x3", "tel:+4722334455;ext=3"),
        ("  +47 22334455  ", "tel:+4722334455"),
        ("113", "tel:113"),
    ],
)
def test_a_phone_number_links_to_its_digits(typed, href):
    assert tel_href(typed) == href


@pytest.mark.parametrize(
    "typed",
    [
        "", "   ", None, 4722334455, "12", "+", "call the switchboard", "22 33 44 55 or 99",
        "javascript:alert(1)", "+47 22 33 44 55 <b>", "1234567890123456", "+4７", "x12",
        "tel:+4722334455",
    ],
)  # fmt: skip
def test_what_is_no_phone_number_gets_no_link(typed):
    assert tel_href(typed) == ""


@pytest.mark.parametrize(
    "url",
    [
        "https://www.linkedin.com/in/kari-nordmann",
        "http://linkedin.com/in/kari",
        "https://no.linkedin.com/in/kari?trk=x",
        "HTTPS://www.linkedin.com/in/kari",
    ],
)
def test_an_http_address_on_linkedin_is_a_link(url):
    assert linkedin_href(url) == url


@pytest.mark.parametrize(
    "url",
    [
        "", None, "javascript:alert(1)", "JavaScript://www.linkedin.com/%0aalert(1)",
        "data:text/html,<script>alert(1)</script>", "https://evil.example/linkedin.com",
        "https://linkedin.com.evil.example/in/kari", "https://notlinkedin.com/in/kari",
        "https://lnkd.in/abc", "www.linkedin.com/in/kari", "//www.linkedin.com/in/kari",
        "https://www.linkedin.com/in/ka ri", "https://user@evil.example/",
        "ftp://www.linkedin.com/in/kari",
    ],
)  # fmt: skip
def test_no_other_address_is_a_linkedin_link(url):
    assert linkedin_href(url) == ""
