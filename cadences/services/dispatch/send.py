"""Sending claimed touches: the send-time checks, the caps, the chunks, through the site-wide
email backend or the SDRs' own mailboxes (``mailbox``)."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import formataddr

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.utils.translation import gettext

from accounts.calendar import team_calendar_scope
from accounts.models import Team, User
from leads.guards import contact_blocks
from leads.models import LeadState
from mailboxes.models import Mailbox, MailboxStatus
from sdrcrm import clock
from sdrcrm.i18n import prospect_language, prospect_translation
from suppression.services import suppressed_emails

from ... import schedule, templating
from ...context import enrollment_recipient, render_context
from ...mailthread import SentEmail, thread_of
from ...models import (
    Cadence,
    Channel,
    Enrollment,
    EnrollmentStatus,
    HoldReason,
    StopReason,
    Touch,
    TouchStatus,
)
from .caps import reserve_sends
from .claim import Claim, lock_still_claimed
from .load import load_claimed, lookup
from .mailbox import NO_MAILBOX, Health, reserve_mailbox_room, send_through_mailboxes
from .outcome import failed, give_back, hold, reschedule, set_status, stop_after_send_check
from .record import record_sent


@dataclass
class DispatchStats:
    claimed: int = 0
    sent: int = 0
    held: int = 0
    cancelled: int = 0
    rescheduled: int = 0
    failed: int = 0
    uncertain: int = 0  # handed to a mailbox's server without an answer: being confirmed
    lost_lease: int = 0  # recovered and claimed by another before this worker sent them

    def add(self, other: "DispatchStats") -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


@team_calendar_scope()  # each team's closed days read once per batch
def touch_send_claimed(
    ids: list[int],
    *,
    now: datetime | None = None,
    chunk: int | None = None,
    lookups: dict | None = None,
) -> DispatchStats:
    """Send touches this worker claimed. Checked at send time: the enrollment is active, the
    lead still contacting, the address not suppressed, bounced or do-not-contact, the moment
    inside the prospect's send window, the SDR under their daily cap, and, through a mailbox,
    the mailbox connected and under its own limits."""
    stats = DispatchStats(claimed=len(ids))
    if not ids:
        return stats
    chunk = chunk or settings.SDRCRM_DISPATCH_CHUNK
    now = now or clock.now()
    touches = load_claimed(ids)
    if isinstance(ids, Claim):  # the claim's token, whatever the row says by now
        for t in touches:
            t.attempts = ids.attempts[t.pk]
    # Few cadences, SDRs and teams: fetched once each instead of joined to every row, and kept
    # for the batches of one dispatch run (``lookups``, a few seconds at most).
    lookups = {} if lookups is None else lookups
    cadences = lookup(lookups, Cadence, {t.enrollment.cadence_id for t in touches})
    owners = lookup(lookups, User, {t.owner_id for t in touches})
    team_ids = {o.team_id for o in owners.values() if o.team_id} | {t.lead.team_id for t in touches}
    teams = lookup(lookups, Team, team_ids)
    for t in touches:
        t.enrollment.cadence = cadences[t.enrollment.cadence_id]
        t.owner = owners[t.owner_id]
    # Mailboxes are read afresh for every batch: one may have stopped working meanwhile.
    via_mailbox = {
        o.pk for o in owners.values() if o.team_id is None or teams[o.team_id].email_via != "site"
    }
    mailboxes = _mailboxes({t.owner_id for t in touches} & via_mailbox)
    threads = _earlier_emails([t for t in touches if t.reply_in_thread])
    emails = {t.lead.prospect.email for t in touches if t.lead.prospect.email}
    suppressed = suppressed_emails(emails)
    # Hard disqualifiers (qualification's guard) and the site's public address, for the links.
    blocks = contact_blocks(t.lead_id for t in touches)
    no_base_url = not settings.DEVELOPMENT and not settings.SDRCRM_BASE_URL_SET
    candidates: list[tuple[Touch, dict]] = []

    for touch in touches:
        enrollment, lead = touch.enrollment, touch.lead
        prospect = lead.prospect
        recipient = enrollment_recipient(enrollment)
        touch._recipient = recipient
        if enrollment.status == EnrollmentStatus.PAUSED:
            reschedule(touch, touch.due_at, attempt_used=False)  # picked up on resume
            stats.rescheduled += 1
            continue
        if enrollment.status != EnrollmentStatus.ACTIVE or lead.state != LeadState.CONTACTING:
            set_status(touch, TouchStatus.CANCELLED, error="cadence ended or lead moved")
            stats.cancelled += 1
            continue
        if (
            not prospect.email
            or prospect.email in suppressed
            or prospect.do_not_contact
            or prospect.email_bounced_at
        ):
            set_status(touch, TouchStatus.CANCELLED, error="address suppressed or do-not-contact")
            stop_after_send_check(
                enrollment,
                StopReason.UNSUBSCRIBED,
                "the address is suppressed, bounced or do-not-contact",
            )
            stats.cancelled += 1
            continue
        if no_base_url:
            hold(touch, HoldReason.NO_BASE_URL, NO_BASE_URL)
            stats.held += 1
            continue
        block = blocks.get(lead.pk)
        if block is not None and enrollment.disqualifier_overridden != block.code:
            hold(touch, HoldReason.DISQUALIFIER, block.reason)
            stats.held += 1
            continue
        if not schedule.in_send_window(now, recipient):
            reschedule(touch, schedule.next_send_slot(now, recipient), attempt_used=False)
            stats.rescheduled += 1
            continue
        context = render_context(
            prospect=prospect, company=prospect.company, sdr=touch.owner, touch_id=touch.pk
        )
        subject = templating.render(touch.subject_template, context)
        body = templating.render(touch.body_template, context)
        missing = sorted(set(subject.missing) | set(body.missing))
        if missing:
            hold(touch, HoldReason.FIELDS, "Missing: " + ", ".join(missing))
            stats.held += 1
            continue
        if touch.owner_id in via_mailbox:
            mailbox = mailboxes.get(touch.owner_id)
            if mailbox is None or mailbox.status == MailboxStatus.DISCONNECTED:
                hold(touch, HoldReason.NO_MAILBOX, NO_MAILBOX)
                stats.held += 1
                continue
            if mailbox.status == MailboxStatus.FAILING:
                hold(touch, HoldReason.MAILBOX_FAILING, mailbox.last_error or MAILBOX_FAILING)
                stats.held += 1
                continue
            touch.mailbox = mailbox
        else:
            touch.mailbox = None
        touch._thread = (
            thread_of(threads.get(touch.enrollment_id, []), touch.position)
            if touch.reply_in_thread
            else None
        )
        touch.rendered_subject = (
            touch._thread.subject if touch._thread else templating.header_safe(subject.text)
        )
        touch.rendered_body = body.text
        # What the product adds to the email (the unsubscribe line) is in the prospect's
        # language: the cadence's, else the team's.
        touch._language = prospect_language(teams.get(lead.team_id), enrollment.cadence)
        candidates.append((touch, context))

    # The per-SDR daily cap, counted on the SDR's own day and reserved atomically. Each
    # touch that got room remembers the (SDR, day) it reserved on, so giving it back hits the
    # same row.
    wanted: dict[tuple[int, object], int] = {}
    keys = {}
    for touch, _ in candidates:
        tz = schedule.recipient_zone(touch.owner.time_zone, default=settings.TIME_ZONE)
        keys[touch.pk] = (touch.owner_id, now.astimezone(tz).date())
        wanted[keys[touch.pk]] = wanted.get(keys[touch.pk], 0) + 1
    room = reserve_sends(wanted, {t.owner_id: t.owner.daily_email_cap for t, _ in candidates})
    to_send: list[tuple[Touch, EmailMessage]] = []
    for touch, context in candidates:
        key = keys[touch.pk]
        if room[key] > 0:
            room[key] -= 1
            touch._cap_key = key
            to_send.append((touch, _message(touch, context)))
        else:
            tomorrow = schedule.local_day_start(now, touch._recipient.tz) + timedelta(days=1)
            reschedule(
                touch, schedule.next_send_slot(tomorrow, touch._recipient), attempt_used=False
            )
            stats.rescheduled += 1

    for start in range(0, len(to_send), chunk):
        part = to_send[start : start + chunk]
        # Through a mailbox: room under its limits, and the mark that it may be handed over
        # (its Message-ID and mailbox, committed) before anything is.
        part = [p for p in part if p[0].mailbox is None] + reserve_mailbox_room(
            [p for p in part if p[0].mailbox is not None], clock.now(), stats
        )
        if not part:
            continue
        # The chunk's enrollments are locked (FOR NO KEY UPDATE, in id order) while it is sent
        # and recorded: a reply, bounce or unsubscribe (which lock the enrollment to stop it)
        # waits for the chunk, and a chunk that starts after one of them committed sees the
        # enrollment stopped and sends nothing. (Whoever locks both locks enrollments first.)
        health = Health()
        with transaction.atomic():
            enrollment_ids = sorted({t.enrollment_id for t, _ in part})
            still_active = set(
                Enrollment.objects.select_for_update(no_key=True, of=("self",))
                .filter(pk__in=enrollment_ids, status=EnrollmentStatus.ACTIVE)
                .filter(lead__state=LeadState.CONTACTING)
                .order_by("pk")
                .values_list("pk", flat=True)
            )
            # Still ours? A worker that outlived its lease (a slow provider, a long pause) may
            # find its touches recovered and claimed again by another: it sends only those it
            # still holds under this claim (status and attempt number unchanged), locked until
            # recorded, so that neither the recovery nor another claim can take them meanwhile.
            ours = lock_still_claimed([t for t, _ in part])
            for touch, _ in part:
                if touch.pk not in ours:
                    give_back(touch)
                    stats.lost_lease += 1
                elif touch.enrollment_id not in still_active:
                    give_back(touch)
                    set_status(
                        touch, TouchStatus.CANCELLED, error="cadence ended just before sending"
                    )
                    stats.cancelled += 1
            part = [(t, m) for t, m in part if t.pk in ours and t.enrollment_id in still_active]
            sent_now = _send_chunk([p for p in part if p[0].mailbox is None], stats)
            sent_now += send_through_mailboxes(
                [p for p in part if p[0].mailbox is not None], stats, health
            )
            stats.sent += len(sent_now)
            record_sent(sent_now)
        health.report()
    return stats


MAILBOX_FAILING = "The SDR's mailbox is not working: it must be reconnected."
NO_BASE_URL = (
    "SDRCRM_BASE_URL is not set, so the unsubscribe link would be broken: an administrator "
    "must set it to the site's public address (docs/operations.md). The email goes out then."
)


def _mailboxes(owner_ids: set[int]) -> dict[int, Mailbox]:
    if not owner_ids:
        return {}
    return {m.user_id: m for m in Mailbox.objects.filter(user_id__in=owner_ids)}


def _earlier_emails(touches: list[Touch]) -> dict[int, list[SentEmail]]:
    """{enrollment id: its emails sent so far} for the touches that reply in the thread; one
    query."""
    if not touches:
        return {}
    result: dict[int, list[SentEmail]] = {}
    rows = (
        Touch.objects.filter(
            enrollment_id__in={t.enrollment_id for t in touches},
            status=TouchStatus.SENT,
            channel=Channel.AUTO_EMAIL,
        )
        .exclude(message_id="")
        .values_list(
            "enrollment_id", "position", "message_id", "rendered_subject", "reply_in_thread"
        )
    )
    for enrollment_id, position, message_id, subject, in_thread in rows:
        result.setdefault(enrollment_id, []).append(
            SentEmail(position, message_id, subject, in_thread)
        )
    return result


def _message(touch: Touch, context: dict[str, str]) -> EmailMessage:
    """The email, From the SDR's name at their mailbox's address (or, through the site-wide
    backend, at theirs), with the idempotency key as its Message-ID (kept on the touch)."""
    owner = touch.owner
    from_name = templating.header_safe(owner.get_full_name() or owner.username)
    if touch.mailbox is not None:
        address = touch.mailbox.email
    else:
        address = owner.email or settings.DEFAULT_FROM_EMAIL
    from_email = formataddr((from_name, address))
    unsubscribe = context["unsubscribe_url"]
    body = touch.rendered_body
    if unsubscribe not in body:
        with prospect_translation(language=getattr(touch, "_language", "")):
            footer = gettext("Not interested? Unsubscribe with one click: %(url)s")
        footer %= {"url": unsubscribe}
        body += f"\n\n--\n{footer}"
    # The idempotency key: a repeat after a crash carries the same Message-ID.
    touch.message_id = f"<{touch.idempotency_key}@{_message_id_domain(touch)}>"
    headers = {
        "Message-ID": touch.message_id,
        "List-Unsubscribe": f"<{unsubscribe}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "X-SDRCRM-Touch": str(touch.idempotency_key),
    }
    if touch._thread is not None:
        headers["In-Reply-To"] = touch._thread.in_reply_to
        headers["References"] = " ".join(touch._thread.references)
    return EmailMessage(
        subject=touch.rendered_subject,
        body=body,
        from_email=from_email,
        to=[touch.lead.prospect.email],
        headers=headers,
    )


def _message_id_domain(touch: Touch) -> str:
    if touch.mailbox is not None:
        return touch.mailbox.email.rpartition("@")[2]
    return (settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or "sdrcrm.local").strip(">")


def _send_chunk(part: list[tuple[Touch, EmailMessage]], stats: DispatchStats) -> list[Touch]:
    """Send one chunk through Django's email backend; returns the touches that went out."""
    if not part:
        return []
    sent: list[Touch] = []
    backend = get_connection(fail_silently=False)
    try:
        backend.open()
        for touch, message in part:
            try:
                message.connection = backend
                if message.send() == 1:
                    sent.append(touch)
                else:
                    failed(touch, "the email backend did not accept the message")
                    stats.failed += 1
            except Exception as exc:  # noqa: BLE001 - a provider error for one message
                failed(touch, f"{type(exc).__name__}: {exc}"[:500])
                stats.failed += 1
    finally:
        backend.close()
    return sent
