"""Reading a raw message safely: the MIME tree (stdlib ``email``, policy.default with bounds),
the headers the product needs, and the message's text.

Nothing here raises on broken input. What is read is capped: the raw bytes (``MAX_RAW_BYTES``),
the number of MIME boundary lines (``MAX_BOUNDARY_LINES``, which bounds both the number of parts
and their nesting), each header value given to policy.default's structured parser
(``MAX_HEADER_CHARS``: its parser is quadratic on long address and parameter lists), the parts
walked (``MAX_PARTS``, ``MAX_DEPTH``) and the text kept (``MAX_TEXT_CHARS``).
"""

import base64
import binascii
import email
import email.utils
import quopri
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from email.message import EmailMessage, Message
from email.policy import EmailPolicy

from .html_text import html_to_text

MAX_RAW_BYTES = 1 << 20
MAX_BOUNDARY_LINES = 400
MAX_HEADER_CHARS = 4000
MAX_PARTS = 200
MAX_DEPTH = 20
MAX_TEXT_CHARS = 100_000
MAX_HTML_CHARS = 300_000
MAX_IDS = 100


class _BoundedPolicy(EmailPolicy):
    """policy.default, except that a header value is cut to ``MAX_HEADER_CHARS`` before the
    structured parse (a 1 MB ``To:`` or ``Content-Type:`` takes the stock parser minutes)."""

    def header_fetch_parse(self, name, value):
        return super().header_fetch_parse(name, value[:MAX_HEADER_CHARS])


POLICY = _BoundedPolicy()


def parse_message(raw: bytes) -> EmailMessage | None:
    """The parsed message, or None when there is nothing to parse (empty input, no header,
    a structure the parser cannot take)."""
    if not isinstance(raw, bytes | bytearray) or not raw.strip():
        return None
    data = _bounded(bytes(raw[:MAX_RAW_BYTES]))
    try:
        msg = email.message_from_bytes(data, policy=POLICY)
    except Exception:  # RecursionError on absurd nesting, or a parser bug on garbage
        return None
    if not msg.keys():
        return None
    return msg


def headers_complete(raw: bytes) -> bool:
    """Whether the header section ended (a blank line): a message cut inside its headers is
    unreadable."""
    head = bytes(raw[:MAX_RAW_BYTES])
    return b"\n\n" in head or b"\r\n\r\n" in head or b"\r\r" in head


def _bounded(raw: bytes) -> bytes:
    """``raw`` cut before its MAX_BOUNDARY_LINES-th line starting with ``--``: parts beyond that
    are not read (parsing costs about 0.1 ms a part; nesting costs recursion)."""
    pos = -1
    for _ in range(MAX_BOUNDARY_LINES):
        pos = raw.find(b"\n--", pos + 1)
        if pos < 0:
            return raw
    return raw[: pos + 1]


# --- headers ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Headers:
    message_id: str = ""
    in_reply_to: str = ""
    references: list[str] = field(default_factory=list)
    from_email: str = ""
    from_name: str = ""
    to_emails: list[str] = field(default_factory=list)
    subject: str = ""
    sent_at: datetime | None = None


def raw_header(msg: Message, name: str) -> str | None:
    """The first ``name`` header's value, unfolded and cut to MAX_HEADER_CHARS, its raw 8-bit
    bytes decoded (UTF-8, else Windows-1252); encoded words are left as they are."""
    name = name.lower()
    try:
        for key, value in msg.raw_items():
            if key.lower() == name:
                return unfold(undo_surrogates(str(value)[:MAX_HEADER_CHARS]))
    except Exception:
        return None
    return None


def raw_headers(msg: Message, name: str) -> list[str]:
    name = name.lower()
    try:
        return [
            unfold(undo_surrogates(str(v)[:MAX_HEADER_CHARS]))
            for k, v in msg.raw_items()
            if k.lower() == name
        ][:20]
    except Exception:
        return []


def header_text(msg: Message, name: str) -> str:
    """A header as text: unfolded, RFC 2047 encoded words decoded in any charset."""
    value = raw_header(msg, name)
    return decode_words(value) if value else ""


def read_headers(msg: Message, tz: tzinfo) -> Headers:
    """The fields the inbox needs, each read on its own so that one broken header spoils only
    itself. A Date without a zone is read in ``tz``."""
    from_name, from_email = parse_address(raw_header(msg, "From") or "")
    to = []
    for name in ("To", "Cc"):
        for value in raw_headers(msg, name):
            to.extend(address_list(value))
    return Headers(
        message_id=first_id(raw_header(msg, "Message-ID") or ""),
        in_reply_to=first_id(raw_header(msg, "In-Reply-To") or ""),
        references=message_ids(raw_header(msg, "References") or ""),
        from_email=from_email,
        from_name=from_name,
        to_emails=list(dict.fromkeys(to))[:50],
        subject=_one_line(header_text(msg, "Subject"))[:998],
        sent_at=parse_date(raw_header(msg, "Date") or "", tz),
    )


_ID = re.compile(r"<([^<>\s\x00-\x1f\x7f]{1,900})>")
_BARE_ID = re.compile(r"[^<>\s\"(),;\x00-\x1f\x7f]{1,900}@[^<>\s\"(),;\x00-\x1f\x7f]{1,900}")


def message_ids(value: str) -> list[str]:
    """Every Message-ID in a header value, as ``<id>``, duplicates dropped, in order. A value
    without angle brackets (some broken mailers) is taken as one bare ``local@domain``."""
    ids = [f"<{m}>" for m in _ID.findall(value)]
    if not ids:
        bare = _BARE_ID.search(value)
        ids = [f"<{bare.group(0)}>"] if bare else []
    return list(dict.fromkeys(ids))[:MAX_IDS]


def first_id(value: str) -> str:
    ids = message_ids(value)
    return ids[0] if ids else ""


_EMAIL = re.compile(
    r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})+"
)


def clean_email(value: str) -> str:
    """An address trimmed and lower-cased whole (as leads store them), or '' when it is not
    one."""
    value = value.strip().strip("<>").strip().lower()
    if "@" not in value or len(value) > 254 or not value.isprintable() or " " in value:
        return ""
    return value


def parse_address(value: str) -> tuple[str, str]:
    """(display name, address) of a From-like header value; ('', '') when there is none."""
    if not value:
        return "", ""
    try:
        name, addr = email.utils.parseaddr(value)
    except Exception:  # deep comment nesting makes the stdlib recurse
        name, addr = "", ""
    addr = clean_email(addr)
    if not addr:
        found = _EMAIL.search(value)
        addr = clean_email(found.group(0)) if found else ""
    name = _one_line(decode_words(name)).strip("\"' ")
    return name[:200], addr


def address_list(value: str) -> list[str]:
    try:
        pairs = email.utils.getaddresses([value])
    except Exception:
        pairs = []
    found = [clean_email(addr) for _, addr in pairs]
    if not any(found):
        found = [clean_email(m) for m in _EMAIL.findall(value)]
    return [a for a in found if a]


def _one_line(value: str) -> str:
    """Whitespace runs as one space, control characters dropped."""
    return " ".join(re.sub(r"[\x00-\x08\x0e-\x1f\x7f]", "", value).split())


def parse_date(value: str, tz: tzinfo) -> datetime | None:
    if not value.strip():
        return None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except Exception:
        return None
    if when is None:
        return None
    if when.tzinfo is None:  # "-0000" is UTC with the sender's zone unknown (RFC 5322)
        when = when.replace(tzinfo=UTC if re.search(r"-0000\b", value) else tz)
    return when


def unfold(value: str) -> str:
    return re.sub(r"\r?\n[ \t]*", " ", value).strip()


def undo_surrogates(value: str) -> str:
    """Header bytes the parser kept as surrogate escapes (raw UTF-8 or Latin-1 in a header)
    decoded, and NUL characters dropped: what this package returns can be stored."""
    if any("\ud800" <= c <= "\udfff" for c in value):
        try:
            data = value.encode("ascii", "surrogateescape")
        except UnicodeEncodeError:  # not from bytes: other characters beside the escapes
            data = value.encode("utf-8", "replace")
        value = decode_bytes(data, "utf-8")
    return value.replace("\x00", "")


_WORD = re.compile(r"=\?([^?\s]{1,60})\?([QqBb])\?([^?\s]*)\?=")
_BETWEEN_WORDS = re.compile(r"(\?=)\s+(=\?)")


def decode_words(value: str) -> str:
    """RFC 2047 encoded words decoded; an unknown charset or a broken word falls back to
    UTF-8, then Windows-1252, and never raises."""
    if "=?" not in value:
        return value
    value = _BETWEEN_WORDS.sub(r"\1\2", value)  # space between two encoded words is dropped

    def word(m: re.Match) -> str:
        charset, enc, text = m.group(1).split("*")[0], m.group(2).upper(), m.group(3)
        try:
            if enc == "B":
                data = base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
            else:
                data = quopri.decodestring(text.encode("ascii", "replace"), header=True)
        except (binascii.Error, ValueError):
            return m.group(0)
        return decode_bytes(data, charset)

    return _WORD.sub(word, value)


# --- charsets and text -----------------------------------------------------------------------

# Mail labelled Latin-1 or ASCII is usually Windows-1252 (smart quotes, the euro sign), as
# browsers also assume (WHATWG Encoding).
_LATIN1 = {"iso-8859-1", "iso8859-1", "latin-1", "latin1", "l1", "us-ascii", "ascii", "cp819"}


def decode_bytes(data: bytes, charset: str | None) -> str:
    """``data`` as text in its declared charset when that works, else UTF-8, else
    Windows-1252 with replacement characters. Never raises."""
    name = (charset or "").strip().strip("\"'").lower()[:40]
    tries = ["cp1252", "latin-1"] if name in _LATIN1 else ([name] if name else [])
    tries += ["utf-8"]
    for codec in tries:
        try:  # a non-text codec (rot13, base64) raises LookupError here
            return data.decode(codec)
        except (LookupError, UnicodeDecodeError, ValueError, TypeError):
            continue
    return data.decode("cp1252", errors="replace")


def content_type(part: Message) -> str:
    try:
        return part.get_content_type()
    except Exception:
        return "text/plain"


def is_attachment(part: Message) -> bool:
    try:
        return (part.get_content_disposition() or "") == "attachment"
    except Exception:
        return False


def payload_of(part: Message):
    """``part.get_payload()``: a list of parts, a string, or None when the stdlib fails on a
    broken part."""
    try:
        return part.get_payload()
    except Exception:
        return None


def iter_parts(msg: Message):
    """The MIME tree depth first, at most MAX_PARTS parts and MAX_DEPTH levels, without
    descending into ``message/*`` parts (an attached message is not this message's text)."""
    stack = [(msg, 0)]
    seen = 0
    while stack and seen < MAX_PARTS:
        part, depth = stack.pop()
        seen += 1
        yield part
        ctype = content_type(part)
        if depth >= MAX_DEPTH or not ctype.startswith("multipart/"):
            continue
        payload = payload_of(part)
        if isinstance(payload, list):
            children = [p for p in payload[:MAX_PARTS] if isinstance(p, Message)]
            stack.extend((p, depth + 1) for p in reversed(children))


def part_text(part: Message) -> str:
    """A text part's content decoded (transfer encoding and charset), capped."""
    try:
        data = part.get_payload(decode=True)
    except Exception:
        return ""
    if not isinstance(data, bytes):
        return ""
    try:
        charset = part.get_content_charset()
    except Exception:
        charset = None
    limit = MAX_HTML_CHARS if content_type(part) == "text/html" else MAX_TEXT_CHARS
    return decode_bytes(data[: limit * 2], charset)[:limit]


def body_text(msg: Message) -> str:
    """The message's text: the first inline text/plain part that is not blank; else the first
    text/html part converted to text. '' when there is neither."""
    html = None
    for part in iter_parts(msg):
        ctype = content_type(part)
        if ctype == "text/plain" and not is_attachment(part):
            text = normalise_text(part_text(part))
            if text.strip():  # some clients send an empty plain part beside the HTML
                return text
        if ctype == "text/html" and html is None and not is_attachment(part):
            html = part
    if html is not None:
        return normalise_text(html_to_text(part_text(html)))
    return ""


def normalise_text(text: str) -> str:
    """Line ends as ``\\n``, no-break spaces and zero-width characters as plain space or
    nothing, NUL characters dropped (PostgreSQL refuses them in text), capped."""
    text = text[:MAX_TEXT_CHARS].replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    text = text.replace("\u00a0", " ").replace("\u202f", " ")
    return re.sub("[\u200b\u200c\u200d\u2060\ufeff]", "", text)
