"""The return date in an automatic reply, in Norwegian (bokmål and nynorsk), Swedish, Danish,
English and German.

``return_date(text, today)`` answers the **first day the person is back**, or None.

A date counts only after a word that says what it is (its cue), with at most four words
between ("tilbake på kontoret mandag 5. januar"); the nearest cue before the date decides:
- *back* on that day: "tilbake", "tilbage", "tillbaka", "åter", "igjen", "back", "returning",
  "wieder", "zurück"…;
- *until* that day, read as back that day: "til", "till", "until", "bis (zum)", "inntil",
  "indtil", "frem til"… (people mostly mean the day they are back; the caller's pause ends the
  business day after it anyway);
- *through* that day, so back the next day: "til og med", "t.o.m.", "till och med", "through",
  "to and including", "bis einschließlich"…; a range "20.–24. juli" or "20.07 - 03.08" lists
  the days away, so its end counts as *through*;
- *from* that day ("fra og med", "f.o.m.", "fra", "från", "from", "ab (dem)"…): back that day
  only when the same sentence says so ("Jeg er tilbake fra og med 4. august", "ab dem 5. Januar
  wieder im Büro"); otherwise it is when the absence starts, and it is ignored;
- *before*, only after a negation ("ikke tilbake før 5. januar", "not back before …"): back
  that day.
A bare date without a cue is ignored. When several dates qualify, the latest wins (better to
wait a day too long than to write to someone away).

Dates are read as: "3. august", "3 aug", "den 3. august", "5th of January", "January 5th",
"Jan 5, 2027", "14.07", "14.7.", "14/7", "14.07.2026", "2027-01-05"; numeric dates are always
day first (the Nordic and German order), whatever the language. Also "uke/veke/vecka/uge/week
32" (its Monday), "i morgen"/"tomorrow", and a weekday alone ("tilbake mandag": the next
Monday after ``today``).

Without a year, a date is the occurrence from 30 days before ``today`` to 335 days after: a
date just past is this year's (a stale auto-reply, or one read late: the person is already
back), not next year's. With a year it is taken as given (between last year and five years
ahead; other years are not return dates).
"""

import re
from datetime import date, timedelta

MONTHS = {
    1: ("januar", "januari", "january", "jänner", "jan"),
    2: ("februar", "februari", "february", "febr", "feb"),
    3: ("mars", "marts", "march", "märz", "maerz", "mär", "mrz", "mar"),
    4: ("april", "apr"),
    5: ("mai", "maj", "may"),
    6: ("juni", "june", "jun"),
    7: ("juli", "july", "jul"),
    8: ("augusti", "august", "aug"),
    9: ("september", "sept", "sep"),
    10: ("oktober", "october", "okt", "oct"),
    11: ("november", "nov"),
    12: ("desember", "december", "dezember", "des", "dec", "dez"),
}
WEEKDAYS = {
    0: ("mandag", "måndag", "montag", "monday"),
    1: ("tirsdag", "tysdag", "tisdag", "dienstag", "tuesday"),
    2: ("onsdag", "mittwoch", "wednesday"),
    3: ("torsdag", "donnerstag", "thursday"),
    4: ("fredag", "freitag", "friday"),
    5: ("lørdag", "laurdag", "lördag", "samstag", "saturday"),
    6: ("søndag", "sundag", "söndag", "sonntag", "sunday"),
}
_MONTH_OF = {name: n for n, names in MONTHS.items() for name in names}
_WEEKDAY_OF = {name: n for n, names in WEEKDAYS.items() for name in names}


def _alternation(names) -> str:
    return "(?:" + "|".join(sorted(map(re.escape, names), key=len, reverse=True)) + ")"


_MONTH = _alternation(_MONTH_OF)
_WEEKDAY = _alternation(_WEEKDAY_OF)
_NOT_LETTER = r"(?![^\W\d_])"

_TOKEN = re.compile(
    r"(?P<iso>(?<!\d)(?P<iy>\d{4})-(?P<im>\d{1,2})-(?P<id>\d{1,2})(?!\d))"
    r"|(?P<num>(?<![\d.,:/])(?P<nd>\d{1,2})\s?[./]\s?(?P<nm>\d{1,2})"
    r"(?:\s?[./]\s?(?P<ny>\d{4}|\d{2})(?!\d))?(?![\d/]|[.,]\d))"
    rf"|(?P<dm>(?<![\d.,:/])(?P<dd>\d{{1,2}})(?:\.|st|nd|rd|th)?\s*(?:of\s+)?(?P<dmon>{_MONTH})"
    rf"\.?{_NOT_LETTER}(?:,?\s*(?P<dy>\d{{4}})(?!\d))?)"
    rf"|(?P<md>(?<![^\W\d_])(?P<mmon>{_MONTH})\.?\s+(?P<mdd>\d{{1,2}})(?:st|nd|rd|th)?(?!\d)"
    r"(?:,?\s*(?P<my>\d{4})(?!\d))?)"
    r"|(?P<week>(?<![^\W\d_])(?:uke|veke|vecka|uge|week|kw|woche|v\.)\s*(?P<wk>\d{1,2})(?!\d))"
    rf"|(?P<tomorrow>(?<![^\W\d_])(?:i\s?morgen|i\s?morgon|tomorrow|morgen){_NOT_LETTER})"
    rf"|(?P<wday>(?<![^\W\d_])(?P<wname>{_WEEKDAY}){_NOT_LETTER}"
    rf"(?!\.?,?\s*(?:den\s+|the\s+)?\d)(?!\.?,?\s*{_MONTH}))"
)

BACK, UNTIL, THROUGH, FROM, BEFORE = "back", "until", "through", "from", "before"
_CUES = [
    (THROUGH, r"(?:frem |fram )?til og med|(?:fram )?till och med|to og med|t\.\s?o\.\s?m\.?"
     r"|tom\.|through|thru"
     r"|(?:up )?to and including|until and including|bis einschlie(?:ß|ss)lich|bis inklusive"
     r"|bis inkl\.?|einschlie(?:ß|ss)lich|inklusive|inkl\.|including|incl\."),
    (FROM, r"fra og med|frå og med|från och med|f\.\s?o\.\s?m\.?|fr\.\s?o\.\s?m\.?|fra|frå|från"
     r"|from|as of|starting|beginning|ab dem|ab den|ab|von"),
    (UNTIL, r"frem til|fram til|fram till|inntil|indtil|intill|until|untill|till|til|bis zum"
     r"|bis zur|bis am|bis"),
    (BEFORE, r"før|innan|inden|före|before|prior to|vor dem|vor"),
    (BACK, r"tilbake|tilbage|tillbaka|åter|igjen|igen|back|returning|returns|return|returned"
     r"|wieder|zurück|retour"),
]  # fmt: skip
_CUE = re.compile(
    "(?<![^\\W\\d_])(?:" + "|".join(f"(?P<{kind}>{rx})" for kind, rx in _CUES) + ")(?![^\\W\\d_])"
)
_BACK_WORDS = re.compile(
    r"(?<![^\W\d_])(?:tilbake|tilbage|tillbaka|åter|igjen|igen|back|return\w*|wieder|zurück"
    r"|treffes|träffas|nås|tilgjengelig|tilgængelig|tillgänglig|available|erreichbar"
    r"|på plass|på plads|på plats|på jobb|på kontoret|på arbeid|i kontoret|in the office"
    r"|im büro)(?![^\W\d_])"
)
_NEGATION = re.compile(r"(?<![^\W\d_])(?:ikke|ikkje|inte|not|nicht|never|aldri|aldrig)(?![^\W\d_])")
_SENTENCE_END = re.compile(r"\n|[!?;](?=\s)|(?<=[^\W\d_]{4})\.(?=\s)")
_CLOCK = re.compile(r"(?<![^\W\d_])(?:kl|klokka|klokken|klockan|um|at)\.?\s*$")
_RANGE_DASH = re.compile(r"\d\.?\s*[-–—]\s*$")
_CONNECTOR = re.compile(r"^\s*(?:[-–—]|to)\s*$")
_MAX_CHARS = 5000


def _normalise(text: str) -> str:
    """Lower case; the lines of a paragraph joined (mail is often wrapped at 72–78 columns);
    paragraphs one a line."""
    text = text[: _MAX_CHARS * 2].lower().replace("\u00a0", " ")
    paragraphs = re.split(r"\n\s*\n", text)
    return "\n".join(" ".join(p.split()) for p in paragraphs if p.strip())[:_MAX_CHARS]


def _in_window(month: int, day: int, today: date) -> date | None:
    low, high = today - timedelta(days=30), today + timedelta(days=335)
    for year in (today.year - 1, today.year, today.year + 1):
        try:
            d = date(year, month, day)
        except ValueError:
            continue
        if low <= d <= high:
            return d
    return None


def _dated(year: int | None, month: int, day: int, today: date) -> date | None:
    if year is None:
        return _in_window(month, day, today)
    if year < 100:
        year += 2000
    if not today.year - 1 <= year <= today.year + 5:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _token_date(m: re.Match, today: date) -> date | None:
    g = m.groupdict()
    if g["iso"]:
        return _dated(int(g["iy"]), int(g["im"]), int(g["id"]), today)
    if g["num"]:
        return _dated(int(g["ny"]) if g["ny"] else None, int(g["nm"]), int(g["nd"]), today)
    if g["dm"]:
        year = int(g["dy"]) if g["dy"] else None
        return _dated(year, _MONTH_OF[g["dmon"]], int(g["dd"]), today)
    if g["md"]:
        year = int(g["my"]) if g["my"] else None
        return _dated(year, _MONTH_OF[g["mmon"]], int(g["mdd"]), today)
    if g["week"]:
        week = int(g["wk"])
        low, high = today - timedelta(days=30), today + timedelta(days=335)
        for year in (today.year, today.year + 1):
            try:
                monday = date.fromisocalendar(year, week, 1)
            except ValueError:
                continue
            if low <= monday <= high:
                return monday
        return None
    if g["tomorrow"]:
        return today + timedelta(days=1)
    ahead = (_WEEKDAY_OF[g["wname"]] - today.weekday() - 1) % 7 + 1
    return today + timedelta(days=ahead)


def _cue(prefix: str) -> re.Match | None:
    """The cue nearest before a date, if only (at most four) words stand between them."""
    last = None
    for m in _CUE.finditer(prefix):
        tail = prefix[m.end() :]
        if not re.search(r"[\d!?;]", tail) and len(re.findall(r"[^\W\d_]+", tail)) <= 4:
            last = m
    return last


def _sentence(text: str, start: int, end: int) -> tuple[int, int]:
    begin = 0
    for m in _SENTENCE_END.finditer(text, max(0, start - 300), start):
        begin = m.end()
    after = _SENTENCE_END.search(text, end)
    return begin, (after.start() if after else len(text))


def _says_back(text: str, start: int, end: int) -> bool:
    begin, finish = _sentence(text, start, end)
    for m in _BACK_WORDS.finditer(text, begin, finish):
        if not _NEGATION.search(text[max(begin, m.start() - 15) : m.start()]):
            return True
    return False


def return_date(text: str, today: date) -> date | None:
    """The first day the person is back, read from an automatic reply's text; None when it
    names no such date (see the module docstring for the rules)."""
    text = _normalise(text or "")
    found: list[date] = []
    previous_end = 0
    for m in _TOKEN.finditer(text):
        start, end = m.span()
        between = text[previous_end:start]
        prefix = text[max(previous_end, start - 80) : start]
        if m.group("num") and (_CLOCK.search(prefix) or re.fullmatch(r"24\s?/\s?7", m.group())):
            continue  # a time of day ("kl. 08.05"), or "24/7"
        day = _token_date(m, today)
        if day is None:
            continue
        had_previous = previous_end > 0
        previous_end = end
        if (had_previous and _CONNECTOR.match(between)) or _RANGE_DASH.search(prefix):
            kind = UNTIL if between.strip() == "to" else THROUGH
        else:
            cue = _cue(prefix)
            if cue is None:
                continue
            kind = cue.lastgroup
            if kind == FROM and not _says_back(text, start, end):
                continue  # when the absence starts
            negated = _NEGATION.search(prefix[max(0, cue.start() - 40) : cue.start()])
            if kind == BEFORE and not negated:
                continue  # "før 1. august" alone is a deadline, not a return
        if kind == THROUGH:  # through that day (that week): back the day (week) after
            day += timedelta(days=7 if m.group("week") else 1)
        found.append(day)
    return max(found) if found else None
