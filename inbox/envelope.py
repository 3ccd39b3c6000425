"""What the sync reads of a message before deciding to fetch its body: the header fields below,
fetched for every new message, and the ids a delivery report quotes of the message it returns.

Pure functions over bytes (no database). Nothing raises on broken input: a field that cannot be
read is empty.
"""

import email
import email.header
import email.policy
import email.utils
import re
from dataclasses import dataclass
from datetime import datetime

# The header fields fetched for every new message (IMAP BODY.PEEK[HEADER.FIELDS (...)]).
FIELDS = (
    "FROM",
    "TO",
    "CC",
    "MESSAGE-ID",
    "IN-REPLY-TO",
    "REFERENCES",
    "SUBJECT",
    "DATE",
    "CONTENT-TYPE",
    "RETURN-PATH",
    "X-FAILED-RECIPIENTS",
)
# Who sends delivery reports (the local part of the From address).
REPORTERS = frozenset("mailer-daemon mailerdaemon mail-daemon postmaster mdaemon".split())
_ID = re.compile(r"<([^<>\s]{1,900})>")
MAX_IDS = 100


@dataclass(frozen=True)
class Envelope:
    message_id: str = ""
    in_reply_to: str = ""
    references: tuple[str, ...] = ()
    from_email: str = ""
    recipients: tuple[str, ...] = ()  # To and Cc
    subject: str = ""
    sent_at: datetime | None = None
    # A delivery report, by its look: a report content type, a daemon sender, a null
    # return path or the header some servers add. Its body says which message it returns.
    maybe_report: bool = False

    @property
    def thread_ids(self) -> tuple[str, ...]:
        """The ids of the messages this one answers, the nearest first."""
        ids = ([self.in_reply_to] if self.in_reply_to else []) + list(reversed(self.references))
        return tuple(dict.fromkeys(ids))

    @property
    def parent_id(self) -> str:
        return self.in_reply_to or (self.references[-1] if self.references else "")


def message_ids(value: str) -> tuple[str, ...]:
    """Every ``<id>`` in a header value, in order, duplicates dropped."""
    return tuple(dict.fromkeys(f"<{m}>" for m in _ID.findall(value or "")))[:MAX_IDS]


def _address(value: str) -> str:
    try:
        addr = email.utils.parseaddr(value or "")[1]
    except Exception:  # noqa: BLE001 - deep comment nesting makes the stdlib recurse
        return ""
    addr = addr.strip().strip("<>").lower()
    return addr if "@" in addr and len(addr) <= 254 and " " not in addr else ""


def _addresses(values: list[str]) -> tuple[str, ...]:
    try:
        pairs = email.utils.getaddresses(values)
    except Exception:  # noqa: BLE001
        return ()
    found = [a.strip().lower() for _, a in pairs]
    return tuple(dict.fromkeys(a for a in found if "@" in a and len(a) <= 254))[:50]


def _text(value) -> str:
    try:
        decoded = str(email.header.make_header(email.header.decode_header(str(value))))
    except Exception:  # noqa: BLE001 - an unknown charset, a broken encoded word
        decoded = str(value)
    return " ".join(decoded.split())


def _date(value: str) -> datetime | None:
    try:
        when = email.utils.parsedate_to_datetime(value)
    except Exception:  # noqa: BLE001
        return None
    return when if when is not None and when.tzinfo is not None else None


def read_envelope(head: bytes) -> Envelope:
    """The envelope of a message from its header block (or the whole message)."""
    try:
        msg = email.message_from_bytes(bytes(head), policy=email.policy.compat32)
    except Exception:  # noqa: BLE001 - a parser bug on garbage
        return Envelope()

    def get(name: str) -> str:
        try:
            value = msg.get(name)
        except Exception:  # noqa: BLE001
            return ""
        return " ".join(str(value).split()) if value is not None else ""

    def get_all(name: str) -> list[str]:
        try:
            return [str(v) for v in msg.get_all(name) or []]
        except Exception:  # noqa: BLE001
            return []

    from_email = _address(get("From"))
    content_type = get("Content-Type").lower()
    ids = message_ids(get("Message-ID"))
    replying = message_ids(get("In-Reply-To"))
    return Envelope(
        message_id=ids[0] if ids else "",
        in_reply_to=replying[0] if replying else "",
        references=message_ids(get("References")),
        from_email=from_email,
        recipients=_addresses(get_all("To") + get_all("Cc")),
        subject=_text(get("Subject"))[:998],
        sent_at=_date(get("Date")),
        maybe_report=(
            content_type.startswith("multipart/report")
            or from_email.partition("@")[0] in REPORTERS
            or get("Return-Path").replace(" ", "") == "<>"
            or bool(get("X-Failed-Recipients"))
        ),
    )


_RETURNED_TYPES = (
    "message/rfc822",
    "message/global",
    "text/rfc822-headers",
    "message/rfc822-headers",
    "message/global-headers",
)


def returned_ids(raw: bytes) -> tuple[str, ...]:
    """The Message-IDs a delivery report quotes of the message it returns (its
    ``message/rfc822`` or ``text/rfc822-headers`` part, RFC 3464), with the id the product
    puts in ``X-SDRCRM-Touch`` as ``<key@touch>``; some servers quote only a few headers."""
    try:
        msg = email.message_from_bytes(bytes(raw), policy=email.policy.compat32)
    except Exception:  # noqa: BLE001
        return ()
    found: list[str] = []
    for count, part in enumerate(msg.walk()):
        if count > 200:
            break
        if part.get_content_type() not in _RETURNED_TYPES:
            continue
        payload = part.get_payload()
        if isinstance(payload, list):  # message/rfc822: the returned message, parsed
            inner = payload[0] if payload else None
            headers = inner.items() if inner is not None else []
        else:
            try:
                data = part.get_payload(decode=True) or b""
                headers = email.message_from_bytes(data, policy=email.policy.compat32).items()
            except Exception:  # noqa: BLE001
                headers = []
        for name, value in headers:
            if name.lower() == "message-id":
                found.extend(message_ids(str(value)))
            elif name.lower() == "x-sdrcrm-touch":
                key = str(value).strip()
                if key:
                    found.append(f"<{key}@touch>")
    return tuple(dict.fromkeys(found))[:MAX_IDS]
