"""A reply's new text: what the person wrote, without the quoted history, the signature or the
mail app's footer.

The history starts at the first of:
- an attribution line as Gmail, Apple Mail, iOS and Thunderbird write it, in English,
  Norwegian, Swedish, Danish or German, possibly wrapped over up to three lines and possibly
  quoted itself ("On Mon, 7 Dec 2026 at 10:00, Kari <kari@…> wrote:", "Den man. 7. des. 2026
  kl. 10:00 skrev Kari <…>:", "7. des. 2026 kl. 10:00 skrev …:", "Am 07.12.2026 um 10:00
  schrieb …:"). It must name a time, a year or an address, so that "Som jeg skrev:" is text;
- a separator line ("-----Original Message-----", "-----Opprinnelig melding-----", "--------
  Forwarded message ---------", the Outlook on the web rule of underscores before a header
  block);
- an Outlook header block: a "From:" line ("Fra:", "Från:", "Frå:", "Von:", bold or not)
  followed within four lines by "Sent:"/"Date:" ("Sendt:", "Skickat:", "Gesendet:", "Dato:",
  "Datum:").
Everything from there on is history. If nothing but quotes stands above an attribution (a
bottom-posted or interleaved reply), the unquoted lines below it are the new text instead.
Then lines quoted with ``>`` go, everything after a signature separator ("-- ", or "--" as
clients that trim trailing spaces leave it) goes, and the mail apps' footers ("Sent from my
iPhone", "Sendt fra min iPhone", "Get Outlook for iOS"…) and the product's own unsubscribe
footer go.
"""

import re

_WROTE = r"(?:wrote|writes|skrev|skreiv|schrieb|a écrit|escribió|ha scritto|schreef)"
_ATTRIBUTION = re.compile(r"^.{0,400}?\b" + _WROTE + r"\b.{0,300}:\s*$", re.I)
_ATTRIBUTION_MARK = re.compile(r"@|\d{1,2}[:.]\d{2}|\b(?:19|20)\d{2}\b")
_SEPARATOR = re.compile(
    r"^\s*-{2,}\s*(?:original message|opprinnelig melding|opphavleg melding|"
    r"ursprungligt meddelande|oprindelig (?:meddelelse|besked)|ursprüngliche nachricht|"
    r"forwarded message|videresendt (?:melding|meddelelse)|vidarebefordrat meddelande|"
    r"weitergeleitete nachricht)\s*-{2,}\s*$",
    re.I,
)
_RULE = re.compile(r"^\s*_{10,}\s*$")
_FROM = re.compile(r"^\s*\*?(?:from|fra|från|frå|von|de|van)\s*:\*?\s*\S", re.I)
_SENT = re.compile(
    r"^\s*\*?(?:sent|sendt|skickat|gesendet|date|dato|datum|envoyé|enviado|verzonden)\s*:", re.I
)
_FOOTERS = re.compile(
    r"^\s*(?:sent from (?:my|mail for|outlook|yahoo)|sendt fra (?:min|mi|e-post for|outlook)"
    r"|sendt frå (?:min|mi)|skickat från (?:min|e-post för|outlook)|von meinem .{1,40} gesendet"
    r"|get outlook for|hent outlook for|skaff deg outlook for|få outlook för|hol dir outlook für"
    r"|download outlook for)\b.{0,60}$",
    re.I,
)
# The footer the product adds to every cadence email (cadences/services/dispatch/send.py),
# in each of the product's languages (tests/inbox/classify/test_footer_languages.py checks
# every translation); a reply that quotes it without markers must not read it as the
# person's words.
PRODUCT_FOOTER = re.compile(
    r"^\s*>?\s*(?:not interested\? unsubscribe with one click"
    r"|ikke interessert\? meld deg av med ett klikk)\b.*$",
    re.I,
)


def _quoted(line: str) -> bool:
    return line.lstrip().startswith(">")


def _attribution_at(lines: list[str], i: int) -> int | None:
    """If an attribution ends on one of lines i..i+2 and starts at line i, the index of its
    last line."""
    if not lines[i].strip():
        return None
    joined = ""
    for j in range(i, min(i + 3, len(lines))):
        if j > i and not lines[j].strip():
            return None
        joined = (joined + " " + lines[j].strip().lstrip("> ")).strip()
        if joined.endswith(":") and _ATTRIBUTION.match(joined) and _ATTRIBUTION_MARK.search(joined):
            return j
    return None


def _outlook_block_at(lines: list[str], i: int) -> bool:
    if not _FROM.match(lines[i]):
        return False
    return any(_SENT.match(line) for line in lines[i + 1 : i + 5])


def split_history(text: str) -> tuple[str, bool]:
    """(the new text, whether quoted history was found)."""
    lines = text.split("\n")
    cut, attribution_end = None, None
    for i, line in enumerate(lines):
        if _SEPARATOR.match(line) or _outlook_block_at(lines, i):
            cut = i
            break
        if _RULE.match(line) and any(_FROM.match(n) for n in lines[i + 1 : i + 3]):
            cut = i
            break
        if not _quoted(line) or i == 0 or not _quoted(lines[i - 1]):
            end = _attribution_at(lines, i)
            if end is not None:
                cut, attribution_end = i, end
                break
    found = cut is not None or any(_quoted(line) for line in lines)
    if cut is not None:
        head = lines[:cut]
        if attribution_end is not None and not any(
            line.strip() and not _quoted(line) for line in head
        ):
            head = lines[attribution_end + 1 :]  # bottom-posted or interleaved
        lines = head
    kept = []
    for line in lines:
        if line.rstrip() == "--":  # "-- ", the signature separator
            break
        if _quoted(line) or _FOOTERS.match(line) or PRODUCT_FOOTER.match(line):
            continue
        kept.append(line.rstrip())
    new = re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip()
    return new, found


def reply_text(text: str) -> str:
    """The new text of a reply (see the module docstring for the rules)."""
    return split_history(text)[0]
