"""Opt-out by reply: clear phrases in six languages and lone opt-out words count; the quoted
history, the product's own footer and "stop" inside a sentence do not."""

from datetime import date

import pytest

from inbox.classify import classify, is_opt_out, subject_is_opt_out

from .helpers import TOUCH_ID, classified

FOOTER = "Not interested? Unsubscribe with one click: https://crm.nordlys.example/u/8Jk2Lq9ZxT4"


def test_norwegian_opt_out_in_a_gmail_reply():
    c = classified("reply_opt_out_nb.eml")
    assert (c.kind, c.opt_out, c.reason) == ("opt_out", True, "opt-out")
    assert c.text == "Meld meg av denne lista, takk.\n\nKari"
    assert c.in_reply_to == TOUCH_ID


def test_stop_above_a_long_signature_in_an_outlook_reply():
    c = classified("reply_opt_out_stop.eml")
    assert (c.kind, c.opt_out) == ("opt_out", True)
    assert c.text.startswith("STOP\n\nLars Eide\n")


def test_stop_inside_a_sentence_with_the_footer_quoted_is_a_reply():
    c = classified("reply_not_opt_out.eml")
    assert (c.kind, c.opt_out) == ("reply", False)


@pytest.mark.parametrize(
    "text",
    [
        "Unsubscribe",
        "unsubscribe me please",
        "STOP",
        "Stop.\n\nKari",
        "Stopp!",
        "Remove me please\nKari Nordmann",
        "Please remove me from your mailing list.",
        "Take me off your list, thanks.",
        "Stop emailing me.",
        "Please do not contact me again.",
        "Avmeld",
        "Avmeld, takk",
        "Meld meg av.",
        "Hei, kan du ta meg av lista deres?",
        "Ikke kontakt meg igjen.",
        "Ikkje kontakt meg meir.",
        "Fjern meg fra listen deres.",
        "Vi ønsker ikke flere henvendelser.",
        "Avregistrera mig, tack.",
        "Ta bort mig från listan.",
        "Kontakta mig inte igen.",
        "Afmeld mig venligst.",
        "Kontakt mig ikke igen.",
        "Bitte abmelden.",
        "Bitte tragen Sie mich aus dem Verteiler aus.",
        "Keine weiteren E-Mails, danke.",
        "Abmelden",
        "Ich möchte den Newsletter abbestellen.",
    ],
)
def test_opt_outs(text):
    assert is_opt_out(text) is True


@pytest.mark.parametrize(
    "text",
    [
        "I can't stop thinking about it - can we talk Thursday?",
        "Don't stop",
        "Please don't remove me from the list, I like your updates.",
        "How do we remove the old data before the migration?",
        "Remove the attachment please",
        "We stop work at 16:00, call before that.",
        "Nei takk, ikke interessert.",
        "Not interested.",
        "Hvorfor skulle du ikke kontakte meg? Ring gjerne.",
        "Vi har ingen planer om å avslutte avtalen.",
        "Kann ich die Lieferung am Freitag abbestellen?",
        "Thanks!\n\n" + FOOTER,
        FOOTER,
        "",
        "stop " * 1000,
    ],
)
def test_not_opt_outs(text):
    assert is_opt_out(text) is False


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("Unsubscribe", True),
        ("Re: STOP", True),
        ("SV: Avmeld", True),
        ("Re: Stop the presses: our new product", False),
        ("Re: Pricing for your team", False),
    ],
)
def test_subject_opt_out(subject, expected):
    assert subject_is_opt_out(subject) is expected


def test_an_empty_reply_with_unsubscribe_as_its_subject_opts_out():
    raw = (
        "From: Kari <kari@fjellmat.example>\nTo: sara@nordlys.example\nSubject: Unsubscribe\n"
        f"Message-ID: <u@x>\nIn-Reply-To: {TOUCH_ID}\n\n\n"
    ).encode()
    c = classify(raw, today=date(2026, 12, 10))
    assert (c.kind, c.opt_out, c.text) == ("opt_out", True, "")


def test_an_opt_out_only_in_the_quoted_history_is_a_reply():
    raw = (
        b"From: Kari <kari@fjellmat.example>\nTo: sara@nordlys.example\nSubject: Re: Hei\n"
        b"Message-ID: <u2@x>\n\nJa, ring meg.\n\n"
        b"On Mon, 7 Dec 2026 at 10:00, Per <per@fjellmat.example> wrote:\n> Meld meg av\n"
    )
    c = classify(raw, today=date(2026, 12, 10))
    assert (c.kind, c.opt_out, c.text) == ("reply", False, "Ja, ring meg.")


def test_an_automatic_reply_never_opts_out():
    raw = (
        b"From: Kari <kari@fjellmat.example>\nTo: sara@nordlys.example\n"
        b"Subject: Automatic reply: Hei\nAuto-Submitted: auto-replied\nMessage-ID: <u3@x>\n\n"
        b"Unsubscribe requests go to post@fjellmat.example. Please remove me from CC.\n"
    )
    c = classify(raw, today=date(2026, 12, 10))
    assert (c.kind, c.opt_out) == ("auto_reply", False)
