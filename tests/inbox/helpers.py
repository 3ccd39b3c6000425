"""Messages as the prospects' servers write them, and what the inbox tests share."""

from datetime import datetime
from email.utils import format_datetime

from django.core import mail

from cadences.models import Touch
from cadences.services import touch_dispatch_due
from leads.models import LeadEvent
from tests.cadences.helpers import enroll


def sent_first_email(crew, cadence, **lead_kwargs):
    """A lead of the crew's SDR enrolled in ``cadence`` whose first email went out; returns
    (lead, enrollment, touch, its Message-ID)."""
    lead = crew.lead(**lead_kwargs)
    enrollment = enroll(crew.sdr, lead, cadence)
    assert touch_dispatch_due().sent == 1
    message_id = mail.outbox[-1].extra_headers["Message-ID"]
    touch = Touch.objects.filter(enrollment=enrollment).order_by("position").first()
    return lead, enrollment, touch, message_id


def message(
    *,
    sender: str,
    to: str,
    subject: str = "Re: Hello",
    body: str = "Sounds good, call me on Thursday.",
    message_id: str,
    in_reply_to: str = "",
    references: str = "",
    date: datetime,
    headers: dict | None = None,
) -> bytes:
    lines = [
        f"From: {sender}",
        f"To: {to}",
        f"Subject: {subject}",
        f"Date: {format_datetime(date)}",
        f"Message-ID: {message_id}",
    ]
    if in_reply_to:
        lines.append(f"In-Reply-To: {in_reply_to}")
    if references or in_reply_to:
        lines.append(f"References: {references or in_reply_to}")
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    lines += ["MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8", "", body, ""]
    return "\r\n".join(lines).encode()


def delivery_report(
    *,
    reporter: str,
    to: str,
    recipient: str,
    status: str,
    original_id: str,
    date: datetime,
    action: str = "failed",
    message_id: str = "<dsn-1@mx.prospect.example>",
) -> bytes:
    """An RFC 3464 report, as Postfix writes them: the returned message's headers included."""
    boundary = "report-boundary-1"
    return (
        f"From: Mail Delivery System <{reporter}>\r\n"
        f"To: {to}\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        f"Date: {format_datetime(date)}\r\n"
        f"Message-ID: {message_id}\r\n"
        "Auto-Submitted: auto-replied\r\n"
        "MIME-Version: 1.0\r\n"
        f'Content-Type: multipart/report; report-type=delivery-status; boundary="{boundary}"\r\n'
        "\r\n"
        f"--{boundary}\r\n"
        "Content-Type: text/plain; charset=us-ascii\r\n\r\n"
        "I'm sorry to have to inform you that your message could not be delivered to "
        f"{recipient}.\r\n"
        f"\r\n--{boundary}\r\n"
        "Content-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.prospect.example\r\n\r\n"
        f"Final-Recipient: rfc822; {recipient}\r\n"
        f"Action: {action}\r\n"
        f"Status: {status}\r\n"
        f"Diagnostic-Code: smtp; 550 {status} user unknown\r\n"
        f"\r\n--{boundary}\r\n"
        "Content-Type: text/rfc822-headers\r\n\r\n"
        f"From: SDR <{to}>\r\n"
        f"To: {recipient}\r\n"
        "Subject: Hello\r\n"
        f"Message-ID: {original_id}\r\n"
        f"\r\n--{boundary}--\r\n"
    ).encode()


def kinds(lead) -> list[str]:
    return list(LeadEvent.objects.filter(lead=lead).order_by("pk").values_list("kind", flat=True))
