"""A person's reply, as Gmail, Outlook, Outlook on the web, Apple Mail, iOS, Thunderbird and
mutt write it: the new text without the quoted history, the signature or the app's footer."""

from datetime import UTC, datetime, timedelta, timezone

import pytest

from inbox.classify import reply_text, split_history

from .helpers import TOUCH_ID, classified

CET = timezone(timedelta(hours=1))


def test_gmail_reply_in_english():
    c = classified("gmail_reply_en.eml")
    assert c.kind == "reply"
    assert c.reason == "reply"
    assert c.text == (
        "Hi Sara,\n\nThanks for reaching out. Tuesday at 10:00 works for us, and I'll bring our\n"
        "head of operations.\n\nBest,\nKari"
    )
    assert c.message_id == "<CAJx5Zk9q+3vQ1mT8Hc2=Yd7bWnK1sLpEo4uR6fG0aZ_w@mail.gmail.com>"
    assert c.in_reply_to == TOUCH_ID
    assert c.references == [TOUCH_ID]
    assert (c.from_email, c.from_name) == ("kari.nordmann@gmail.com", "Kari Nordmann")
    assert c.to_emails == ["sara@nordlys.example"]
    assert c.subject == "Re: Onboarding new stores at Fjellmat"
    assert c.sent_at == datetime(2026, 12, 8, 9, 14, 27, tzinfo=CET)
    assert (c.return_on, c.bounce, c.opt_out) == (None, None, False)


def test_gmail_reply_in_norwegian_with_a_wrapped_attribution_and_encoded_headers():
    c = classified("gmail_reply_nb.eml")
    assert c.kind == "reply"
    assert c.text == (
        "Hei Sara!\n\nTakk for e-posten. Vi er interessert, men budsjettet for neste år er ikke\n"
        "klart før i februar. Kan du ta kontakt igjen da?\n\nHilsen Kari"
    )
    assert c.from_name == "Kari Nøstvik"
    assert c.subject == "Re: Nye butikker hos Fjellmat – en kort prat?"


def test_outlook_reply_in_norwegian_labelled_latin1_with_windows_1252_bytes():
    c = classified("outlook_reply_nb.eml")
    assert c.kind == "reply"
    # The en dash is 0x96: Windows-1252, although the part says iso-8859-1.
    assert c.text == (
        "Hei Sara,\n\nJa, send gjerne et tilbud på 25 lisenser – helst før jul.\n\n"
        "Med vennlig hilsen\nOla Hansen\nInnkjøpssjef, Bergen Bygg AS\nTlf. 55 12 34 56"
    )
    assert c.subject == "SV: Lisenser til prosjektavdelingen"
    assert c.sent_at == datetime(2026, 12, 8, 11, 2, 38, tzinfo=UTC)


def test_outlook_reply_in_swedish_base64():
    c = classified("outlook_reply_sv.eml")
    assert c.kind == "reply"
    assert c.text == (
        "Hej Sara,\n\nTack, men vi har redan en leverantör. Ha en bra dag!\n\n"
        "Vänliga hälsningar\nAnna Lind"
    )
    assert c.subject == "SV: Ett kort samtal?"


def test_outlook_on_the_web_html_only_reply():
    c = classified("outlook_web_reply_en_html.eml")
    assert c.kind == "reply"
    assert c.text == (
        "Hi Sara,\n\nWe already use a competitor’s tool, but I’m happy to compare. Could you "
        "send pricing for 40 seats?\n\nRegards,\nIngrid"
    )
    assert c.from_email == "ingrid.berg@fjellmat.example"  # lower-cased whole
    assert c.to_emails == ["sara@nordlys.example", "tor.lie@fjellmat.example"]
    assert c.message_id == (
        "<DU0PR10MB5402F1E2D3C4B5A69788A9B0C1D2E3F4@DU0PR10MB5402.EURPRD10.PROD.OUTLOOK.COM>"
    )


def test_apple_mail_reply_quotes_its_attribution():
    c = classified("apple_mail_reply_en.eml")
    assert c.kind == "reply"
    assert c.text == "Hi Sara,\n\nSounds good. Let’s talk on Thursday.\n\nErik"
    assert c.message_id == "<9A1B2C3D-4E5F-4061-8293-A4B5C6D7E8F9@havbruk.example>"


def test_iphone_reply_in_norwegian_drops_the_sent_from_footer():
    c = classified("ios_reply_nb.eml")
    assert c.kind == "reply"
    assert c.text == "Ja, det passer fint. Ring meg på mandag."


def test_thunderbird_reply_in_german_raw_windows_1252():
    c = classified("thunderbird_reply_de.eml")
    assert c.kind == "reply"
    assert c.text == (
        "Hallo Frau Selger,\n\nvielen Dank für Ihre Nachricht. Können Sie mir bitte ein Angebot "
        "für\nzwölf Arbeitsplätze schicken?\n\nMit freundlichen Grüßen\nJürgen Weiß"
    )
    assert c.from_name == "Jürgen Weiß"
    assert c.subject == "Re: Kurzes Gespräch?"


def test_bottom_posted_interleaved_reply_keeps_the_answers_between_the_quotes():
    c = classified("reply_bottom_posted.eml")
    assert c.kind == "reply"
    assert c.text == "Wednesday, please.\n\nThree of us."


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Gmail, English, attribution wrapped over two lines
        (
            "Yes.\n\nOn Mon, 7 Dec 2026 at 10:00, Sara Selger <sara@nordlys.example>\n"
            "wrote:\n\n> Hi",
            "Yes.",
        ),
        # Gmail, bokmål
        ("Ja.\n\nDen man. 7. des. 2026 kl. 10:00 skrev Sara <s@n.example>:\n> Hei", "Ja."),
        # Gmail, Swedish and Danish
        ("Tack!\n\nDen mån 7 dec. 2026 kl 10:00 skrev Sara <s@n.example>:\n> Hej", "Tack!"),
        ("Tak.\n\nDen man. 7. dec. 2026 kl. 10.00 skrev Sara <s@n.example>:\n> Hej", "Tak."),
        # Gmail, German
        ("Gut.\n\nAm Mo., 7. Dez. 2026 um 10:00 Uhr schrieb Sara <s@n.example>:\n> Hallo", "Gut."),
        # Apple Mail, bokmål, not quoted
        ("Ok!\n\n7. des. 2026 kl. 10:00 skrev Sara Selger <s@n.example>:\n\n> Hei", "Ok!"),
        # Outlook, -----Original Message----- and the Norwegian and German separators
        ("Fine.\n\n-----Original Message-----\nFrom: Sara\nSent: Monday", "Fine."),
        ("Greit.\n\n-----Opprinnelig melding-----\nFra: Sara\nSendt: mandag", "Greit."),
        ("Gut.\n\n-----Ursprüngliche Nachricht-----\nVon: Sara\nGesendet: Montag", "Gut."),
        # Outlook header blocks without a separator: English, bokmål, Swedish, German, bold
        ("Yes\n\nFrom: Sara <s@n.example>\nSent: Monday\nTo: Kari\nSubject: Hi", "Yes"),
        ("Ja\n\nFra: Sara <s@n.example>\nSendt: mandag 7. desember 2026 10:00\nTil: Kari", "Ja"),
        ("Ja\n\nFrån: Sara <s@n.example>\nSkickat: den 7 december 2026\nTill: Anna", "Ja"),
        ("Ja\n\nVon: Sara <s@n.example>\nGesendet: Montag, 7. Dezember 2026\nAn: Jürgen", "Ja"),
        ("Yes\n\n*From:* Sara <s@n.example>\n*Date:* Monday\n*To:* Kari", "Yes"),
        # Outlook on the web's rule before the header block
        ("Yes\n\n________________________________\nFrom: Sara\nSent: Monday", "Yes"),
        # Gmail forward separator
        ("FYI\n\n---------- Forwarded message ---------\nFrom: Sara", "FYI"),
        # Signature separator, with and without its trailing space
        ("Thanks!\n\n-- \nKari Nordmann\nCEO", "Thanks!"),
        ("Thanks!\n--\nKari Nordmann", "Thanks!"),
        # Mobile footers
        ("Ja.\n\nSendt fra min iPhone", "Ja."),
        ("Ok.\n\nGet Outlook for Android", "Ok."),
        ("Ja.\n\nSkickat från min iPhone", "Ja."),
        ("Ok.\n\nSent from Mail for Windows", "Ok."),
        # Not an attribution: no time, year or address
        ("Som jeg skrev:\nvi er fornøyde.", "Som jeg skrev:\nvi er fornøyde."),
        # The product's footer quoted back without markers
        ("Nei.\nNot interested? Unsubscribe with one click: https://x.example/u/1", "Nei."),
        # Nothing new at all
        ("> only\n> quoted", ""),
    ],
)
def test_reply_text(text, expected):
    assert reply_text(text) == expected


def test_split_history_says_whether_history_was_found():
    assert split_history("Hello there") == ("Hello there", False)
    assert split_history("Hi\n\n> quoted") == ("Hi", True)
    assert split_history("Hi\n\n-----Original Message-----\nFrom: x") == ("Hi", True)
