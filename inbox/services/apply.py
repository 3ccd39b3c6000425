"""Applying one message read from a mailbox: stored (``InboundMessage``), its outcome applied
through the cadences services, and its folder's cursor moved past it, all in one transaction.
A message is so processed exactly once: a second pass (this process or another) finds the
cursor past it, and a copy of it at another place of the mailbox (a folder rebuilt under a new
UIDVALIDITY, a copy filed twice) is found by its Message-ID.

The outcomes, each with its own timeline entry:

- a human reply: ``lead_record_reply`` (the cadence stops, the lead is engaged, the SDR is
  told), its text without the quoted history on the timeline; a colleague's (matched by the
  sender's domain): ``lead_record_colleague_reply``;
- an automatic reply: ``lead_record_auto_reply`` (paused until the person is back);
- a permanent delivery failure: ``email_record_bounce`` (suppressed, stopped as bounced); a
  temporary one: ``email_record_soft_bounce`` (counted, the email sent again later); a delay
  report (the server still tries): recorded only;
- an opt-out by reply: ``email_record_unsubscribe``, for the sender and the lead's prospect;
- the SDR's own email in the thread (the Sent folder): ``lead_record_sdr_email``;
- anything else about the lead (a newsletter from the prospect, say): stored, nothing more.
"""

import logging
from dataclasses import dataclass, field
from datetime import date

from django.db import transaction
from django.utils.translation import gettext as _

from cadences.services import (
    email_record_bounce,
    email_record_soft_bounce,
    email_record_unsubscribe,
    lead_record_auto_reply,
    lead_record_colleague_reply,
    lead_record_reply,
    lead_record_sdr_email,
)
from leads.models import EventKind, Lead
from leads.normalize import normalize_email
from leads.services import lead_event_record
from mailboxes.models import Mailbox
from sdrcrm import clock
from sdrcrm.errors import DomainError

from ..envelope import Envelope
from ..matching import Match
from ..models import FolderCursor, InboundMessage, MessageKind
from .leases import lease_held

log = logging.getLogger(__name__)

MAX_TEXT = 20_000


class LeaseLost(Exception):
    """Another process holds the mailbox now: this one stops syncing it."""


@dataclass(frozen=True)
class Incoming:
    """One message of a folder, classified and matched to a lead."""

    folder: str
    uidvalidity: int
    uid: int
    envelope: Envelope
    kind: str  # a MessageKind
    match: Match
    text: str = ""  # a reply without its quoted history
    return_on: date | None = None  # an automatic reply's first day back
    bounce_status: str = ""  # e.g. "5.1.1"
    # True: permanent (5.x.x); False: temporary (4.x.x, the server gave up); None: a delay
    # report (the server is still trying).
    bounce_permanent: bool | None = None
    bounce_recipients: tuple[str, ...] = field(default_factory=tuple)


def message_apply(*, mailbox: Mailbox, holder: str, message: Incoming) -> InboundMessage | None:
    """Store and apply ``message`` and move its folder's cursor past it, once. Returns the
    stored row; None when it was processed before (the cursor is past it, or its Message-ID
    was stored for this mailbox). Raises ``LeaseLost`` when ``holder`` (if given) no longer
    holds the mailbox: nothing is then written."""
    now = clock.now()
    env = message.envelope
    with transaction.atomic():
        cursor = (
            FolderCursor.objects.select_for_update()
            .filter(mailbox_id=mailbox.pk, folder=message.folder)
            .first()
        )
        if (
            cursor is None
            or cursor.uidvalidity != message.uidvalidity
            or cursor.last_uid >= message.uid
        ):
            return None
        if holder and not lease_held(mailbox_id=mailbox.pk, holder=holder, now=now):
            raise LeaseLost(mailbox.pk)
        cursor.last_uid, cursor.updated_at = message.uid, now
        cursor.save(update_fields=["last_uid", "updated_at"])
        if (
            env.message_id
            and InboundMessage.objects.filter(
                mailbox_id=mailbox.pk, message_id=env.message_id[:998]
            ).exists()
        ):
            return None
        row = InboundMessage.objects.create(
            mailbox_id=mailbox.pk,
            folder=message.folder,
            uidvalidity=message.uidvalidity,
            uid=message.uid,
            message_id=env.message_id[:998],
            in_reply_to=env.parent_id[:998],
            from_email=env.from_email[:254],
            subject=env.subject[:998],
            sent_at=env.sent_at,
            kind=message.kind,
            lead_id=message.match.lead_id,
            touch_id=message.match.touch_id,
            matched_by=message.match.matched_by,
            text=message.text[:MAX_TEXT],
            return_on=message.return_on,
            bounce_status=message.bounce_status[:20],
            bounce_recipient=(message.bounce_recipients[:1] or ("",))[0][:254],
            processed_at=now,
        )
        try:
            with transaction.atomic():
                _apply(mailbox, message, row)
        except DomainError as exc:  # the lead went meanwhile, say: stored, not applied
            log.warning("Message %s of mailbox %s not applied: %s", row.pk, mailbox.pk, exc)
    return row


def _apply(mailbox: Mailbox, message: Incoming, row: InboundMessage) -> None:
    match, kind, text = message.match, message.kind, message.text
    payload = {"matched_by": match.matched_by, "inbound_message_id": row.pk}
    if kind == MessageKind.REPLY:
        if match.matched_by == "domain":
            body = _("From %(sender)s:") % {"sender": row.from_email} + "\n" + text
            lead_record_colleague_reply(lead_id=match.lead_id, body=body, payload=payload)
        else:
            lead_record_reply(
                lead_id=match.lead_id, actor=None, body=text, source="mailbox", payload=payload
            )
    elif kind == MessageKind.AUTO_REPLY:
        lead_record_auto_reply(
            lead_id=match.lead_id, return_on=message.return_on, body=text, payload=payload
        )
    elif kind == MessageKind.BOUNCE:
        _bounce(message, row, payload)
    elif kind == MessageKind.OPT_OUT:
        _opt_out(message, row, payload)
    elif kind == MessageKind.SDR_REPLY:
        lead_record_sdr_email(
            lead_id=match.lead_id, sdr=mailbox.user, live=match.live, body=text, payload=payload
        )


def _lead(lead_id: int) -> Lead:
    return Lead.objects.select_related("prospect").get(pk=lead_id)


def _bounce(message: Incoming, row: InboundMessage, payload: dict) -> None:
    lead = _lead(message.match.lead_id)
    addresses = [a for a in map(normalize_email, message.bounce_recipients) if a][:5]
    if not addresses and lead.prospect.email:
        addresses = [lead.prospect.email]
    status = message.bounce_status
    note = _("delivery failure %(status)s read from the mailbox") % {"status": status or "?"}
    payload = {**payload, "status": status, "touch_id": message.match.touch_id}
    for address in addresses:
        if message.bounce_permanent:
            email_record_bounce(email=address, note=note)
            entry = {"permanent": True}
            body = _("%(address)s: permanent delivery failure (%(status)s)")
        elif message.bounce_permanent is False:
            result = email_record_soft_bounce(
                email=address, touch_id=message.match.touch_id, note=note
            )
            entry = {
                "permanent": result.permanent,
                "count": result.count,
                "retry_at": result.retry_at.isoformat() if result.retry_at else None,
            }
            body = (
                _("%(address)s: temporary delivery failure (%(status)s), the limit reached")
                if result.permanent
                else _("%(address)s: temporary delivery failure (%(status)s)")
            )
        else:
            entry = {"permanent": False}
            body = _("%(address)s: delivery delayed (%(status)s); the server still tries")
        lead_event_record(
            lead=lead,
            kind=EventKind.BOUNCE,
            actor=None,
            at=row.processed_at,
            body=body % {"address": address, "status": status or "?"},
            payload={**payload, **entry},
        )


def _opt_out(message: Incoming, row: InboundMessage, payload: dict) -> None:
    lead = _lead(message.match.lead_id)
    addresses = {normalize_email(message.envelope.from_email)}
    if message.match.matched_by in ("thread", "sender"):
        addresses.add(normalize_email(lead.prospect.email))
    for address in sorted(a for a in addresses if a):
        email_record_unsubscribe(email=address, note=_("opt-out by reply"))
    lead_event_record(
        lead=lead,
        kind=EventKind.OPT_OUT,
        actor=None,
        at=row.processed_at,
        body=message.text,
        payload=payload,
    )
