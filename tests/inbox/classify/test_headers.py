"""Reading headers: Message-IDs normalised, addresses lower-cased, encoded words in any
charset, raw 8-bit headers, dates with and without a zone."""

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from inbox.classify import Headers, message_ids, parse_message, read_headers

OSLO = ZoneInfo("Europe/Oslo")


def _headers(head: bytes) -> Headers:
    return read_headers(parse_message(head + b"\n\nbody\n"), OSLO)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("<a@b.example>", ["<a@b.example>"]),
        ("  <a@b.example>\n <c@d.example>\t<a@b.example>", ["<a@b.example>", "<c@d.example>"]),
        ("<a@b.example> (Kari's message of Monday)", ["<a@b.example>"]),
        ("a@b.example", ["<a@b.example>"]),  # a broken mailer's bare id
        ("", []),
        ("no id here", []),
    ],
)
def test_message_ids(value, expected):
    assert message_ids(value) == expected


def test_headers_of_a_plain_message():
    h = _headers(
        b'From: "Nordmann, Kari" <Kari.Nordmann@Fjellmat.EXAMPLE>\n'
        b"To: sara@nordlys.example, Per <per@nordlys.example>\nCc: <ola@fjellmat.example>\n"
        b"Subject: Re: Hei\nDate: Tue, 8 Dec 2026 09:14:27 +0100\n"
        b"Message-ID: <m@fjellmat.example>\nIn-Reply-To: <t1@nordlys.example>\n"
        b"References: <t0@nordlys.example>\n <t1@nordlys.example>"
    )
    assert h == Headers(
        message_id="<m@fjellmat.example>",
        in_reply_to="<t1@nordlys.example>",
        references=["<t0@nordlys.example>", "<t1@nordlys.example>"],
        from_email="kari.nordmann@fjellmat.example",
        from_name="Nordmann, Kari",
        to_emails=["sara@nordlys.example", "per@nordlys.example", "ola@fjellmat.example"],
        subject="Re: Hei",
        sent_at=datetime(2026, 12, 8, 9, 14, 27, tzinfo=timezone(timedelta(hours=1))),
    )


def test_encoded_words_in_known_and_unknown_charsets():
    h = _headers(
        b"From: =?iso-8859-1?Q?Bj=F8rn_=C5s?= <bjorn@x.example>\n"
        b"Subject: =?x-no-such-charset?Q?Hei_p=C3=A5_deg?= =?utf-8?B?8J+Ygg==?="
    )
    assert h.from_name == "Bjørn Ås"
    assert h.subject == "Hei på deg😂"  # an unknown charset falls back to UTF-8


def test_raw_8bit_headers_in_utf8_and_windows_1252():
    assert _headers("Subject: Møte på fredag\nFrom: k@x.example".encode()).subject == (
        "Møte på fredag"
    )
    assert _headers("Subject: Møte på fredag\nFrom: k@x.example".encode("cp1252")).subject == (
        "Møte på fredag"
    )


def test_a_broken_encoded_word_is_left_as_it_is():
    assert _headers(b"Subject: =?utf-8?B?!!!?=\nFrom: k@x.example").subject == "=?utf-8?B?!!!?="


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Tue, 8 Dec 2026 09:14:27 +0100", datetime(2026, 12, 8, 8, 14, 27, tzinfo=UTC)),
        ("Tue, 8 Dec 2026 09:14:27 -0000", datetime(2026, 12, 8, 9, 14, 27, tzinfo=UTC)),
        ("Tue, 8 Dec 2026 09:14:27", datetime(2026, 12, 8, 9, 14, 27, tzinfo=OSLO)),
        ("8 Dec 2026 09:14:27 GMT", datetime(2026, 12, 8, 9, 14, 27, tzinfo=UTC)),
        ("Mon, 99 Foo 99999 99:99:99 +9999", None),
        ("", None),
    ],
)
def test_dates(value, expected):
    assert _headers(f"From: k@x.example\nDate: {value}".encode()).sent_at == expected


def test_a_missing_or_broken_from_gives_no_address():
    assert _headers(b"Subject: x").from_email == ""
    assert _headers(b"From: Kari").from_email == ""
    assert _headers(b"From: " + b"(" * 3000 + b"kari@x.example").from_email == "kari@x.example"
