"""Messages that are neither replies nor automatic replies nor bounces: a newsletter, a read
receipt, a success report; and the pieces used alone."""

from datetime import date

from inbox.classify import KINDS, body_text, is_auto_reply, is_mailing, parse_message

from .helpers import TOUCH_ID, classified, raw


def test_a_newsletter_from_the_prospects_company_is_other():
    c = classified("newsletter.eml")
    assert (c.kind, c.reason, c.opt_out) == ("other", "mailing", False)
    # Its "Meld deg av" link text is not the person opting out.
    assert c.text == "Nytt fra Fjellmat\n\nVi har åpnet tre nye butikker i desember.\n\nMeld deg av"
    assert is_mailing(parse_message(raw("newsletter.eml"))) is True
    assert is_auto_reply(parse_message(raw("newsletter.eml"))) is False


def test_a_read_receipt_is_other():
    c = classified("read_receipt.eml")
    assert (c.kind, c.reason, c.bounce) == ("other", "report", None)
    assert c.in_reply_to == TOUCH_ID
    assert c.text == "Meldingen ble lest mandag 7. desember 2026 11:15:00 (UTC+01:00)."


def test_every_fixture_gets_one_of_the_kinds():
    expected = {
        "apple_mail_reply_en.eml": "reply",
        "bounce_exchange_nb.eml": "bounce",
        "bounce_exim.eml": "bounce",
        "bounce_gmail.eml": "bounce",
        "bounce_office365.eml": "bounce",
        "bounce_postfix.eml": "bounce",
        "bounce_qmail.eml": "bounce",
        "delay_exim.eml": "bounce",
        "delay_postfix.eml": "bounce",
        "dsn_success.eml": "other",
        "gmail_reply_en.eml": "reply",
        "gmail_reply_nb.eml": "reply",
        "ios_reply_nb.eml": "reply",
        "newsletter.eml": "other",
        "oof_body_only_nb.eml": "auto_reply",
        "oof_danish.eml": "auto_reply",
        "oof_exchange_en.eml": "auto_reply",
        "oof_exchange_nb.eml": "auto_reply",
        "oof_german.eml": "auto_reply",
        "oof_gmail_vacation.eml": "auto_reply",
        "oof_no_date_en.eml": "auto_reply",
        "oof_nynorsk_sieve.eml": "auto_reply",
        "oof_swedish.eml": "auto_reply",
        "outlook_reply_nb.eml": "reply",
        "outlook_reply_sv.eml": "reply",
        "outlook_web_reply_en_html.eml": "reply",
        "read_receipt.eml": "other",
        "reply_bottom_posted.eml": "reply",
        "reply_not_opt_out.eml": "reply",
        "reply_opt_out_nb.eml": "opt_out",
        "reply_opt_out_stop.eml": "opt_out",
        "thunderbird_reply_de.eml": "reply",
    }
    found = {name: classified(name, today=date(2026, 7, 20)).kind for name in expected}
    assert found == expected
    assert set(found.values()) == set(KINDS)


def test_body_text_prefers_the_plain_part_and_converts_lone_html():
    assert body_text(parse_message(raw("gmail_reply_en.eml"))).startswith(
        "Hi Sara,\n\nThanks for reaching out."
    )
    html_only = body_text(parse_message(raw("outlook_web_reply_en_html.eml")))
    assert html_only.startswith("Hi Sara,\n\nWe already use a competitor’s tool")
    assert "From: Sara Selger <sara@nordlys.example>\nSent: Monday, December 7, 2026" in html_only
