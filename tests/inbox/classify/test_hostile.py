"""Broken and hostile input: never an exception; what cannot be read is "other", and what is
read is capped (the raw bytes, the header values parsed, the MIME parts and depth, the text)."""

import dataclasses
from datetime import date

import pytest

from inbox.classify import Classified, classify
from inbox.classify.message import MAX_RAW_BYTES, MAX_TEXT_CHARS

from .helpers import FIXTURES

TODAY = date(2026, 12, 10)
HEAD = b"From: Kari <kari@x.example>\nMessage-ID: <h@x.example>\n"


def _nested(depth: int) -> bytes:
    raw = b"Content-Type: text/plain\n\nhello from the bottom\n"
    for i in range(depth):
        b = b"b%d" % i
        raw = (
            b'Content-Type: multipart/mixed; boundary="'
            + b
            + b'"\n\n--'
            + b
            + b"\n"
            + raw
            + b"\n--"
            + b
            + b"--\n"
        )
    return HEAD + raw


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"   \n\n  ",
        bytes(range(256)) * 100,  # garbage: no header at all
        "From: k@x.example\n\nnot bytes",  # a str is not a message
        None,
    ],
)
def test_nothing_readable_is_other(raw):
    assert classify(raw, today=TODAY) == Classified(kind="other", reason="unreadable")


def test_a_message_cut_inside_its_headers_is_other():
    c = classify(b"From: Kari <kari@x.example>\nSubject: Re: hei\nMessage-ID: <a@b", today=TODAY)
    assert (c.kind, c.reason, c.from_email, c.text) == ("other", "unreadable", "kari@x.example", "")


def test_a_message_cut_inside_its_base64_body_keeps_what_arrived():
    raw = HEAD + (
        b"Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n"
        b"SGVpIFNhcmEsIGph"  # "Hei Sara, ja", then the connection dropped
    )
    c = classify(raw, today=TODAY)
    assert (c.kind, c.text) == ("reply", "Hei Sara, ja")


def test_headers_past_the_read_limit_make_the_message_unreadable():
    raw = HEAD + b"Subject: " + b"A" * (MAX_RAW_BYTES + 10) + b"\n\nhi\n"
    c = classify(raw, today=TODAY)
    assert (c.kind, c.reason) == ("other", "unreadable")


def test_a_huge_header_inside_the_limit_is_cut_not_choked_on():
    to = b", ".join(b"a%d@x.example" % i for i in range(20_000))  # 300 kB of addresses
    params = b"; ".join(b'p%d="v"' % i for i in range(20_000))  # and of parameters
    raw = (
        HEAD
        + b"Subject: "
        + b"B" * 300_000
        + b"\nTo: "
        + to
        + b"\nContent-Type: text/plain; charset=utf-8; "
        + params
        + b"\n\nJa takk.\n"
    )
    c = classify(raw, today=TODAY)
    assert c.kind == "reply"
    assert c.text == "Ja takk."
    assert c.subject == "B" * 998
    assert len(c.to_emails) == 50
    assert c.to_emails[0] == "a0@x.example"


def test_wrong_and_hostile_charset_names():
    raw = HEAD + (
        b"Subject: =?x-no-such?Q?hei_p=E5_deg?=\n"
        b"Content-Type: text/plain; charset=x-no-such-charset\n\nhei p\xe5 deg\n"
    )
    c = classify(raw, today=TODAY)
    assert (c.kind, c.subject, c.text) == ("reply", "hei på deg", "hei på deg")
    rot13 = classify(HEAD + b"Content-Type: text/plain; charset=rot13\n\nuvv\n", today=TODAY)
    assert rot13.text == "uvv"  # a codec that is not a text encoding is refused, not applied


def test_multiparts_nested_100_deep_are_walked_to_the_depth_limit_only():
    c = classify(_nested(100), today=TODAY)
    assert (c.kind, c.text, c.message_id) == ("reply", "", "<h@x.example>")


def test_multiparts_nested_2000_deep_are_cut():
    c = classify(_nested(2000), today=TODAY)
    assert (c.kind, c.text) == ("reply", "")


def test_a_shallow_text_under_many_parts_is_found():
    raw = (
        HEAD
        + b"Content-Type: multipart/mixed; boundary=a\n\n--a\n\nfirst\n"
        + (b"--a\nContent-Type: application/octet-stream\n\nx\n" * 300_000)
        + b"--a--\n"
    )
    c = classify(raw, today=TODAY)
    assert (c.kind, c.text) == ("reply", "first")


def test_a_10_mb_body_is_read_up_to_the_text_cap():
    c = classify(HEAD + b"Content-Type: text/plain\n\n" + b"stop " * 2_000_000, today=TODAY)
    assert (c.kind, c.opt_out) == ("reply", False)
    assert len(c.text) == MAX_TEXT_CHARS - 1  # "stop stop … stop" without the last space


def test_a_10_mb_html_body_and_hostile_markup():
    c = classify(HEAD + b"Content-Type: text/html\n\n" + b"<div>" * 2_000_000, today=TODAY)
    assert (c.kind, c.text) == ("reply", "")
    comments = classify(HEAD + b"Content-Type: text/html\n\n" + b"<!--" * 75_000, today=TODAY)
    assert (comments.kind, comments.text) == ("reply", "")
    brackets = classify(HEAD + b"Content-Type: text/html\n\nJa " + b"<" * 50_000, today=TODAY)
    assert brackets.text == "Ja " + "<" * 50_000


def test_a_report_with_ten_thousand_repeated_fields():
    raw = (
        b"From: MAILER-DAEMON@x.example\nMessage-ID: <d@x>\n"
        b"Content-Type: multipart/report; report-type=delivery-status; boundary=z\n\n"
        b"--z\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; x.example\n\n"
        + b"Final-Recipient: rfc822; a@x.example\nAction: failed\nStatus: 5.1.1\n" * 10_000
        + b"--z--\n"
    )
    c = classify(raw, today=TODAY)
    assert (c.kind, c.bounce.status, c.bounce.recipients) == ("bounce", "5.1.1", ["a@x.example"])


def test_cr_only_line_ends_and_nul_bytes():
    raw = b"From: Kari <kari@x.example>\rSubject: Re:\x00 hei\r\rJa\x00 takk.\r"
    c = classify(raw, today=TODAY)
    # NUL characters are dropped: PostgreSQL refuses them in text columns.
    assert (c.kind, c.subject, c.text) == ("reply", "Re: hei", "Ja takk.")


def test_an_unknown_time_zone_name_is_the_callers_error():
    with pytest.raises(Exception, match="No time zone found"):
        classify(HEAD + b"\nhi\n", today=TODAY, tz="Mars/Olympus")


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)
    elif dataclasses.is_dataclass(value):
        for f in dataclasses.fields(value):
            yield from _strings(getattr(value, f.name))


@pytest.mark.parametrize(
    "raw",
    [
        *(path.read_bytes() for path in sorted(FIXTURES.glob("*.eml"))),
        b"From: K\x00ari \xff\xfe <k\x00@x.example>\nSubject: \xed\xa0\x80 \x00\x07bell\n"
        b"Message-ID: <a\x00b@x.example>\nTo: \x00@x, b@x.example\n\nhei\x00 \xff\n",
        b"From: MAILER-DAEMON@x.example\nMessage-ID: <d@x>\n"
        b"Content-Type: multipart/report; report-type=delivery-status; boundary=z\n\n"
        b"--z\nContent-Type: message/delivery-status\n\n"
        b"Final-Recipient: rfc822; a@x.example\nAction: failed\nStatus: 5.1.1\n"
        b"Diagnostic-Code: smtp; 550 5.1.1 \xff\xfe\x00 gone\n--z--\n",
    ],
)
def test_every_string_returned_can_be_stored(raw):
    """UTF-8 encodable, no NUL: what PostgreSQL's text columns accept."""
    for s in _strings(classify(raw, today=TODAY)):
        assert "\x00" not in s
        s.encode("utf-8")  # raises on a lone surrogate


def test_raw_bytes_and_nul_characters_in_headers():
    c = classify(
        b"From: K\x00ari \xc3\xb8 <k@x.example>\nSubject: M\xf8te\nMessage-ID: <a\x00b@x.example>"
        b"\n\nhei\n",
        today=TODAY,
    )
    assert (c.from_name, c.subject, c.message_id, c.from_email) == (
        "Kari ø",
        "Møte",
        "<ab@x.example>",  # the NUL dropped
        "k@x.example",
    )
