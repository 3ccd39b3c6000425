"""An opt-out written in a reply ("unsubscribe", "meld meg av", "ikke kontakt meg"…).

Only the new text of a reply is read (``reply_text``: no quoted history, no signature, and
not the product's own footer "Not interested? Unsubscribe with one click: …", which replies
quote back). The rule is conservative, because a false opt-out suppresses a prospect for
good; the reply still stops the cadence as a reply when this says no. It is an opt-out when:

1. a clear phrase stands anywhere in the new text and is not negated just before it
   ("please don't remove me" is not one): "unsubscribe me", "remove me from your list",
   "take me off", "stop emailing me", "do not contact me", "opt me out"; "meld meg av",
   "avmeld meg", "ta meg av lista", "fjern meg fra", "ikke kontakt meg", "ikkje kontakt meg",
   "ikke send meg flere"; "avregistrera mig", "ta bort mig", "kontakta mig inte"; "afmeld mig",
   "fjern mig fra", "kontakt mig ikke"; "bitte abmelden", "mich abmelden", "tragen Sie mich
   aus", "keine weiteren E-Mails"…; or
2. the first paragraph of the new text is nothing but an opt-out word (with "me", polite words
   and a short sign-off line at most): "Unsubscribe", "STOP", "Stopp.", "Avmeld, takk",
   "Afmeld", "Abmelden bitte", "Remove me please\\nKari".
A word inside a longer sentence never counts ("I can't stop thinking about it", "How do we
remove the old data?").
"""

import re

from .reply import PRODUCT_FOOTER

_NEGATION = re.compile(
    r"(?<![^\W\d_])(?:don'?t|do not|not|never|no need to|ikke|ikkje|aldri|inte|aldrig|nicht"
    r"|nie|bitte nicht)\s+(?:\w+\s+){0,3}$"
)
_CLEAR = re.compile(
    r"(?<![^\W\d_])(?:"
    # English
    r"unsubscribe (?:me|us)|please unsubscribe|i (?:want|wish|would like) to unsubscribe"
    r"|remove (?:me|us|my (?:e-?mail|address|email address|details|name|contact details))"
    r"(?: from)?|take (?:me|us) off|opt (?:me|us) out|stop (?:e-?mailing|emailing|contacting"
    r"|sending|messaging|writing to|spamming) (?:me|us)|(?:do not|don'?t|never) (?:contact"
    r"|e-?mail|email|write to|message) (?:me|us)|no more (?:e-?mails|emails|messages)"
    # Norwegian (bokmål, nynorsk)
    r"|meld (?:meg|oss) av|avmeld (?:meg|oss)|ta (?:meg|oss) (?:av|ut av|bort fra)"
    r"|fjern (?:meg|oss) (?:fra|frå)|slett (?:meg|oss|min|mine)|(?:ikke|ikkje) (?:kontakt|kontakte"
    r"|send|sende|skriv til) (?:meg|oss)|(?:ikke|ikkje) ta kontakt|(?:ikke|ikkje) send (?:flere"
    r"|mer|fleire)|slutt å (?:sende|kontakte|skrive)|(?:ønsker|vil) (?:ikke|ikkje) (?:å motta|motta"
    r"|ha|bli kontaktet|få) (?:flere|mer|fleire|e-?post|eposter|henvendelser|noe)"
    r"|ønsker å (?:melde meg av|avmelde|avslutte)|reserverer (?:meg|oss) mot"
    # Swedish
    r"|avregistrera (?:mig|oss)|avanmäl (?:mig|oss)|avprenumerera|ta bort (?:mig|oss|min|mitt)"
    r"|kontakta (?:mig|oss) inte|kontakta inte (?:mig|oss)|sluta (?:skicka|maila|mejla|kontakta)"
    r"|vill inte (?:ha|få) (?:fler|mer|några)"
    # Danish
    r"|afmeld (?:mig|os)|fjern (?:mig|os) fra|slet (?:mig|os)|kontakt (?:mig|os) ikke"
    r"|lad være med at (?:kontakte|skrive|sende)|stop med at (?:sende|skrive|kontakte)"
    r"|send ikke flere|ønsker ikke (?:at modtage|flere)"
    # German
    r"|bitte abmelden|(?:mich|uns) (?:bitte )?(?:abmelden|austragen|entfernen|löschen)"
    r"|melden sie (?:mich|uns) (?:bitte )?ab|tragen sie (?:mich|uns) (?:bitte )?aus"
    r"|kontaktieren sie (?:mich|uns) (?:bitte )?nicht mehr|kontaktieren sie (?:mich|uns) nicht"
    r"|keine (?:weiteren )?(?:e-?mails|mails|nachrichten)|(?:newsletter|e-?mails) abbestellen"
    r"|aus (?:ihrem|dem|ihrer) (?:verteiler|liste)"
    r")(?![^\W\d_])"
)
# Phrases that carry their own negation ("ikke kontakt meg") are never "negated" by it.
_SELF_NEGATED = re.compile(r"^(?:ikke|ikkje|inte|do not|don'?t|never|keine|send ikke|kontakt)")

_WORDS = {
    "unsubscribe", "unsub", "stop", "stopp", "remove", "avmeld", "avmelding", "avslutt",
    "avregistrer", "avregistrera", "afmeld", "afmelding", "abmelden", "abbestellen", "austragen",
    "optout", "opt-out", "opt",
}  # fmt: skip
_OBJECTS = {"me", "us", "meg", "oss", "mig", "os", "mich", "uns", "it", "out"}
_POLITE = {
    "please", "pls", "plz", "thanks", "thank", "you", "thx", "ty", "takk", "tack", "tak",
    "bitte", "danke", "now", "asap", "nå", "no", "nu", "jetzt", "sofort", "ok", "hi", "hei",
    "hej", "hello", "hallo", "dear", "mvh", "vh", "regards", "best", "kind", "br", "cheers",
    "hilsen", "helsing", "hälsningar", "gruss", "gruß", "grüße", "lg",
}  # fmt: skip
_URL = re.compile(r"https?://\S+|www\.\S+", re.I)


def _clean(text: str) -> str:
    lines = [line for line in text.split("\n") if not PRODUCT_FOOTER.match(line)]
    text = _URL.sub(" ", "\n".join(lines)).lower().replace("’", "'")
    return text


def _clear_phrase(text: str) -> bool:
    flat = " ".join(text.split())
    for m in _CLEAR.finditer(flat):
        if _SELF_NEGATED.match(m.group(0)):
            # "ikke kontakt meg" is one; "hvorfor skulle du ikke kontakte meg?" is not.
            end = re.search(r"[.!?]", flat[m.end() :])
            if end is None or end.group(0) != "?":
                return True
        elif not _NEGATION.search(flat[max(0, m.start() - 40) : m.start()]):
            return True
    return False


def _just_the_word(paragraph: str) -> bool:
    lines = [line for line in paragraph.split("\n") if line.strip()]
    if not lines:
        return False
    words = re.findall(r"[^\W\d_]+(?:-[^\W\d_]+)?", lines[0])
    significant = [w for w in words if w not in _POLITE]
    if not significant or significant[0] not in _WORDS or len(significant) > 4:
        return False
    if any(w not in _WORDS and w not in _OBJECTS for w in significant[1:]):
        return False
    # What follows on the paragraph's other lines may only be a short sign-off ("Kari").
    return all(len(line.split()) <= 3 for line in lines[1:4]) and len(lines) <= 4


def is_opt_out(text: str) -> bool:
    """Whether a reply's new text asks to be left alone (rules in the module docstring)."""
    text = _clean(text or "")[:20_000]
    if not text.strip():
        return False
    if _clear_phrase(text):
        return True
    first = re.split(r"\n\s*\n", text.strip(), maxsplit=1)[0]
    return _just_the_word(first)


def subject_is_opt_out(subject: str) -> bool:
    """A subject that is only an opt-out word ("Unsubscribe", "STOP", "Avmeld"), once any
    "Re:"/"SV:"/"AW:" prefix is removed."""
    subject = re.sub(r"^(?:\s*(?:re|sv|aw|vs|antw|fw|fwd)\s*:)+", "", subject.strip(), flags=re.I)
    return _just_the_word(_clean(subject))
