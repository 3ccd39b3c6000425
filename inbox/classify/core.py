"""``classify``: one raw message in, what it is and what it says out."""

import logging
import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from zoneinfo import ZoneInfo

from .auto_reply import auto_reply_reason, is_mailing
from .bounce import BounceInfo, notification_text, parse_bounce
from .dates import return_date
from .message import (
    Headers,
    body_text,
    content_type,
    headers_complete,
    parse_message,
    raw_header,
    read_headers,
)
from .opt_out import is_opt_out, subject_is_opt_out
from .reply import reply_text

logger = logging.getLogger(__name__)

REPLY, AUTO_REPLY, BOUNCE, OPT_OUT, OTHER = "reply", "auto_reply", "bounce", "opt_out", "other"
KINDS = (REPLY, AUTO_REPLY, BOUNCE, OPT_OUT, OTHER)
_MAX_NOTIFICATION = 4000


@dataclass(frozen=True)
class Classified:
    kind: str  # one of KINDS
    message_id: str = ""  # "<…>"
    in_reply_to: str = ""  # "<…>"; for a bounce, the Message-ID of the message that bounced
    references: list[str] = field(default_factory=list)  # "<…>" each, in order
    from_email: str = ""  # lower-cased
    from_name: str = ""
    subject: str = ""
    sent_at: datetime | None = None  # aware; a Date without a zone is read in ``tz``
    text: str = ""  # see the package docstring
    return_on: date | None = None  # an automatic reply's first day back
    bounce: BounceInfo | None = None
    opt_out: bool = False
    to_emails: list[str] = field(default_factory=list)  # To and Cc, lower-cased
    reason: str = ""  # why this kind: "auto-submitted", "subject", "body", "mailing", …


def _from_headers(head: Headers, **values) -> Classified:
    return Classified(
        message_id=head.message_id,
        in_reply_to=head.in_reply_to,
        references=list(head.references),
        from_email=head.from_email,
        from_name=head.from_name,
        subject=head.subject,
        sent_at=head.sent_at,
        to_emails=list(head.to_emails),
        **values,
    )


def _subject_date(subject: str, today: date) -> date | None:
    """A date in the subject, unless the subject is a prefix and the original subject
    ("Automatisk svar: Invitasjon til webinar 12. mars" names the product's own date)."""
    if re.match(r"^\W{0,3}[^:]{0,40}:", subject):
        return None
    return return_date(subject, today)


def classify(raw: bytes, *, today: date, tz: str = "Europe/Oslo") -> Classified:
    """What ``raw`` (a message as the IMAP server holds it) is; never raises on a broken
    message (an unknown ``tz`` name is the caller's error and raises). Rules in the package
    docstring."""
    zone = ZoneInfo(tz)
    msg = parse_message(raw)
    if msg is None:
        return Classified(kind=OTHER, reason="unreadable")
    head = read_headers(msg, zone)
    if not headers_complete(raw) or (raw_header(msg, "From") is None and not head.message_id):
        return _from_headers(head, kind=OTHER, reason="unreadable")
    try:
        return _classify(msg, head, today)
    except Exception:  # the last guard of "never raises": a bug on a message nobody foresaw
        logger.warning("inbox.classify: unreadable message %s", head.message_id, exc_info=True)
        return _from_headers(head, kind=OTHER, reason="unreadable")


def _classify(msg, head: Headers, today: date) -> Classified:
    bounce = parse_bounce(msg)
    if bounce is not None:
        found = _from_headers(
            head,
            kind=BOUNCE,
            text=notification_text(msg)[:_MAX_NOTIFICATION].strip(),
            bounce=bounce,
            reason="bounce",
        )
        original = bounce.original_message_id
        if not original:
            return found
        # The bounced message's id is what the bounce answers: it matches the touch.
        references = list(dict.fromkeys([*head.references, original]))
        return replace(found, in_reply_to=original, references=references)
    text = body_text(msg)
    if content_type(msg) == "multipart/report":  # read receipt, abuse report, success DSN
        return _from_headers(head, kind=OTHER, text=reply_text(text), reason="report")
    if is_mailing(msg):
        return _from_headers(head, kind=OTHER, text=reply_text(text), reason="mailing")
    new = reply_text(text)
    auto = auto_reply_reason(msg, text)
    if auto:
        back = return_date(new, today) or _subject_date(head.subject, today)
        return _from_headers(head, kind=AUTO_REPLY, text=new, return_on=back, reason=auto)
    if is_opt_out(new) or subject_is_opt_out(head.subject):
        return _from_headers(head, kind=OPT_OUT, text=new, opt_out=True, reason="opt-out")
    return _from_headers(head, kind=REPLY, text=new, reason="reply")
