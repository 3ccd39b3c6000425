"""Sending through the SDRs' own mailboxes (a team whose ``email_via`` is "mailbox").

Per chunk: each mailbox's room under its limits is reserved (``mailboxes.pacing``: daily cap
on the SDR's local day with the ramp-up, hourly cap, the gap with jitter); what does not fit now
is put back to the mailbox's next slot inside the prospect's send window, without using an
attempt. The Message-ID and the mailbox of what goes are committed *before* anything is handed
over: from then on a touch left ``sending`` may have gone out, and is never put back to
``scheduled`` blindly (docs/reliability.md, "Never twice"). Then one SMTP connection per
mailbox sends its emails, and a copy of each goes to the mailbox's Sent folder when its server
does not file one itself.
"""

import logging
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.core.mail import EmailMessage
from django.db import transaction

from mailboxes import transport
from mailboxes.pacing import mailbox_record_sent, mailbox_reserve_sends
from mailboxes.services import mailbox_mark_failing
from mailboxes.submit import SubmitError, SubmitUncertain, close, submit
from sdrcrm import clock
from sdrcrm.pg import execute_values

from ... import schedule
from ...models import HoldReason, Touch
from .outcome import failed, hold, mark_uncertain, reschedule

log = logging.getLogger(__name__)


def reserve_mailbox_room(part: list[tuple[Touch, EmailMessage]], now: datetime, stats) -> list:
    """The touches of ``part`` their mailboxes may send now, their Message-ID and mailbox
    committed; the others rescheduled to their mailbox's next slots (spaced by its gap)."""
    if not part:
        return []
    kept = []
    with transaction.atomic():
        grants = mailbox_reserve_sends(Counter(t.mailbox_id for t, _ in part), now=now)
        left = {pk: g.allowed for pk, g in grants.items()}
        waiting: dict[int, int] = defaultdict(int)
        for touch, message in part:
            grant = grants.get(touch.mailbox_id)
            if grant is None:  # the mailbox was removed since the touch was checked
                hold(touch, HoldReason.NO_MAILBOX, NO_MAILBOX)
                stats.held += 1
            elif left[touch.mailbox_id] > 0:
                left[touch.mailbox_id] -= 1
                touch._pace = (touch.mailbox_id, grant.hour)
                kept.append((touch, message))
            else:
                slot = grant.next_slot + grant.spacing * waiting[touch.mailbox_id]
                waiting[touch.mailbox_id] += 1
                reschedule(
                    touch, schedule.next_send_slot(slot, touch._recipient), attempt_used=False
                )
                stats.rescheduled += 1
        _mark_handing_over([t for t, _ in kept])
    return kept


NO_MAILBOX = (
    "No connected mailbox: the SDR connects theirs on their Mailbox page, and the email "
    "goes out then."
)


def _mark_handing_over(touches: list[Touch]) -> None:
    """Commit each touch's Message-ID and mailbox while this claim still holds it: the mark
    that it may be handed over from now on."""
    if not touches:
        return
    execute_values(
        f"UPDATE {Touch._meta.db_table} AS t SET message_id = v.message_id, "
        "mailbox_id = v.mailbox_id FROM (VALUES %s) AS v(id, attempts, message_id, mailbox_id) "
        "WHERE t.id = v.id AND t.status = 'sending' AND t.attempts = v.attempts",
        [(t.pk, t.attempts, t.message_id, t.mailbox_id) for t in touches],
        template="(%s::bigint, %s::int, %s::varchar, %s::bigint)",
    )


@dataclass
class Health:
    """What a chunk learned of its mailboxes, written after the chunk commits: a mailbox row
    is not locked while the chunk holds its enrollments (another dispatcher reserving room
    locks mailbox rows in id order, and would wait for the whole chunk, or deadlock)."""

    sent_from: set[int] = field(default_factory=set)
    failing: dict[int, object] = field(default_factory=dict)

    def report(self) -> None:
        if self.sent_from:
            mailbox_record_sent(sorted(self.sent_from), clock.now())
        for mailbox_id, error in sorted(self.failing.items()):
            mailbox_mark_failing(mailbox_id, error)


def send_through_mailboxes(
    part: list[tuple[Touch, EmailMessage]], stats, health: Health
) -> list[Touch]:
    """Send a chunk's mailbox emails: one SMTP connection per mailbox. Returns the touches
    accepted by their server; every other one is held, put back, failed or uncertain."""
    by_mailbox: dict[int, list[tuple[Touch, EmailMessage]]] = defaultdict(list)
    for touch, message in part:
        by_mailbox[touch.mailbox_id].append((touch, message))
    sent: list[Touch] = []
    for items in by_mailbox.values():
        mailbox = items[0][0].mailbox
        try:
            smtp = transport.smtp_connect(mailbox)
        except transport.MailboxError as exc:
            _connect_failed(mailbox, items, exc, stats, health)
            continue
        accepted = []
        try:
            for i, (touch, message) in enumerate(items):
                raw = message.message().as_bytes(linesep="\r\n")
                try:
                    submit(smtp, mailbox.email, message.to, raw)
                except SubmitUncertain as exc:
                    mark_uncertain(touch, str(exc))
                    stats.uncertain += 1
                    _put_back(items[i + 1 :], stats)  # the connection is gone
                    break
                except SubmitError as exc:
                    failed(touch, str(exc))
                    stats.failed += 1
                    if exc.connection_lost:
                        _put_back(items[i + 1 :], stats)
                        break
                else:
                    accepted.append((touch, raw))
        finally:
            close(smtp)
        if accepted:
            health.sent_from.add(mailbox.pk)
            if not mailbox.server_saves_sent:
                _file_in_sent(mailbox, [raw for _, raw in accepted])
        sent.extend(t for t, _ in accepted)
    return sent


def _connect_failed(mailbox, items, exc, stats, health: Health) -> None:
    """The mailbox would not let us in. Permanent (wrong password, revoked token): its emails
    are held with the reason and the mailbox is marked failing (its owner is told); they go
    out when it works again (``cadences.mailbox_resume_task``). Temporary (timeout, refused
    connection, 4xx): retried as any send error."""
    if exc.permanent:
        for touch, _ in items:
            hold(touch, HoldReason.MAILBOX_FAILING, str(exc.message))
        stats.held += len(items)
        health.failing[mailbox.pk] = exc
    else:
        for touch, _ in items:
            failed(touch, str(exc.message))
        stats.failed += len(items)


def _put_back(items, stats) -> None:
    """Not tried (the connection was lost on an email before them): due again now, without
    using an attempt."""
    for touch, _ in items:
        reschedule(touch, clock.now(), attempt_used=False)
        stats.rescheduled += 1


def _file_in_sent(mailbox, raws: list[bytes]) -> None:
    """A copy of each sent email in the mailbox's Sent folder, read (``\\Seen``), as a mail
    client does when the server does not. Best effort: the emails went out whatever happens
    here; a copy that could not be filed is logged."""
    imap = None
    try:
        imap = transport.imap_connect(mailbox)
        # With no Sent folder at all, "Sent" (created by the APPEND: TRYCREATE).
        folder = mailbox.sent_folder or transport.find_sent_folder(imap) or "Sent"
        for raw in raws:
            transport.append_message(imap, folder, raw)
    except Exception:  # noqa: BLE001 - the sends stand; the missing copy is only logged
        log.warning("Could not file sent copies in mailbox %s", mailbox.pk, exc_info=True)
    finally:
        if imap is not None:
            logout(imap)


def logout(imap) -> None:
    try:
        imap.logout()
    except Exception:  # noqa: BLE001 - a connection already lost is simply dropped
        pass
