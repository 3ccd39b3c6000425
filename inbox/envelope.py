"""What the sync reads of a message before deciding to fetch its body: the header fields below,
fetched for every new message (read with ``inbox.classify``'s bounded parser).

Pure (no database). Nothing raises on broken input: a field that cannot be read is empty.
"""

from dataclasses import dataclass
from datetime import UTC, datetime

from .classify.message import parse_message, raw_header, read_headers

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


def read_envelope(head: bytes) -> Envelope:
    """The envelope of a message from its header block (or the whole message)."""
    msg = parse_message(head)
    if msg is None:
        return Envelope()
    found = read_headers(msg, UTC)
    content_type = (raw_header(msg, "Content-Type") or "").lower()
    return_path = (raw_header(msg, "Return-Path") or "").replace(" ", "")
    return Envelope(
        message_id=found.message_id,
        in_reply_to=found.in_reply_to,
        references=tuple(found.references),
        from_email=found.from_email,
        recipients=tuple(found.to_emails),
        subject=found.subject,
        sent_at=found.sent_at,
        maybe_report=(
            content_type.startswith("multipart/report")
            or found.from_email.partition("@")[0] in REPORTERS
            or return_path == "<>"
            or bool(raw_header(msg, "X-Failed-Recipients"))
        ),
    )
