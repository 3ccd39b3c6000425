"""Resolving uncertain sends before any retry (docs/reliability.md, "Never twice").

A touch is ``uncertain`` when its message was handed to its mailbox's server and no answer came
(the connection dropped after the data, or the worker died after marking it as being handed
over). It is never put back to ``scheduled`` as it is. After a grace period
(``SDRCRM_UNCERTAIN_GRACE_SECONDS``) ``touch_resolve_uncertain`` looks for its Message-ID in the
mailbox's Sent folder (filed by the server itself, as Gmail and Microsoft 365 do, or by the
dispatcher's own copy):

- found: it went out; recorded sent, once;
- not found, on a server that files what it accepts: it was not accepted; scheduled again
  (the attempt counts, as any failed send);
- not found, on a server that files nothing: no one can know; held for the SDR, who says
  "it was sent" or "send it again" (``touch_settle_uncertain``). Never resent on its own.

When the cadence ended meanwhile, a touch found is recorded sent (nothing more is scheduled)
and one not found is cancelled.
"""

import logging
from collections import defaultdict
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils.translation import gettext as _

from accounts.models import User
from leads.selectors import lead_scope
from leads.services import LeadConflict
from mailboxes import transport
from mailboxes.models import Mailbox
from mailboxes.services import mailbox_mark_failing
from sdrcrm import clock
from sdrcrm.errors import NotFound
from sdrcrm.inputs import parse_id

from ... import schedule
from ...context import enrollment_recipient
from ...models import (
    Enrollment,
    EnrollmentStatus,
    HoldReason,
    StopReason,
    Touch,
    TouchStatus,
)
from .. import ring
from ..enrollment import lock_on_worked_lead
from .load import load_touches
from .mailbox import logout
from .outcome import stop_after_send_check
from .record import record_sent

log = logging.getLogger(__name__)

ASK_SDR_EXPLANATION = (
    "The connection to the mailbox's server dropped after the email was handed over, and this "
    "server keeps no copy of what it sends: whether it went out cannot be known. Look in your "
    "Sent folder or ask the prospect, then say whether it was sent."
)
NOT_ACCEPTED = "Not in the mailbox's Sent folder: the server did not take it. Sent again."
ENDED_NOT_FOUND = "Not in the Sent folder, and the cadence has ended: not sent again."
ENDED_UNKNOWN = (
    "Whether it went out cannot be known (the server keeps no copy), and the cadence has "
    "ended: not sent again."
)


def has_uncertain_due(now: datetime | None = None) -> bool:
    now = now or clock.now()
    return Touch.objects.filter(status=TouchStatus.UNCERTAIN, lease_until__lte=now).exists()


def touch_resolve_uncertain(*, now: datetime | None = None, limit: int = 200) -> dict:
    """Look for due uncertain touches in their mailboxes' Sent folders and settle each (see the
    module). Claimed with SKIP LOCKED: the claim moves each one's next look a lease ahead, so
    two resolvers never look at one touch at once, and one that could not look (the mailbox
    failing, the server down) looks again after it. Returns counts."""
    now = now or clock.now()
    claimed = _claim(now, limit)
    counts = {"sent": 0, "rescheduled": 0, "asked": 0, "cancelled": 0, "skipped": 0}
    by_mailbox: dict[int | None, list[tuple[int, str]]] = defaultdict(list)
    for pk, mailbox_id, message_id in claimed:
        by_mailbox[mailbox_id].append((pk, message_id))
    mailboxes = Mailbox.objects.in_bulk([m for m in by_mailbox if m is not None])
    for mailbox_id, rows in by_mailbox.items():
        mailbox = mailboxes.get(mailbox_id)
        if mailbox is None:  # the mailbox is gone: nothing can be looked up
            for pk, _ in rows:
                counts[_settle(pk, found=False, server_files_sent=False)] += 1
            continue
        try:
            found = _look_up(mailbox, [message_id for _, message_id in rows])
        except transport.MailboxError as exc:
            if exc.permanent:
                mailbox_mark_failing(mailbox.pk, exc)
            counts["skipped"] += len(rows)  # looked for again after the lease
            continue
        for pk, message_id in rows:
            outcome = _settle(
                pk, found=message_id in found, server_files_sent=mailbox.server_saves_sent
            )
            counts[outcome] += 1
    return counts


def _claim(now: datetime, limit: int) -> list[tuple[int, int | None, str]]:
    again = now + timedelta(seconds=settings.SDRCRM_DISPATCH_LEASE_SECONDS)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Touch._meta.db_table} SET lease_until = %s WHERE id IN ("
            f" SELECT id FROM {Touch._meta.db_table} WHERE status = %s AND lease_until <= %s"
            " ORDER BY lease_until LIMIT %s FOR UPDATE SKIP LOCKED"
            ") RETURNING id, mailbox_id, message_id",
            [again, TouchStatus.UNCERTAIN, now, limit],
        )
        return cursor.fetchall()


def _look_up(mailbox: Mailbox, message_ids: list[str]) -> set[str]:
    """The Message-IDs among ``message_ids`` found in the mailbox's Sent folder."""
    imap = transport.imap_connect(mailbox)
    try:
        folder = mailbox.sent_folder or transport.find_sent_folder(imap)
        return {m for m in message_ids if transport.search_message_id(imap, folder, m)}
    finally:
        logout(imap)


def _settle(touch_id: int, *, found: bool, server_files_sent: bool) -> str:
    """One touch's outcome, under the locks of its enrollment then itself (the dispatcher's
    order). Returns the name of the count it adds to."""
    with transaction.atomic():
        touch = _lock_uncertain(touch_id)
        if touch is None:  # settled meanwhile
            return "skipped"
        active = touch.enrollment.status in (EnrollmentStatus.ACTIVE, EnrollmentStatus.PAUSED)
        if found:
            record_sent([touch], advance=active)
            return "sent"
        if not active:
            error = ENDED_NOT_FOUND if server_files_sent else ENDED_UNKNOWN
            _close(touch, TouchStatus.CANCELLED, error)
            return "cancelled"
        if server_files_sent:
            return _send_again(touch, NOT_ACCEPTED, attempt_counts=True)
        Touch.objects.filter(pk=touch.pk).update(
            lease_until=None, hold_reason=HoldReason.ASK_SDR, error=ASK_SDR_EXPLANATION
        )
        return "asked"


def _lock_uncertain(touch_id: int) -> Touch | None:
    enrollment_id = (
        Touch.objects.filter(pk=touch_id, status=TouchStatus.UNCERTAIN)
        .values_list("enrollment_id", flat=True)
        .first()
    )
    if enrollment_id is None:
        return None
    Enrollment.objects.select_for_update(no_key=True, of=("self",)).filter(pk=enrollment_id).first()
    if (
        not Touch.objects.select_for_update(no_key=True)
        .filter(pk=touch_id, status=TouchStatus.UNCERTAIN)
        .exists()
    ):
        return None
    loaded = load_touches([touch_id], TouchStatus.UNCERTAIN)
    return loaded[0] if loaded else None


def _close(touch: Touch, status: str, error: str) -> None:
    Touch.objects.filter(pk=touch.pk).update(
        status=status, error=error, hold_reason="", lease_until=None, completed_at=clock.now()
    )


def _send_again(touch: Touch, note: str, *, attempt_counts: bool) -> str:
    """Scheduled again at the next slot in the prospect's window, under the same idempotency
    key. A proven failure counts as an attempt; the last one fails the touch."""
    if attempt_counts and touch.attempts >= settings.SDRCRM_DISPATCH_MAX_ATTEMPTS:
        _close(touch, TouchStatus.FAILED, note)
        stop_after_send_check(touch.enrollment, StopReason.SEND_FAILED, note)
        return "cancelled"
    Touch.objects.filter(pk=touch.pk).update(
        status=TouchStatus.SCHEDULED,
        due_at=schedule.next_send_slot(clock.now(), enrollment_recipient(touch.enrollment)),
        lease_until=None,
        message_id="",
        hold_reason="",
        error=note,
    )
    transaction.on_commit(ring.ring_dispatcher)
    return "rescheduled"


def touch_settle_uncertain(*, actor: User, touch_id: int, sent: bool) -> Touch:
    """The SDR's answer for an email whose fate no one could know: ``sent`` records it sent
    (once; the cadence goes on); otherwise it is sent again at the next slot (a cadence that
    has ended sends nothing: the touch is cancelled)."""
    with transaction.atomic():
        # The enrollment first, then the touch: the dispatcher's and the resolver's order.
        enrollment_id = (
            Touch.objects.filter(pk=parse_id(touch_id), lead_id__in=lead_scope(actor).values("pk"))
            .values_list("enrollment_id", flat=True)
            .first()
        )
        if enrollment_id is None:
            raise NotFound("No such email")
        enrollment = (
            Enrollment.objects.select_for_update(no_key=True, of=("self",))
            .select_related("cadence", "lead")
            .get(pk=enrollment_id)
        )
        queryset = Touch.objects.select_related("enrollment__cadence", "lead")
        touch = lock_on_worked_lead(actor, queryset, touch_id, "No such email")
        if touch.status != TouchStatus.UNCERTAIN:
            raise LeadConflict(_("This email's fate is already settled."))
        if touch.hold_reason != HoldReason.ASK_SDR:
            raise LeadConflict(
                _(
                    "This email is still being looked for in the Sent folder: try again in a "
                    "few minutes."
                )
            )
        active = enrollment.status in (EnrollmentStatus.ACTIVE, EnrollmentStatus.PAUSED)
        if sent:
            loaded = load_touches([touch.pk], TouchStatus.UNCERTAIN)
            loaded[0].enrollment.cadence = enrollment.cadence
            record_sent(loaded, advance=active)
        elif active:
            _send_again(touch, "", attempt_counts=False)
        else:
            _close(touch, TouchStatus.CANCELLED, "Not sent: the cadence has ended.")
        touch.refresh_from_db()
    return touch
