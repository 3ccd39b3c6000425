"""Sending claimed touches: the send-time checks, the cap, the chunks."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import formataddr

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import F

from accounts.models import User
from leads.models import LeadState
from sdrcrm import clock
from suppression.services import suppressed_emails

from ... import schedule, templating
from ...context import enrollment_recipient, render_context
from ...models import (
    Cadence,
    Enrollment,
    EnrollmentStatus,
    StopReason,
    Touch,
    TouchStatus,
)
from ..enrollment import end_enrollment
from .caps import release_sends, reserve_sends
from .claim import Claim, claimed_row, lock_still_claimed
from .load import load_claimed, lookup
from .record import record_sent


@dataclass
class DispatchStats:
    claimed: int = 0
    sent: int = 0
    held: int = 0
    cancelled: int = 0
    rescheduled: int = 0
    failed: int = 0
    lost_lease: int = 0  # recovered and claimed by another before this worker sent them

    def add(self, other: "DispatchStats") -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


def touch_send_claimed(
    ids: list[int],
    *,
    now: datetime | None = None,
    chunk: int | None = None,
    lookups: dict | None = None,
) -> DispatchStats:
    """Send touches this worker claimed. Checked at send time: the enrollment is active, the
    lead still contacting, the address not suppressed, bounced or do-not-contact, the SDR under
    their daily cap, and the moment inside the prospect's send window."""
    stats = DispatchStats(claimed=len(ids))
    if not ids:
        return stats
    chunk = chunk or settings.SDRCRM_DISPATCH_CHUNK
    now = now or clock.now()
    touches = load_claimed(ids)
    if isinstance(ids, Claim):  # the claim's token, whatever the row says by now
        for t in touches:
            t.attempts = ids.attempts[t.pk]
    # Few cadences and SDRs: fetched once each instead of joined to every row, and kept for
    # the batches of one dispatch run (``lookups``, a few seconds at most).
    lookups = {} if lookups is None else lookups
    cadences = lookup(lookups, Cadence, {t.enrollment.cadence_id for t in touches})
    owners = lookup(lookups, User, {t.owner_id for t in touches})
    for t in touches:
        t.enrollment.cadence = cadences[t.enrollment.cadence_id]
        t.owner = owners[t.owner_id]
    emails = {t.lead.prospect.email for t in touches if t.lead.prospect.email}
    suppressed = suppressed_emails(emails)
    candidates: list[tuple[Touch, dict, schedule.Recipient]] = []

    to_send: list[tuple[Touch, EmailMessage]] = []
    for touch in touches:
        enrollment, lead = touch.enrollment, touch.lead
        prospect = lead.prospect
        recipient = enrollment_recipient(enrollment)
        if enrollment.status == EnrollmentStatus.PAUSED:
            _reschedule(touch, touch.due_at, attempt_used=False)  # picked up on resume
            stats.rescheduled += 1
            continue
        if enrollment.status != EnrollmentStatus.ACTIVE or lead.state != LeadState.CONTACTING:
            _set(touch, TouchStatus.CANCELLED, error="cadence ended or lead moved")
            stats.cancelled += 1
            continue
        if (
            not prospect.email
            or prospect.email in suppressed
            or prospect.do_not_contact
            or prospect.email_bounced_at
        ):
            _set(touch, TouchStatus.CANCELLED, error="address suppressed or do-not-contact")
            _stop_after_send_check(
                enrollment,
                StopReason.UNSUBSCRIBED,
                "the address is suppressed, bounced or do-not-contact",
            )
            stats.cancelled += 1
            continue
        if not schedule.in_send_window(now, recipient):
            _reschedule(touch, schedule.next_send_slot(now, recipient), attempt_used=False)
            stats.rescheduled += 1
            continue
        context = render_context(
            prospect=prospect, company=prospect.company, sdr=touch.owner, touch_id=touch.pk
        )
        subject = templating.render(touch.subject_template, context)
        body = templating.render(touch.body_template, context)
        missing = sorted(set(subject.missing) | set(body.missing))
        if missing:
            _set(touch, TouchStatus.HELD, error="Missing: " + ", ".join(missing))
            stats.held += 1
            continue
        touch.rendered_subject = templating.header_safe(subject.text)
        touch.rendered_body = body.text
        candidates.append((touch, context, recipient))

    # The per-SDR daily cap, counted on the SDR's own day and reserved atomically. Each
    # touch remembers the (SDR, day) it reserved on, so giving room back hits the same row.
    wanted: dict[tuple[int, object], int] = {}
    for touch, _, _ in candidates:
        tz = schedule.recipient_zone(touch.owner.time_zone, default=settings.TIME_ZONE)
        touch._cap_key = (touch.owner_id, now.astimezone(tz).date())
        wanted[touch._cap_key] = wanted.get(touch._cap_key, 0) + 1
    room = reserve_sends(wanted, {t.owner_id: t.owner.daily_email_cap for t, _, _ in candidates})
    for touch, context, recipient in candidates:
        if room[touch._cap_key] > 0:
            room[touch._cap_key] -= 1
            to_send.append((touch, _message(touch, context)))
        else:
            tomorrow = schedule.local_day_start(now, recipient.tz) + timedelta(days=1)
            _reschedule(touch, schedule.next_send_slot(tomorrow, recipient), attempt_used=False)
            stats.rescheduled += 1

    for start in range(0, len(to_send), chunk):
        part = to_send[start : start + chunk]
        # The chunk's enrollments are locked (FOR NO KEY UPDATE, in id order) while it is sent
        # and recorded: a reply, bounce or unsubscribe (which lock the enrollment to stop it)
        # waits for the chunk, and a chunk that starts after one of them committed sees the
        # enrollment stopped and sends nothing. (Whoever locks both locks enrollments first.)
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
                    release_sends(touch._cap_key, 1)
                    stats.lost_lease += 1
                elif touch.enrollment_id not in still_active:
                    _set(touch, TouchStatus.CANCELLED, error="cadence ended just before sending")
                    release_sends(touch._cap_key, 1)
                    stats.cancelled += 1
            part = [(t, m) for t, m in part if t.pk in ours and t.enrollment_id in still_active]
            sent_now = _send_chunk(part)
            stats.sent += len(sent_now)
            stats.failed += len(part) - len(sent_now)
            record_sent(sent_now)
    return stats


def _stop_after_send_check(enrollment: Enrollment, reason: str, note: str) -> None:
    """A touch was cancelled at send time for good (not for the moment): end its enrollment,
    so it does not sit active with steps that will never come."""
    with transaction.atomic():
        locked = (
            Enrollment.objects.select_for_update(of=("self",))
            .select_related("lead", "cadence")
            .filter(pk=enrollment.pk, status__in=[EnrollmentStatus.ACTIVE, EnrollmentStatus.PAUSED])
            .first()
        )
        if locked is not None:
            end_enrollment(locked, EnrollmentStatus.STOPPED, reason, note, None, clock.now())


def _message(touch: Touch, context: dict[str, str]) -> EmailMessage:
    owner = touch.owner
    from_name = templating.header_safe(owner.get_full_name() or owner.username)
    from_email = formataddr((from_name, owner.email or settings.DEFAULT_FROM_EMAIL))
    unsubscribe = context["unsubscribe_url"]
    body = touch.rendered_body
    if unsubscribe not in body:
        body += f"\n\n--\nNot interested? Unsubscribe with one click: {unsubscribe}"
    domain = (settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or "sdrcrm.local").strip(">")
    return EmailMessage(
        subject=touch.rendered_subject,
        body=body,
        from_email=from_email,
        to=[touch.lead.prospect.email],
        headers={
            # The idempotency key: a repeat after a crash carries the same Message-ID.
            "Message-ID": f"<{touch.idempotency_key}@{domain}>",
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "X-SDRCRM-Touch": str(touch.idempotency_key),
        },
    )


def _send_chunk(part: list[tuple[Touch, EmailMessage]]) -> list[Touch]:
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
                    _failed(touch, "the email backend did not accept the message")
            except Exception as exc:  # noqa: BLE001 - a provider error for one message
                _failed(touch, f"{type(exc).__name__}: {exc}"[:500])
    finally:
        backend.close()
    return sent


def _failed(touch: Touch, error: str) -> None:
    """A send that failed goes back to scheduled (retried at the next tick) until it has
    used its attempts. Its room under the daily cap is given back."""
    release_sends(touch._cap_key, 1)
    if touch.attempts >= settings.SDRCRM_DISPATCH_MAX_ATTEMPTS:
        _set(touch, TouchStatus.FAILED, error=error)
        _stop_after_send_check(
            touch.enrollment, StopReason.SEND_FAILED, f"step {touch.position}: {error}"[:500]
        )
    else:
        _reschedule(touch, clock.now() + timedelta(minutes=2 * touch.attempts), error=error)


def _set(touch: Touch, status: str, error: str = "") -> None:
    claimed_row(touch).update(
        status=status,
        error=error,
        lease_until=None,
        completed_at=clock.now() if status in (TouchStatus.CANCELLED, TouchStatus.FAILED) else None,
    )


def _reschedule(touch: Touch, due_at: datetime, error: str = "", attempt_used: bool = True) -> None:
    """Back to scheduled. A touch put back without trying to send it (paused, outside the
    window, over the cap) gives back the attempt its claim counted, so waiting never uses up
    the attempts a provider error is allowed."""
    extra = {} if attempt_used else {"attempts": F("attempts") - 1}
    claimed_row(touch).update(
        status=TouchStatus.SCHEDULED, due_at=due_at, lease_until=None, error=error, **extra
    )
