"""Bounces and delay warnings: RFC 3464 reports from Gmail, Microsoft 365 and Postfix, and the
plain-text formats of Exim, qmail and Exchange; the bounced message's Message-ID found so the
bounce matches its touch."""

from datetime import date

import pytest

from inbox.classify import BounceInfo, classify, parse_bounce, parse_message

from .helpers import TOUCH_ID, classified


def test_gmail_address_not_found():
    c = classified("bounce_gmail.eml")
    assert c.kind == "bounce"
    assert c.reason == "bounce"
    assert c.bounce == BounceInfo(
        status="5.1.1",
        permanent=True,
        recipients=["nils.olsen.9@gmail.com"],
        diagnostic=(
            "550-5.1.1 The email account that you tried to reach does not exist. Please try "
            "double-checking the recipient's email address for typos or unnecessary spaces. "
            "For more information, go to https://support.google.com/mail/?p=NoSuchUser "
            "5b1f17b1804b1-43a1b2c3d4esor1234567f8.12 - gsmtp"
        ),
        action="failed",
        original_message_id=TOUCH_ID,
    )
    assert c.in_reply_to == TOUCH_ID
    assert c.references == [TOUCH_ID]
    assert c.from_email == "mailer-daemon@googlemail.com"
    assert c.text.startswith("** Address not found **\n\nYour message wasn't delivered to")
    assert "Would you have 20 minutes" not in c.text  # the attached copy is not the text


def test_microsoft_365_ndr_550_5_1_10():
    c = classified("bounce_office365.eml")
    assert c.kind == "bounce"
    assert c.bounce == BounceInfo(
        status="5.1.10",
        permanent=True,
        recipients=["ingrid.berg@fjellmat.example"],
        diagnostic=(
            "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup"
        ),
        action="failed",
        original_message_id=TOUCH_ID,  # from the text/rfc822-headers part, folded
    )
    assert c.subject == "Undeliverable: Pricing for your team"
    assert c.from_email == "postmaster@outlook.com"


def test_postfix_undelivered_mail_returned_to_sender():
    c = classified("bounce_postfix.eml")
    assert c.kind == "bounce"
    assert c.bounce.status == "5.1.1"
    assert c.bounce.permanent is True
    assert c.bounce.recipients == ["per@fjordfisk.example"]
    assert c.bounce.diagnostic == (
        "550 5.1.1 <per@fjordfisk.example>: Recipient address rejected: User unknown in "
        "virtual mailbox table"
    )
    # No In-Reply-To header: the id comes from the attached message/rfc822.
    assert c.in_reply_to == TOUCH_ID
    assert c.references == [TOUCH_ID]


def test_exim_plain_text_permanent_error():
    c = classified("bounce_exim.eml")
    assert c.kind == "bounce"
    assert c.bounce == BounceInfo(
        status="5.1.1",
        permanent=True,
        recipients=["kjell@fjellgard.example"],
        diagnostic="550 5.1.1 <kjell@fjellgard.example>: No such user here",
        action="failed",
        original_message_id=TOUCH_ID,  # from the copy below "This is a copy of the message"
    )


def test_qmail_failure_notice():
    c = classified("bounce_qmail.eml")
    assert c.kind == "bounce"
    assert c.bounce == BounceInfo(
        status="5.1.1",
        permanent=True,
        recipients=["bjorn@nordkapp-turisme.example"],
        diagnostic="Sorry, no mailbox here by that name. (#5.1.1)",
        action="failed",
        original_message_id=TOUCH_ID,
    )
    assert c.from_email == "mailer-daemon@mail.nordkapp-turisme.example"
    assert c.sent_at.utcoffset().total_seconds() == 0  # "-0000": UTC


def test_norwegian_exchange_ndr_without_a_delivery_status_part():
    c = classified("bounce_exchange_nb.eml")
    assert c.kind == "bounce"
    assert c.subject == "Kan ikke leveres: Lisenser til prosjektavdelingen"
    assert c.bounce == BounceInfo(
        status="5.1.1",
        permanent=True,
        recipients=["ola.hansen@bergenbygg.example"],  # the quoted Message-ID is not one
        diagnostic="Remote Server returned '550 5.1.1 RESOLVER.ADR.RecipNotFound; not found'",
        action="failed",
        original_message_id=TOUCH_ID,
    )
    assert c.in_reply_to == TOUCH_ID


def test_postfix_delay_warning_is_temporary():
    c = classified("delay_postfix.eml")
    assert c.kind == "bounce"
    assert c.bounce == BounceInfo(
        status="4.4.1",
        permanent=False,
        recipients=["ingrid.berg@fjellmat.example"],
        diagnostic="connect to mx.fjellmat.example[198.51.100.77]:25: Connection timed out",
        action="delayed",
        original_message_id=TOUCH_ID,
    )


def test_exim_delay_warning_is_temporary():
    c = classified("delay_exim.eml")
    assert c.kind == "bounce"
    assert c.bounce == BounceInfo(
        status="4.7.1",
        permanent=False,
        recipients=["hanne@greylist-gard.example"],
        diagnostic="451 4.7.1 Greylisted, please try again later",
        action="delayed",
        original_message_id="",  # Exim's warning carries no copy of the message
    )
    assert c.in_reply_to == ""


def test_a_success_report_is_not_a_bounce():
    c = classified("dsn_success.eml")
    assert (c.kind, c.reason, c.bounce) == ("other", "report", None)


def _report(per_recipient: str, *, subject: str = "Delivery Status Notification") -> bytes:
    return (
        "From: MAILER-DAEMON@mx.example\nTo: sara@nordlys.example\n"
        f"Subject: {subject}\nMessage-ID: <r1@mx.example>\nMIME-Version: 1.0\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\n\n'
        "--b\nContent-Type: text/plain\n\nSee below.\n\n"
        "--b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example\n\n"
        f"{per_recipient}\n--b--\n"
    ).encode()


def test_a_generic_status_is_made_precise_by_the_diagnostic():
    raw = _report(
        "Final-Recipient: rfc822; a@x.example\nAction: failed\nStatus: 5.0.0\n"
        "Diagnostic-Code: smtp; 550 #5.1.0 Address rejected.\n"
    )
    bounce = parse_bounce(parse_message(raw))
    assert (bounce.status, bounce.permanent) == ("5.1.0", True)
    assert bounce.recipients == ["a@x.example"]
    assert bounce.diagnostic == "550 #5.1.0 Address rejected."


def test_a_failure_with_a_4xx_status_is_temporary():
    raw = _report(
        "Final-Recipient: rfc822; a@x.example\nAction: failed\nStatus: 4.4.7\n"
        "Diagnostic-Code: X-Postfix; delivery temporarily suspended\n"
    )
    bounce = parse_bounce(parse_message(raw))
    assert (bounce.action, bounce.status, bounce.permanent) == ("failed", "4.4.7", False)


def test_only_the_failed_recipients_of_a_mixed_report_count():
    raw = _report(
        "Final-Recipient: rfc822; ok@x.example\nAction: delivered\nStatus: 2.0.0\n\n"
        "Final-Recipient: rfc822; gone@x.example\nAction: failed\nStatus: 5.1.1\n\n"
        "Final-Recipient: rfc822; late@x.example\nAction: delayed\nStatus: 4.4.1\n"
    )
    bounce = parse_bounce(parse_message(raw))
    assert (bounce.action, bounce.status, bounce.recipients) == (
        "failed",
        "5.1.1",
        ["gone@x.example"],
    )


def test_a_report_without_action_reads_the_status_class():
    raw = _report("Final-Recipient: rfc822; a@x.example\nStatus: 4.2.2\n")
    bounce = parse_bounce(parse_message(raw))
    assert (bounce.action, bounce.status, bounce.permanent) == ("delayed", "4.2.2", False)


@pytest.mark.parametrize(
    ("text", "status", "permanent"),
    [
        ("This is a permanent error.\n\n  a@x.example\n    550 5.2.2 mailbox full", "5.2.2", True),
        ("I wasn't able to deliver your message.\nhost said: 550 Unknown user", "5.0.0", True),
        ("This is a permanent error. The following address(es) failed:\n  a@x", "5.0.0", True),
        ("Your message could not be delivered.\nSMTP error: 452 4.2.2 Over quota", "4.2.2", False),
    ],
)
def test_plain_text_bounce_statuses(text, status, permanent):
    raw = (
        "From: Mail Delivery System <MAILER-DAEMON@mx.example>\nTo: sara@nordlys.example\n"
        "Subject: Mail delivery failed\nMessage-ID: <p1@mx.example>\n\n" + text + "\n"
    ).encode()
    c = classify(raw, today=date(2026, 12, 10))
    assert c.kind == "bounce"
    assert (c.bounce.status, c.bounce.permanent) == (status, permanent)


def test_a_daemon_without_a_domain_is_still_a_daemon():
    raw = (
        b"From: Mail Delivery Subsystem <MAILER-DAEMON>\nTo: sara@nordlys.example\n"
        b"Subject: Returned mail: see transcript for details\nMessage-ID: <q@x>\n\n"
        b"The original message could not be delivered.\n   ----- Transcript -----\n"
        b"550 5.1.1 <a@x.example>... User unknown\n"
    )
    c = classify(raw, today=date(2026, 12, 10))
    assert (c.kind, c.bounce.status, c.bounce.recipients) == ("bounce", "5.1.1", ["a@x.example"])


def test_a_person_writing_about_a_failed_delivery_is_not_a_bounce():
    raw = (
        b"From: Kari <kari@fjellmat.example>\nTo: sara@nordlys.example\n"
        b"Subject: Re: Pricing\nMessage-ID: <h@x>\n\n"
        b"Your last email could not be delivered to my colleague, the address does not exist.\n"
    )
    c = classify(raw, today=date(2026, 12, 10))
    assert (c.kind, c.bounce) == ("reply", None)
