"""A minimal stand-in on the sync's branch (i19-sync) for the classification that branch
i19-classify writes in full (Norwegian, Swedish, Danish, German texts, return dates, the
providers' bounce formats, reply text without quoted history): on merge, take i19-classify's
package. Same entry point: ``classify(raw, *, today, tz) -> Classified``."""

import email
import email.policy
import re
from dataclasses import dataclass
from datetime import date, tzinfo

_AUTO_SUBJECT = re.compile(r"out of office|automatic reply|automatisk svar|fraværsmelding", re.I)
_OPT_OUT = re.compile(r"\b(unsubscribe|avmeld|ikke kontakt meg|ta meg av listen)\b", re.I)
_QUOTE_START = re.compile(r"^(>|On .+ wrote:|-----Original Message-----)", re.M)


@dataclass(frozen=True)
class Classified:
    kind: str  # reply, auto_reply, bounce, opt_out, other
    text: str = ""
    return_on: date | None = None
    bounce_status: str = ""
    bounce_recipients: tuple[str, ...] = ()
    bounce_action: str = ""  # failed, delayed


def _plain(msg) -> str:
    for part in msg.walk():
        if part.get_content_type() == "text/plain" and not part.is_attachment():
            try:
                return part.get_content()
            except (LookupError, ValueError):
                return ""
    return ""


def classify(raw: bytes, *, today: date, tz: tzinfo) -> Classified:
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    if msg.get_content_type() == "multipart/report":
        status, action, recipients = "", "", []
        for part in msg.walk():
            if part.get_content_type() == "message/delivery-status":
                for block in part.get_payload():
                    status = status or str(block.get("Status", "")).strip()
                    action = action or str(block.get("Action", "")).strip().lower()
                    final = str(block.get("Final-Recipient", ""))
                    if ";" in final:
                        recipients.append(final.split(";", 1)[1].strip().lower())
        return Classified(
            "bounce", bounce_status=status, bounce_recipients=tuple(recipients),
            bounce_action=action,
        )  # fmt: skip
    text = _plain(msg)
    quote = _QUOTE_START.search(text)
    text = (text[: quote.start()] if quote else text).strip()
    auto = str(msg.get("Auto-Submitted", "no")).strip().lower()
    if (
        (auto and auto != "no")
        or msg.get("X-Autoreply")
        or _AUTO_SUBJECT.search(str(msg.get("Subject", "")))
    ):
        return Classified("auto_reply", text=text)
    if _OPT_OUT.search(text[:500]):
        return Classified("opt_out", text=text)
    return Classified("reply", text=text)
