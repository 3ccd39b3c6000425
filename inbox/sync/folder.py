"""One pass over one folder of a mailbox, from its cursor.

1. Examine the folder. Never read (no cursor) or rebuilt (UIDVALIDITY changed): the read
   starts at the first message the server received since the day before the mailbox's last
   complete pass (before it was connected, for a new one). What came before was read under
   the old UIDVALIDITY; the overlap is found again by Message-ID and not processed twice.
2. List the UIDs above the cursor and take them in chunks, in UID order: fetch the header
   fields of the chunk, look them up in a few queries (``matching.Batch``), and fetch the
   body only of the messages whose headers say they may concern a lead.
3. Classify each such body, match it, and apply it (``message_apply``: stored, applied and
   the cursor moved past it in one transaction). The cursor moves past the rest at the end of
   the chunk. A pass stopped anywhere leaves the cursor after the last message processed:
   the next pass goes on from there, repeating and missing nothing.
"""

import imaplib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings

from mailboxes.models import Mailbox
from sdrcrm import clock

from ..classify import Classified, classify
from ..envelope import Envelope, read_envelope
from ..matching import Batch
from ..models import MessageKind
from ..selectors import Scope
from ..services import (
    Incoming,
    folder_cursor_advance,
    folder_cursor_get,
    folder_cursor_start,
    message_apply,
)
from . import imap as protocol

CHUNK = 200
KINDS = {k.value for k in MessageKind}


@dataclass
class FolderResult:
    folder: str
    seen: int = 0  # new messages listed
    fetched: int = 0  # bodies fetched
    applied: list[int] = field(default_factory=list)  # InboundMessage ids stored now
    restarted: bool = False  # no cursor, or a new UIDVALIDITY


def _owner_zone(mailbox: Mailbox) -> ZoneInfo:
    try:
        return ZoneInfo(mailbox.user.time_zone or settings.TIME_ZONE)
    except (ValueError, KeyError):
        return ZoneInfo(settings.TIME_ZONE)


def _start(imap: imaplib.IMAP4, mailbox: Mailbox, folder: str, state) -> int:
    """The cursor of a folder read from scratch: just before the first message received
    since the day before the last complete pass (or the connection)."""
    since = (mailbox.last_sync_at or mailbox.connected_at or clock.now()) - timedelta(days=1)
    found = protocol.uids_since(imap, since.astimezone(_owner_zone(mailbox)).date())
    if found:
        return found[0] - 1
    if state.uidnext:
        return state.uidnext - 1
    return protocol.last_uid(imap)


def outcome(classified: Classified, *, sent: bool) -> dict:
    """What ``message_apply`` takes of a classification. A message of the Sent folder is the
    SDR's own, whatever it looks like. A delay report (the server still tries) is neither
    permanent nor temporary: None."""
    kind = MessageKind.SDR_REPLY if sent else classified.kind
    if kind not in KINDS:
        kind = MessageKind.OTHER
    values = {
        "kind": kind,
        "text": classified.text or "",
        "return_on": classified.return_on if kind == MessageKind.AUTO_REPLY else None,
    }
    bounce = classified.bounce
    if kind == MessageKind.BOUNCE and bounce is not None:
        values.update(
            bounce_status=bounce.status or "",
            bounce_permanent=None if bounce.action == "delayed" else bool(bounce.permanent),
            bounce_recipients=tuple(bounce.recipients),
        )
    return values


def sync_folder(
    imap: imaplib.IMAP4,
    mailbox: Mailbox,
    folder: str,
    *,
    sent: bool,
    holder: str = "",
    stop: Callable[[], bool] = lambda: False,
) -> FolderResult:
    """Read ``folder`` of ``mailbox`` from its cursor (module docstring). Raises the IMAP
    errors (``protocol.IMAP_ERRORS``) and ``LeaseLost``; what was applied stays applied."""
    result = FolderResult(folder)
    state = protocol.examine(imap, folder)
    cursor = folder_cursor_get(mailbox_id=mailbox.pk, folder=folder)
    if cursor is None or cursor.uidvalidity != state.uidvalidity:
        result.restarted = True
        cursor = folder_cursor_start(
            mailbox_id=mailbox.pk,
            folder=folder,
            uidvalidity=state.uidvalidity,
            last_uid=_start(imap, mailbox, folder, state),
        )
    uids = protocol.uids_after(imap, cursor.last_uid)
    result.seen = len(uids)
    scope = Scope.of(mailbox)
    zone = _owner_zone(mailbox)
    for at in range(0, len(uids), CHUNK):
        if stop():
            break
        chunk = uids[at : at + CHUNK]
        heads = protocol.fetch_headers(imap, chunk)
        envelopes = {uid: read_envelope(head) for uid, (_received, head) in heads.items()}
        batch = Batch(scope, envelopes.values(), sent=sent)
        wanted = [uid for uid in chunk if uid in envelopes and batch.may_concern(envelopes[uid])]
        bodies = protocol.fetch_bodies(imap, wanted, settings.SDRCRM_SYNC_MAX_MESSAGE_BYTES)
        result.fetched += len(bodies)
        for uid in wanted:
            if uid not in bodies:
                continue  # expunged meanwhile
            if stop():
                return result
            incoming = _incoming(
                batch, state.uidvalidity, folder, uid, envelopes[uid], bodies[uid],
                heads[uid][0], zone, sent,
            )  # fmt: skip
            if incoming is not None:
                row = message_apply(mailbox=mailbox, holder=holder, message=incoming)
                if row is not None:
                    result.applied.append(row.pk)
        folder_cursor_advance(
            mailbox_id=mailbox.pk, folder=folder, uidvalidity=state.uidvalidity, uid=chunk[-1]
        )
    return result


def _incoming(
    batch: Batch,
    uidvalidity: int,
    folder: str,
    uid: int,
    env: Envelope,
    raw: bytes,
    received: datetime,
    zone: ZoneInfo,
    sent: bool,
) -> Incoming | None:
    """The message classified and matched; None when it concerns no lead. A return date
    without a year ("back on Monday 4 January") is read from the day the message was written
    (its Date; else the day the server received it)."""
    written = (env.sent_at or received).astimezone(zone).date()
    classified = classify(raw, today=written, tz=zone.key)
    values = outcome(classified, sent=sent)
    # A delivery report answers the message it returns (classify reads its id in the copy).
    bounce = values["kind"] == MessageKind.BOUNCE
    match = batch.match(
        env,
        values["kind"],
        returned=(classified.in_reply_to, *classified.references) if bounce else (),
        recipients=values.get("bounce_recipients", ()),
    )
    if match is None:
        return None
    return Incoming(
        folder=folder, uidvalidity=uidvalidity, uid=uid, envelope=env, match=match, **values
    )
