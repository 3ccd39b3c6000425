"""Delivery status notifications (bounces and delay warnings).

``parse_bounce(msg)`` reads, in this order:
1. an RFC 3464 report: a ``message/delivery-status`` part (or RFC 6533's
   ``message/global-delivery-status``), as Gmail, Microsoft 365, Postfix, Exim and sendmail
   send in ``multipart/report; report-type=delivery-status``. Its per-recipient fields give
   the action (failed, delayed), the status, the final recipient and the diagnostic code. A
   report in which no recipient failed or was delayed (delivered, relayed) is not a bounce;
2. a non-standard bounce: sent by a mailer daemon ("MAILER-DAEMON@", "postmaster@"…) or
   carrying ``X-Failed-Recipients``, or with a bounce subject ("Undeliverable:", "Undelivered
   Mail Returned to Sender", "Mail delivery failed", "failure notice", "Delivery Status
   Notification (Failure)", "Unzustellbar:", "Kan ikke leveres:"…), whose text says so ("This
   is a permanent error", "Address not found", "Delivery has failed", "I wasn't able to
   deliver", "has not yet been delivered"…). The status is the first ``x.y.z`` code in the
   text, else one made from the first SMTP reply code (``550`` → ``5.0.0``), else ``5.0.0``
   for a failure and ``4.0.0`` for a delay.

The status's class decides: ``permanent`` is a failure with a 5.x.x status; a 4.x.x status,
a delay warning included, is temporary. A report's generic status (``5.0.0``) is replaced by
the more precise code of the same class in its diagnostic ("550 5.1.1 …" → ``5.1.1``).
The bounced message's Message-ID comes from the attached ``message/rfc822`` or
``text/rfc822-headers`` part, Gmail's ``X-Original-Message-ID`` field, or the copy of the
message that plain-text bounces quote below their text.
"""

import email.utils
import re
from dataclasses import dataclass, field
from email.message import Message

from .message import (
    address_list,
    body_text,
    clean_email,
    content_type,
    first_id,
    header_text,
    iter_parts,
    parse_address,
    part_text,
    payload_of,
    raw_header,
    raw_headers,
    undo_surrogates,
    unfold,
)


@dataclass(frozen=True)
class BounceInfo:
    status: str  # "5.1.1"
    permanent: bool  # a failure with a 5.x.x status
    recipients: list[str] = field(default_factory=list)
    diagnostic: str = ""  # the remote server's answer, as the report gives it
    action: str = "failed"  # "failed" | "delayed"
    original_message_id: str = ""  # "<…>" of the message that bounced, "" when not found


_STATUS = re.compile(r"(?<![\d.])([45])\.(\d{1,3})\.(\d{1,3})(?!\d)(?!\.\d)")
_SMTP_CODE = re.compile(
    r"(?:said|response|returned|error|smtp|reply|code|answer)\W{0,20}?"
    r"(?<![\d.])([45]\d\d)(?=[ -]|$)",
    re.I | re.M,
)
_DAEMON = re.compile(
    r"^(?:mailer-daemon|mailer_daemon|mailerdaemon|mail-daemon|maildaemon|postmaster|mdaemon)$",
    re.I,
)
_FAIL_SUBJECT = re.compile(
    r"^\W{0,3}(?:undeliver(?:able|ed)|delivery status notification \(failure\)"
    r"|mail delivery failed|delivery (?:has )?failed|delivery failure|failure notice"
    r"|returned mail|mail system error|non[- ]?delivery|could not deliver|unzustellbar"
    r"|nicht zustellbar|kan ikke leveres|ikke levert|kunne ikke leveres|kunde inte levereras"
    r"|olevererbart|ej levererat|levering mislyktes|leveringsfeil)",
    re.I,
)
_DELAY_SUBJECT = re.compile(
    r"delivery status notification \(delay\)|delayed mail|warning: message .{0,60} delayed"
    r"|warning: could not send message|delivery delayed|mail delivery delayed"
    r"|zustellung verzögert|forsinket levering|levering forsinket|leverans försenad",
    re.I,
)
_FAIL_TEXT = re.compile(
    r"permanent error|failed permanently|permanent fatal|could not be delivered"
    r"|couldn't be delivered|couldn’t be delivered|wasn't delivered|wasn’t delivered"
    r"|was not delivered|delivery has failed|address not found|user unknown|unknown user"
    r"|no such user|does not exist|recipient not found|i wasn't able to deliver"
    r"|could not deliver|the following address(?:es|\(es\))? failed|undeliverable",
    re.I,
)
_DELAY_TEXT = re.compile(
    r"has not yet been delivered|not been delivered yet|still trying|will (?:keep|continue)"
    r" (?:trying|to try)|will retry|delivery attempts will continue|has been delayed|is delayed",
    re.I,
)
_COPY = re.compile(
    r"^.*(?:this is a copy of the message|below this line is a copy of the message"
    r"|-+ ?original message ?-+|original message headers|header of the original message"
    r"|undelivered message headers|original message follows|the original message was"
    r"|unsent message below|message headers follow|opprinnelige meldingshoder"
    r"|ursprungliga meddelandehuvuden|oprindelige meddelelseshoveder"
    r"|ursprüngliche nachrichtenkopfzeilen|originalnachrichtenkopfzeilen).*$",
    re.I | re.M,
)
_MAX_BLOCKS = 50


def _status_in(text: str, prefer: str) -> re.Match | None:
    first = None
    for m in _STATUS.finditer(text[:20_000]):
        if m.group(1) == prefer:
            return m
        first = first or m
    return first


def _fields(block: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    name = None
    for line in block.split("\n"):
        if line[:1] in (" ", "\t"):
            if name:
                fields[name] += " " + line.strip()
            continue
        key, sep, value = line.partition(":")
        key = key.strip().lower()
        name = key if sep and re.fullmatch(r"[a-z0-9-]{1,60}", key) and key not in fields else None
        if name:
            fields[name] = value.strip()
    return fields


def _report_blocks(part: Message) -> list[dict[str, str]]:
    """The field blocks of a delivery-status part (the stdlib parses message/delivery-status
    into one header block per message; other parts are read as text)."""
    payload = payload_of(part)
    if isinstance(payload, list):
        chunks = []
        for sub in payload[:_MAX_BLOCKS]:
            if not isinstance(sub, Message):
                continue
            head = "\n".join(
                f"{k}: {undo_surrogates(unfold(str(v))[:2000])}" for k, v in sub.raw_items()
            )
            body = payload_of(sub) if not sub.is_multipart() else ""
            if isinstance(body, str) and body.strip():
                head += "\n\n" + undo_surrogates(body)
            chunks.append(head)
        text = "\n\n".join(chunks)
    else:
        text = part_text(part)
    text = text.replace("\r\n", "\n")[:100_000]
    return [_fields(b) for b in re.split(r"\n[ \t]*\n", text)[:_MAX_BLOCKS] if b.strip()]


def _address(value: str) -> str:
    """'rfc822; kari@example.no' → 'kari@example.no'."""
    return clean_email(value.partition(";")[2] if ";" in value else value)


def _diagnostic(value: str) -> str:
    """A Diagnostic-Code without its type ("smtp;"), a multi-line SMTP reply as one line."""
    kind, sep, rest = value.partition(";")
    text = " ".join((rest if sep and len(kind) <= 20 else value).split())
    first = re.match(r"([45]\d\d)[ -](?:[245]\.\d{1,3}\.\d{1,3} )?", text)
    if first:
        again = re.compile(r"\s" + first.group(1) + r"[ -](?:[245]\.\d{1,3}\.\d{1,3}\s+)?")
        text = text[: first.end()] + again.sub(" ", text[first.end() :])
    return " ".join(text.split())[:500]


def _refine(status: str, diagnostic: str) -> str:
    """A generic status (5.0.0) made precise by the diagnostic's code of the same class."""
    if status and not status.endswith(".0.0"):
        return status
    found = _status_in(diagnostic, status[:1] or "5")
    if found and (not status or found.group(1) == status[0]):
        return found.group(0)
    if status:
        return status
    code = _SMTP_CODE.search("smtp; " + diagnostic)
    return f"{code.group(1)[0]}.0.0" if code else ""


def _original_id(msg: Message, text: str, per_message: dict[str, str]) -> str:
    for part in iter_parts(msg):
        ctype = content_type(part)
        if ctype in ("message/rfc822", "message/global"):
            inner = payload_of(part)
            if isinstance(inner, list) and inner and isinstance(inner[0], Message):
                found = first_id(raw_header(inner[0], "Message-ID") or "")
                if found:
                    return found
        elif ctype in ("text/rfc822-headers", "message/global-headers"):
            found = _id_in_headers(part_text(part))
            if found:
                return found
    found = first_id(per_message.get("x-original-message-id", ""))
    if found:
        return found
    copy = _COPY.search(text)
    return _id_in_headers(text[copy.start() :]) if copy else ""


def _id_in_headers(text: str) -> str:
    text = re.sub(r"\r?\n[ \t]+", " ", text[:200_000])
    m = re.search(r"^message-id:[ \t]*(.+)$", text, re.I | re.M)
    return first_id(m.group(1)) if m else ""


def notification_text(msg: Message) -> str:
    """The human-readable text of the report, without the copy of the message some append."""
    text = body_text(msg)
    copy = _COPY.search(text)
    return text[: copy.start()] if copy else text


def _recipients_from_text(msg: Message, text: str) -> list[str]:
    own = {parse_address(raw_header(msg, "From") or "")[1]}
    own.update(address_list(raw_header(msg, "To") or ""))
    # A Message-ID looks like an address; header lines quoted in the text are not recipients.
    text = re.sub(r"(?im)^\s*(?:message-id|in-reply-to|references):.*$", "", text)
    found = []
    for addr in re.findall(r"[\w.!#$%&'*+/=?^`{|}~-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63})+", text):
        addr = clean_email(addr)
        if addr and addr not in own and not _DAEMON.match(addr.split("@")[0]):
            found.append(addr)
    return list(dict.fromkeys(found))[:10]


def _failed_recipients(msg: Message) -> list[str]:
    found = []
    for value in raw_headers(msg, "X-Failed-Recipients"):
        found.extend(address_list(value))
    return list(dict.fromkeys(found))[:10]


def _from_report(msg: Message, reports: list[Message]) -> BounceInfo | None:
    blocks = [b for part in reports for b in _report_blocks(part)]
    per_message = next((b for b in blocks if "reporting-mta" in b or "arrival-date" in b), {})
    entries = []
    for block in blocks:
        if not ({"action", "final-recipient", "status"} & block.keys()):
            continue
        action = block.get("action", "").split()[0].lower() if block.get("action") else ""
        status = _status_in(block.get("status", ""), "5")
        if not action and status:
            action = "failed" if status.group(1) == "5" else "delayed"
        if action in ("failed", "delayed"):
            entries.append((action, status.group(0) if status else "", block))
    if not entries:
        return None  # delivered, relayed or expanded: not a bounce
    action = "failed" if any(a == "failed" for a, _, _ in entries) else "delayed"
    chosen = [(s, b) for a, s, b in entries if a == action]
    status, block = chosen[0]
    diagnostic = _diagnostic(block.get("diagnostic-code", ""))
    status = _refine(status, diagnostic) or ("5.0.0" if action == "failed" else "4.0.0")
    recipients = [
        r
        for r in dict.fromkeys(
            _address(b.get("final-recipient", "")) or _address(b.get("original-recipient", ""))
            for _, b in chosen
        )
        if r
    ]
    notification = notification_text(msg)
    recipients = recipients or _failed_recipients(msg) or _recipients_from_text(msg, notification)
    return BounceInfo(
        status=status,
        permanent=action == "failed" and status.startswith("5"),
        recipients=recipients[:10],
        diagnostic=diagnostic,
        action=action,
        original_message_id=_original_id(msg, body_text(msg), per_message),
    )


def _from_daemon(msg: Message) -> bool:
    """Sent by a mailer daemon, with or without a domain ("<MAILER-DAEMON>")."""
    try:
        addr = email.utils.parseaddr(raw_header(msg, "From") or "")[1]
    except Exception:
        return False
    return bool(_DAEMON.match(addr.split("@")[0].strip()))


def _from_text(msg: Message) -> BounceInfo | None:
    subject = header_text(msg, "Subject")
    daemon = _from_daemon(msg) or bool(raw_header(msg, "X-Failed-Recipients"))
    notification = notification_text(msg)
    note = notification[:20_000]
    delay_text = bool(_DELAY_TEXT.search(note)) and not _FAIL_TEXT.search(note)
    delayed = bool(_DELAY_SUBJECT.search(subject)) or (
        not _FAIL_SUBJECT.match(subject) and delay_text
    )
    failed = bool(_FAIL_SUBJECT.match(subject)) or bool(_FAIL_TEXT.search(note))
    says_so = delayed or failed
    subject_says = bool(_FAIL_SUBJECT.match(subject) or _DELAY_SUBJECT.search(subject))
    text_says = bool(_FAIL_TEXT.search(note) or _DELAY_TEXT.search(note))
    if not ((daemon and says_so) or (subject_says and text_says)):
        return None
    action = "delayed" if delayed else "failed"
    prefer = "4" if delayed else "5"
    found = _status_in(note, prefer)
    code = None if found else _SMTP_CODE.search(note)
    if found:
        status = found.group(0)
    elif code:
        status = f"{code.group(1)[0]}.0.0"
    else:
        status = f"{prefer}.0.0"
    diagnostic = ""
    hit = found or code
    if hit:
        start = note.rfind("\n", 0, hit.start()) + 1
        stop = note.find("\n", hit.end())
        diagnostic = " ".join(note[start : stop if stop >= 0 else None].split())[:500]
    recipients = _failed_recipients(msg) or _recipients_from_text(msg, note)
    return BounceInfo(
        status=status,
        permanent=action == "failed" and status.startswith("5"),
        recipients=recipients,
        diagnostic=diagnostic,
        action=action,
        original_message_id=_original_id(msg, body_text(msg), {}),
    )


def parse_bounce(msg: Message) -> BounceInfo | None:
    """The delivery failure or delay ``msg`` reports, or None when it is not a bounce (rules
    in the module docstring)."""
    reports = [
        part
        for part in iter_parts(msg)
        if content_type(part) in ("message/delivery-status", "message/global-delivery-status")
    ]
    if reports:
        return _from_report(msg, reports)
    return _from_text(msg)
