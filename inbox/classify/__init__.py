"""Reading one message from an SDR's mailbox: what it is (a person's reply, an automatic
reply, a bounce, an opt-out, or something else) and what it says. Pure functions over the
raw bytes: no database, no settings, no network; the sync (``inbox``) decides what each
outcome does.

API
---
``classify(raw: bytes, *, today: date, tz: str = "Europe/Oslo") -> Classified``
    ``raw`` is the message as the IMAP server holds it (RFC 5322 bytes). ``today`` anchors
    return dates written without a year; ``tz`` is the zone of a ``Date`` header without
    one. Never raises on a broken message: what cannot be read is kind "other" with reason
    "unreadable" (a message cut inside its headers, garbage, no From and no Message-ID).

``Classified`` (a frozen dataclass):
    kind          "reply" | "auto_reply" | "bounce" | "opt_out" | "other"
    message_id, in_reply_to
                  "<…>" ids ('' when absent); for a bounce, ``in_reply_to`` is the Message-ID
                  of the message that bounced (from the attached copy), so it matches a touch
    references    list of "<…>" ids in order (a bounce's original id appended)
    from_email    lower-cased address ('' when none); from_name its display name
    to_emails     the To and Cc addresses, lower-cased
    subject       decoded, one line
    sent_at       aware datetime from ``Date``, or None
    text          reply / opt_out: the new text (``reply_text``); auto_reply: its text,
                  likewise stripped; bounce: the report's human-readable text (not the copy
                  of the message); other: the new text, if any
    return_on     auto_reply only: the FIRST DAY THE PERSON IS BACK (``return_date``), or
                  None when the text names none ("til og med 3. august" → 4 August;
                  "tilbake 3. august" → 3 August)
    bounce        ``BounceInfo(status "5.1.1", permanent, recipients, diagnostic, action
                  "failed"|"delayed", original_message_id)`` for a bounce, else None
    opt_out       True for kind "opt_out"
    reason        why: "bounce", "report", "mailing", "auto-submitted", "precedence",
                  "x-auto-response-suppress", "x-ms-exchange-inbox-rules-loop", "x-autoreply",
                  "subject", "body", "opt-out", "reply", "unreadable"

The pieces, usable alone:
    ``parse_message(raw) -> EmailMessage | None``      bounded MIME parse (``message``)
    ``read_headers(msg, tz) -> Headers``                ids, addresses, subject, date
    ``body_text(msg) -> str``                           text/plain, else HTML as text
    ``reply_text(text) -> str``                         without history and signature
    ``return_date(text, today) -> date | None``         first day back (``dates``)
    ``parse_bounce(msg) -> BounceInfo | None``          RFC 3464 and plain bounces
    ``is_auto_reply(msg, text=None) -> bool``           headers, subject, body (``auto_reply``)
    ``is_opt_out(text) -> bool``                        the conservative rule (``opt_out``)

Order of the decision: a bounce (delivery report or plain bounce) → another report (read
receipt, success notice, abuse report: "other") → a mailing (List-Id, List-Unsubscribe,
Precedence: list: "other") → an automatic reply → an opt-out (in the new text, or a subject
that is only "Unsubscribe"/"STOP") → a reply. Each module's docstring gives its rules.
"""

from .auto_reply import auto_reply_reason, is_auto_reply, is_mailing
from .bounce import BounceInfo, parse_bounce
from .core import AUTO_REPLY, BOUNCE, KINDS, OPT_OUT, OTHER, REPLY, Classified, classify
from .dates import return_date
from .message import Headers, body_text, message_ids, parse_message, read_headers
from .opt_out import is_opt_out, subject_is_opt_out
from .reply import reply_text, split_history

__all__ = [
    "AUTO_REPLY",
    "BOUNCE",
    "KINDS",
    "OPT_OUT",
    "OTHER",
    "REPLY",
    "BounceInfo",
    "Classified",
    "Headers",
    "auto_reply_reason",
    "body_text",
    "classify",
    "is_auto_reply",
    "is_mailing",
    "is_opt_out",
    "message_ids",
    "parse_bounce",
    "parse_message",
    "read_headers",
    "reply_text",
    "return_date",
    "split_history",
    "subject_is_opt_out",
]
